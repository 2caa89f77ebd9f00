import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ElasticCiStack } from '../elastic-ci-stack';
import type { ElasticCiStackProps } from '../elastic-ci-stack-props';

/** A value in a synthesized template: untyped JSON that tests index into freely. */
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON has no useful static type here
export type TemplateValue = any;

/** The smallest valid props: an existing token parameter, everything else defaulted. */
export const MINIMAL_PROPS: ElasticCiStackProps = { agentTokenParameterName: '/buildkite/agent-token' };

export interface SynthesizedStack {
  readonly app: cdk.App;
  readonly stack: ElasticCiStack;
  readonly template: Template;
  /** The template as CloudFormation reads it. */
  readonly json: Record<string, TemplateValue>;
  /** The cloud assembly directory (template, asset manifest, staged assets). */
  readonly outdir: string;
}

/** Builds one stack in its own app and cloud assembly directory. */
export function synthesizeStack(props: ElasticCiStackProps, stackName = 'elastic-ci-test'): SynthesizedStack {
  const outdir = mkdtempSync(join(tmpdir(), 'elastic-ci-infra-test-'));
  // cfn-lint.test.ts lints the templates with the real cfn-lint; CDK's built-in copy would only slow every test.
  const app = new cdk.App({ outdir, builtinCloudFormationValidation: false });
  const stack = new ElasticCiStack(app, stackName, props);
  const assembly = app.synth();
  const json = assembly.getStackByName(stack.stackName).template as Record<string, TemplateValue>;
  return { app, stack, template: Template.fromJSON(json), json, outdir };
}

/** Resources of one type, by logical id. */
export function resourcesOfType(json: Record<string, TemplateValue>, type: string): Record<string, TemplateValue> {
  return Object.fromEntries(
    Object.entries(json.Resources as Record<string, TemplateValue>).filter(([, resource]) => resource.Type === type),
  );
}

/** Every control-plane option set to a non-default value (the fleet's options join when its construct lands). */
export const MAXIMAL_CONTROL_PLANE_PROPS: ElasticCiStackProps = {
  agentTokenFromDeployParameter: true,
  // 'buildkite' changes nothing: the maximal stack sets every option itself (the other profile has its own tests).
  scalingProfile: 'buildkite',
  queue: 'builds-arm',
  agentEndpoint: 'https://agent.buildkite.com/v3',
  minSize: 1,
  maxSize: 40,
  agentsPerInstance: 2,
  scaleOutFactor: 1.5,
  scaleInFactor: 0.5,
  scaleOutCooldownSec: 120,
  scaleInCooldownSec: 900,
  scaleOnlyAfterAllEvent: true,
  includeWaitingJobs: true,
  instanceBuffer: 2,
  maxInstanceCap: 30,
  availabilityThreshold: 0.25,
  disableScaleIn: false,
  disableScaleOut: false,
  elasticCiMode: true,
  staleMetricsAfterSec: 180,
  scaleInStrategy: 'drain',
  scaleInOrder: 'longest-idle-first',
  scaleInMinRunningTimeSec: 600,
  idleAgentCount: 1,
  growthThrottleLaunchesPerSec: 0.5,
  growthThrottleBurst: 5,
  scalerPolicies: { overProvision: { strategy: 'percent', percent: 10 } },
  warmPoolEnabled: true,
  warmPoolMinSize: 2,
  warmPoolScalerManaged: true,
  warmPoolPrepareForWaitingJobs: true,
  scalerScheduleIntervalSec: 120,
  scalerPollIntervalSec: 15,
  scalerInvocationBudgetSec: 100,
  scalerStartupJitterMaxSec: 5,
  scalerLeaseEnabled: true,
  scalerLeaseTtlSec: 45,
  scalerLeaseWaitSec: 15,
  scalerManagedPolicyArns: ['arn:aws:iam::123456789012:policy/scaler-extra'],
  zombieCheckEnabled: true,
  zombieGracePeriod: cdk.Duration.minutes(15),
  zombieMaxInstancesPerPass: 5,
  webhookEnabled: true,
  webhookAllowTokenHeader: true,
  webhookReplayWindowSec: 120,
  webhookReservedConcurrency: 50,
  azRebalancingSuspenderEnabled: true,
  stopAgentsEnabled: true,
  stopAgentsDrainTimeoutSec: 1800,
  stopAgentsPollIntervalSec: 30,
  stopAgentsOnDrainTimeout: 'succeed',
  logRetentionDays: 90,
  dashboardEnabled: true,
  lambdaArchitecture: 'x86_64',
  rolePermissionsBoundaryArn: 'arn:aws:iam::123456789012:policy/ci-boundary',
  tags: { CostCenter: 'ci' },
};

/** Every option of the whole stack set: the control plane's above plus the fleet's (a warm-pool fleet: one type). */
export const MAXIMAL_PROPS: ElasticCiStackProps = {
  ...MAXIMAL_CONTROL_PLANE_PROPS,
  instanceTypes: ['m7g.xlarge'],
  imageIdSsmParameterName: '/ci/images/agent-arm64',
  capacityRebalance: true,
  maxInstanceLifetime: cdk.Duration.days(7),
  httpPutResponseHopLimit: 2,
  rootVolumeSizeGiB: 100,
  rootVolumeType: 'gp3',
  rootVolumeIops: 6000,
  rootVolumeThroughputMiBps: 250,
  vpcGatewayEndpoints: ['s3', 'dynamodb'],
  vpcInterfaceEndpoints: ['ecr.api', 'ecr.dkr', 'ssm', 'ssmmessages', 'ec2messages', 'secretsmanager', 'kms', 'logs'],
  sshIngressCidrs: ['192.0.2.0/24'],
  keyPairName: 'ci-admins',
  instanceRolePermissionsBoundaryArn: 'arn:aws:iam::123456789012:policy/ci-boundary',
  managedPolicyArns: ['arn:aws:iam::123456789012:policy/ci-extra'],
  instanceRoleTags: { Team: 'ci' },
  ecrAccessPolicy: 'poweruser-pullthrough',
  buildCacheBucketEnabled: true,
  artifactsBucketName: 'ci-artifacts',
  agentGitMirrorsEnabled: true,
  gitMirrorSeedBucketName: 'ci-git-seeds',
  pipelineSigningKmsKeySpec: 'ECC_NIST_P256',
  agentTags: { os: 'linux', size: 'xl' },
  agentEnvFileUrl: 'ssm:/ci/agent-env',
  dockerUserNamespaceRemap: false,
  dockerIpv4AddressPools: ['172.30.0.0/16'],
  terminationGracePeriod: cdk.Duration.minutes(90),
  warmPoolState: 'Stopped',
  warmPoolReuseOnScaleIn: true,
  scheduledScalingActions: [
    { name: 'WorkdayStart', schedule: '0 8 * * MON-FRI', timeZone: 'Europe/Berlin', minSize: 4 },
    { name: 'WorkdayEnd', schedule: '0 19 * * MON-FRI', timeZone: 'Europe/Berlin', minSize: 1 },
  ],
  costAllocationTags: { CostCenter: 'ci' },
};
