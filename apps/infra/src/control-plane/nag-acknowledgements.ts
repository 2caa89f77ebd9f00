import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { nagReferenceText } from '../agent-fleet/fleet-nag-acknowledgements';

/**
 * Adds an Allow statement whose resources need a wildcard, and acknowledges exactly those wildcard findings of
 * cdk-nag (`AwsSolutions-IAM5[Resource::…]`) with the reason, on the role. Any other wildcard still fails the check.
 */
export function allowWithWildcard(
  role: iam.Role,
  statement: { actions: string[]; resources: string[]; conditions?: Record<string, unknown>; reason: string },
): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: statement.actions,
      resources: statement.resources,
      ...(statement.conditions ? { conditions: statement.conditions } : {}),
    }),
  );
  acknowledgeWildcards(role, statement.resources, statement.reason);
}

/** Acknowledges the IAM5 finding of each wildcard resource (as cdk-nag names it) on `scope`. */
export function acknowledgeWildcards(scope: IConstruct, resources: readonly string[], reason: string): void {
  const stack = Stack.of(scope);
  for (const resource of resources) {
    const text = nagReferenceText(stack.resolve(resource));
    if (text.includes('*')) Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${text}]`, reason });
  }
}
