import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { AgentFleet, type AgentFleetProps } from './agent-fleet.js';
import { SYNTH_TIMEOUT_MS, testAgentToken } from './test-support/synth-fleet.js';

/** Synthesizes a fleet under cdk-nag's AwsSolutions pack; returns the report text, or undefined when clean. */
function nagReport(options: (stack: Stack) => Partial<AgentFleetProps>, extend?: (fleet: AgentFleet) => void) {
  const app = new App();
  const stack = new Stack(app, 'NagTest');
  const fleet = new AgentFleet(stack, 'Fleet', { agentToken: testAgentToken(), ...options(stack) });
  extend?.(fleet);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('cdk-nag AwsSolutions on the fleet', () => {
  it(
    'finds nothing unacknowledged with the defaults',
    () => {
      expect(nagReport(() => ({}))).toBeUndefined();
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'finds nothing unacknowledged with every resource-creating option',
    () => {
      const report = nagReport((stack) => ({
        buildCacheBucketEnabled: true,
        secretsBucketEncryptionKey: new kms.Key(stack, 'SecretsKey', { enableKeyRotation: true }),
        vpcGatewayEndpoints: ['s3', 'dynamodb'],
        vpcInterfaceEndpoints: ['ssm', 'ssmmessages', 'ec2messages'],
        pipelineSigningKmsKeySpec: 'ECC_NIST_P256',
        artifactsBucketName: 'ci-artifacts',
        agentGitMirrorsEnabled: true,
        gitMirrorSeedBucketName: 'ci-seeds',
        agentEnvFileUrl: 'ssm:/ci/env',
        ecrAccessPolicy: 'poweruser-pullthrough',
        managedPolicyArns: ['arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess'],
        sshIngressCidrs: ['192.0.2.0/24'],
        instanceTypes: ['m7i.large'],
        warmPoolEnabled: true,
        scheduledScalingActions: [{ name: 'Morning', schedule: '0 8 * * MON-FRI', minSize: 1 }],
      }));
      expect(report).toBeUndefined();
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'still reports a wildcard that has no stated reason',
    () => {
      const report = nagReport(
        () => ({}),
        (fleet) =>
          fleet.instanceRole.addToPrincipalPolicy(
            new iam.PolicyStatement({
              sid: 'Unexplained',
              actions: ['s3:GetObject'],
              resources: ['arn:aws:s3:::other/*'],
            }),
          ),
      );
      expect(report).toContain('AwsSolutions-IAM5[Resource::arn:aws:s3:::other/*]');
    },
    SYNTH_TIMEOUT_MS,
  );
});
