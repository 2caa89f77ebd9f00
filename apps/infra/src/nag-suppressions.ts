import { type Stack, Validations } from 'aws-cdk-lib';

/**
 * cdk-nag AwsSolutions findings we accept, each with the reason (cdk-nag 3 reads CDK's own acknowledgements).
 * Stack-wide only where the finding is about a deliberate choice that holds for every resource of its kind.
 */
export function addNagSuppressions(stack: Stack): void {
  Validations.of(stack).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      'The control-plane bundles are built and tested for nodejs22.x (packages/*/tsup.config.ts target node22); the runtime moves with them, not ahead of them.',
  });
}
