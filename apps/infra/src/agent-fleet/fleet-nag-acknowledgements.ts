import { Aspects, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

interface ResolvedStatement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Resource: unknown;
}

/**
 * A resolved CloudFormation value as cdk-nag names it in finding ids: joins concatenated, `Ref` as `<Name>`,
 * `Fn::GetAtt` as `<Resource.Attribute>`, `${…}` as `<…>`.
 */
export function nagReferenceText(value: unknown): string {
  if (typeof value === 'string') return value.replaceAll('${', '<').replaceAll('}', '>');
  if (value !== null && typeof value === 'object') {
    const reference = value as Record<string, unknown>;
    if (Array.isArray(reference['Fn::Join'])) {
      const [separator, parts] = reference['Fn::Join'] as [string, unknown[]];
      return parts.map(nagReferenceText).join(separator);
    }
    if ('Ref' in reference) return `<${nagReferenceText(reference.Ref)}>`;
    if (Array.isArray(reference['Fn::GetAtt'])) {
      const [resource, attribute] = reference['Fn::GetAtt'] as [unknown, unknown];
      return `<${nagReferenceText(resource)}.${nagReferenceText(attribute)}>`;
    }
    if ('Fn::Sub' in reference) return nagReferenceText(reference['Fn::Sub']);
    if ('Fn::ImportValue' in reference) return nagReferenceText(reference['Fn::ImportValue']);
  }
  return JSON.stringify(value);
}

/**
 * cdk-nag AwsSolutions findings on the fleet's resources that are by design, each with why. Recorded on the
 * constructs, so the stack's cdk-nag check (and its report) sees the reasons wherever the fleet is used.
 */
export function acknowledgeFleetFindings(targets: {
  readonly vpc: IConstruct | undefined;
  readonly interfaceEndpointGroups: readonly IConstruct[];
  /** The created role's policy and why each of its wildcard statements (by `Sid`) is as narrow as AWS allows. */
  readonly instanceRolePolicy:
    | { readonly policy: IConstruct; readonly wildcardReasons: Readonly<Record<string, string>> }
    | undefined;
  readonly autoScalingGroup: IConstruct;
}): void {
  if (targets.vpc !== undefined) {
    Validations.of(targets.vpc).acknowledge({
      id: 'AwsSolutions-VPC7',
      reason:
        'The created VPC only carries agent egress to Buildkite, AWS APIs and package mirrors; flow logs would cost per GB without serving the fleet. Bring a VPC with flow logs (vpc or vpcId) where policy requires them.',
    });
  }
  for (const group of targets.interfaceEndpointGroups) {
    Validations.of(group).acknowledge({
      id: 'AwsSolutions-EC23',
      reason:
        'Interface endpoint group: ingress is TCP 443 from the VPC CIDR only; the rule cannot read the CIDR because it is a CloudFormation reference.',
    });
  }
  if (targets.instanceRolePolicy !== undefined) {
    const { policy, wildcardReasons } = targets.instanceRolePolicy;
    // At synth, when every statement is in: only the wildcards of statements with a stated reason are acknowledged,
    // one finding at a time, so a new wildcard anywhere else still fails the check.
    Aspects.of(policy).add({
      visit(node) {
        if (!(node instanceof iam.CfnPolicy)) return;
        const document = Stack.of(node).resolve(node.policyDocument) as { Statement?: ResolvedStatement[] };
        for (const statement of document.Statement ?? []) {
          const reason = statement.Sid === undefined ? undefined : wildcardReasons[statement.Sid];
          if (reason === undefined || statement.Effect !== 'Allow') continue;
          for (const resource of [statement.Resource].flat()) {
            const flat = nagReferenceText(resource);
            if (flat.includes('*'))
              Validations.of(node).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
          }
        }
      },
    });
  }
  Validations.of(targets.autoScalingGroup).acknowledge(
    {
      id: 'AwsSolutions-AS3',
      reason:
        'No scaling notifications by design: terminations are drained through the lifecycle hook (lifecycled reads instance metadata, no SNS needed), and scaling shows in group metrics and the stack dashboard.',
    },
    {
      id: 'AwsSolutions-EC26',
      reason:
        'The launch template encrypts the root volume (always, optionally with a customer key; agent-fleet.test.ts checks it); the rule cannot follow the launch-template reference.',
    },
  );
}
