import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ElasticCiStack } from './elastic-ci-stack';
import type { ElasticCiStackProps } from './elastic-ci-stack-props';
import { MAXIMAL_PROPS, MINIMAL_PROPS } from './test-support/synthesize';

const SYNTH_TIMEOUT_MS = 300_000;

/** Synthesizes the whole stack under cdk-nag's AwsSolutions pack; the report text, or undefined when clean. */
function nagReport(props: ElasticCiStackProps, extend?: (stack: ElasticCiStack) => void): string | undefined {
  const app = new cdk.App({ builtinCloudFormationValidation: false });
  const stack = new ElasticCiStack(app, 'elastic-ci-nag', props);
  extend?.(stack);
  cdk.Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('cdk-nag AwsSolutions on the whole stack', () => {
  it(
    'finds nothing unacknowledged with the defaults',
    () => {
      expect(nagReport(MINIMAL_PROPS)).toBeUndefined();
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'finds nothing unacknowledged with every option set',
    () => {
      expect(nagReport(MAXIMAL_PROPS)).toBeUndefined();
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    "finds nothing unacknowledged with scalingProfile 'elastic-ci' (warm pool, drain, scaler-managed pool)",
    () => {
      expect(nagReport({ ...MINIMAL_PROPS, scalingProfile: 'elastic-ci' })).toBeUndefined();
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'finds nothing unacknowledged with instanceBroker: false (the instance role makes the Auto Scaling writes)',
    () => {
      expect(nagReport({ ...MINIMAL_PROPS, instanceBroker: false })).toBeUndefined();
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'still reports a control-plane wildcard nobody justified',
    () => {
      const report = nagReport(MINIMAL_PROPS, (stack) =>
        stack.lifecycleResources.suspenderFunction?.role.addToPrincipalPolicy(
          new iam.PolicyStatement({ actions: ['ec2:TerminateInstances'], resources: ['*'] }),
        ),
      );
      expect(report).toContain('AwsSolutions-IAM5[Resource::*]');
    },
    SYNTH_TIMEOUT_MS,
  );
});
