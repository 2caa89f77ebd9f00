import { AGENT_STATE_TAG, AGENT_STATES, IDLE_SINCE_TAG } from '@elastic-ci/agent-instance/instance-state-tags';
import { Aws, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, type IConstruct } from 'constructs';
import { AGENT_FLEET_DEFAULTS } from './agent-fleet-defaults.js';
import type { AgentFleetOptions, EcrAccessPolicy } from './agent-fleet-options.js';
import type { FleetBuckets } from './fleet-buckets.js';

/** Tag key on the group whose value identifies this fleet; the instance role's group actions require it. */
export const FLEET_TAG_KEY = 'elastic-ci:fleet';
/**
 * Marks a group whose instances make their Auto Scaling writes through the instance broker (not propagated). A group
 * without it was deployed before the broker was switched on; see the instance role's `GroupsDeployedBeforeTheBroker`.
 */
export const INSTANCE_BROKER_TAG_KEY = 'elastic-ci:instance-broker';
export const INSTANCE_BROKER_TAG_VALUE = 'required';

/**
 * Actions granted on `*` because AWS offers no resource-level permission for them. Every other statement of the
 * created role names its resources; the tests hold the role to this list.
 */
export const UNSCOPED_INSTANCE_ACTIONS = [
  // Describe calls: lifecycled finds its group and hook, the boot and the CloudWatch agent read tags and volumes.
  'autoscaling:DescribeAutoScalingInstances',
  'autoscaling:DescribeLifecycleHooks',
  'ec2:DescribeTags',
  'ec2:DescribeVolumes',
  // Session Manager and Run Command (stop-agents sends its stop command through it) channels.
  'ssmmessages:CreateControlChannel',
  'ssmmessages:CreateDataChannel',
  'ssmmessages:OpenControlChannel',
  'ssmmessages:OpenDataChannel',
  'ec2messages:AcknowledgeMessage',
  'ec2messages:DeleteMessage',
  'ec2messages:FailMessage',
  'ec2messages:GetEndpoint',
  'ec2messages:GetMessages',
  'ec2messages:SendReply',
  // CloudWatch agent metrics (limited to its namespace by a condition).
  'cloudwatch:PutMetricData',
] as const;

const ECR_MANAGED_POLICY: Record<Exclude<EcrAccessPolicy, 'none'>, string> = {
  readonly: 'AmazonEC2ContainerRegistryReadOnly',
  'readonly-pullthrough': 'AmazonEC2ContainerRegistryReadOnly',
  poweruser: 'AmazonEC2ContainerRegistryPowerUser',
  'poweruser-pullthrough': 'AmazonEC2ContainerRegistryPowerUser',
  full: 'AmazonEC2ContainerRegistryFullAccess',
};

/**
 * What pulling through a cache rule needs on top of the read-only policy (AWS: "IAM permissions required to sync an
 * upstream registry"): importing the upstream image, and creating its repository on the first pull. No push actions:
 * with them any job could overwrite the images of every repository in the account (Buildkite's list has them).
 */
const PULL_THROUGH_ACTIONS = ['ecr:CreateRepository', 'ecr:BatchImportUpstreamImage'];

/**
 * The Auto Scaling writes of the instance programs (scale-in protection, lifecycle actions, health, terminate). With
 * the instance broker they are the broker's, made for the calling instance only; without it, the instance role's.
 */
export const INSTANCE_AUTO_SCALING_WRITE_ACTIONS = [
  'autoscaling:CompleteLifecycleAction',
  'autoscaling:RecordLifecycleActionHeartbeat',
  'autoscaling:SetInstanceHealth',
  'autoscaling:SetInstanceProtection',
  'autoscaling:TerminateInstanceInAutoScalingGroup',
] as const;

/**
 * The fleet's own group, as IAM can name it: group names start with the stack name (CloudFormation generates them
 * so), and the tags pin the one fleet: the fleet id (the construct path's, so the same in two stacks of one app,
 * whose names may also share a prefix: 'ci' and 'ci-release') and the stack id CloudFormation tags the group with.
 * The launch template cannot name the group (the group refers to it), and neither can the instance broker (a replaced
 * group's instances still drain through it). One scope for both, so the broker can do no more than the role could.
 */
export function ownAutoScalingGroupScope(
  scope: IConstruct,
  fleetId: string,
): { resources: string[]; conditions: Record<string, Record<string, string>> } {
  const stack = Stack.of(scope);
  return {
    resources: [
      `arn:${Aws.PARTITION}:autoscaling:${Aws.REGION}:${Aws.ACCOUNT_ID}:autoScalingGroup:*:autoScalingGroupName/${stack.stackName}-*`,
    ],
    conditions: {
      StringEquals: {
        [`autoscaling:ResourceTag/${FLEET_TAG_KEY}`]: fleetId,
        'autoscaling:ResourceTag/aws:cloudformation:stack-id': stack.stackId,
      },
    },
  };
}

/** Why each statement with a wildcard resource cannot be narrower (shown to cdk-nag, by `Sid`). */
export const INSTANCE_ROLE_WILDCARD_REASONS: Readonly<Record<string, string>> = {
  OwnAutoScalingGroup:
    'CloudFormation generates the group name ("<stack>-…"), and the launch template cannot refer to the group; the elastic-ci:fleet and aws:cloudformation:stack-id tag conditions pin the one group.',
  GroupsDeployedBeforeTheBroker:
    'As OwnAutoScalingGroup, and only on a group without the elastic-ci:instance-broker tag: the group replaced when the broker was switched on, whose instances drain with direct calls until it is deleted.',
  DescribeOwnSurroundings: 'Describe calls have no resource-level permissions in AWS.',
  SessionManagerChannels:
    'ssmmessages and ec2messages (Session Manager, and Run Command for stop-agents) have no resource-level permissions in AWS.',
  SessionManagerRegistration: 'The calling instance registers itself; its id is not known at synth.',
  CloudWatchAgentMetrics:
    'PutMetricData has no resource-level permissions in AWS; a condition limits it to the CWAgent namespace.',
  OwnInstanceStateTags:
    'The calling instance is not known at synth: a condition requires the target to be the caller itself (ec2:SourceInstanceARN equals the ARN of the target instance id), and allows only the two instance-state tag keys on instances carrying this fleet tag.',
  OwnLogGroups: "Log groups and streams under the stack's own /elastic-ci/<stack>/ prefix only.",
  ReadSecrets: "Objects of the fleet's own secrets bucket, read-only; the hook reads keys named by pipeline.",
  ReadWriteArtifacts: 'Objects of the artifacts bucket the user named; jobs choose the keys.',
  ReadWriteBuildCache: "Objects of the fleet's own build-cache bucket; jobs choose the keys.",
  ReadGitMirrorSeeds: 'Objects under git-mirror-seeds/ of the seed bucket only.',
  ReadAgentEnvironmentParameters: 'Parameters under the agent environment path the user named (read by path).',
  EcrPullThroughCache: 'Pull-through caches create repositories on demand, so their names are not known.',
  PipelineSigning: 'A signing key given as an alias: key/* only together with a kms:RequestAlias condition.',
};

export interface FleetInstanceRoleProps {
  readonly options: AgentFleetOptions;
  readonly buckets: FleetBuckets;
  /** Value of the `elastic-ci:fleet` tag on the fleet's group. */
  readonly fleetId: string;
  /** Log group names the instances write start with this (`/elastic-ci/<stack>/`). */
  readonly logGroupPrefix: string;
  /** The pipeline-signing key (ARN, or an id/alias of the user's key). */
  readonly signingKey: kms.IKey | string | undefined;
  /**
   * The instances make their Auto Scaling writes through the instance broker: the role gets none of
   * {@link INSTANCE_AUTO_SCALING_WRITE_ACTIONS} (IAM cannot limit them to the calling instance; the broker does).
   */
  readonly autoScalingWritesThroughBroker: boolean;
}

/**
 * The instance role (the launch template makes its instance profile). A created role gets only what the instance programs use, each scoped to the
 * fleet's own resources: its group (by tag), its log groups, its buckets, its parameters. A given role is used as
 * is (`grantable` is then a no-op for grants made elsewhere, e.g. the agent token).
 */
export class FleetInstanceRole extends Construct {
  readonly role: iam.IRole;
  /** Whether the fleet created the role (and so may add to it). */
  readonly created: boolean;

  constructor(scope: Construct, id: string, props: FleetInstanceRoleProps) {
    super(scope, id);
    const { options } = props;
    const existingRoleArn = options.instanceRole?.roleArn ?? options.instanceRoleArn;
    if (existingRoleArn !== undefined) {
      // Imported immutable, so no grant anywhere in the stack changes a role the user owns.
      this.role = iam.Role.fromRoleArn(this, 'Role', existingRoleArn, { mutable: false });
      this.created = false;
    } else {
      const role = new iam.Role(this, 'Role', {
        assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
        description: 'elastic-ci agent instances',
        ...(options.instanceRoleName !== undefined ? { roleName: options.instanceRoleName } : {}),
        ...(options.instanceRolePermissionsBoundaryArn !== undefined
          ? {
              permissionsBoundary: iam.ManagedPolicy.fromManagedPolicyArn(
                this,
                'PermissionsBoundary',
                options.instanceRolePermissionsBoundaryArn,
              ),
            }
          : {}),
      });
      for (const [index, arn] of (options.managedPolicyArns ?? []).entries()) {
        role.addManagedPolicy(iam.ManagedPolicy.fromManagedPolicyArn(this, `ManagedPolicy${index}`, arn));
        Validations.of(role).acknowledge({
          id: `AwsSolutions-IAM4[Policy::${arn}]`,
          reason: 'Attached because the user listed it in managedPolicyArns.',
        });
      }
      this.role = role;
      this.created = true;
      this.addStatements(role, props);
    }
  }

  private addStatements(role: iam.Role, props: FleetInstanceRoleProps): void {
    const { options, buckets } = props;
    const allow = (statement: iam.PolicyStatementProps) =>
      role.addToPrincipalPolicy(new iam.PolicyStatement(statement));

    // Without the broker the instance makes its Auto Scaling writes itself, on its own group only; IAM cannot narrow
    // them to the calling instance (no condition key for the target), so any instance of the fleet may act on any other.
    const ownGroup = ownAutoScalingGroupScope(this, props.fleetId);
    if (!props.autoScalingWritesThroughBroker) {
      allow({ sid: 'OwnAutoScalingGroup', actions: [...INSTANCE_AUTO_SCALING_WRITE_ACTIONS], ...ownGroup });
    } else {
      // With the broker, only on a group deployed before it: switching the broker on changes the boot contract, so the
      // group is replaced, and the old group's instances — still on the old contract — drain with direct calls. Were
      // their heartbeats and completions refused, a running job would die when its hook timed out. The stack's own
      // group carries the broker tag (the role cannot change group tags), so this grants nothing once the replaced
      // group is drained and deleted, and nothing at all in a stack deployed with the broker. `StringNotEquals` matches
      // a group without the tag: IAM evaluates a negated operator as true when the key is missing from the request.
      allow({
        sid: 'GroupsDeployedBeforeTheBroker',
        actions: [...INSTANCE_AUTO_SCALING_WRITE_ACTIONS],
        resources: ownGroup.resources,
        conditions: {
          ...ownGroup.conditions,
          StringNotEquals: {
            [`autoscaling:ResourceTag/${INSTANCE_BROKER_TAG_KEY}`]: INSTANCE_BROKER_TAG_VALUE,
          },
        },
      });
    }

    // The instance → scaler contract: an instance records its idle time and agent state in two tags on itself, and
    // may tag nothing else. Itself: the caller (`ec2:SourceInstanceARN`, set for calls signed with the instance
    // profile's credentials) must be the target instance (`ec2:InstanceID` of the resource, as a policy variable);
    // IAM refuses a bare `${ec2:SourceInstanceARN}` as a Resource (not in ARN format), and `aws:ARN` is no supported
    // condition key. Only our two keys, and at least one named: DeleteTags without keys deletes every tag of the
    // instance (the fleet tag too), and `ForAllValues` alone allows that (an empty key list satisfies it). The agent
    // state only with its known values. `ec2:CreateAction` is not used: it is only set when tags come with a creating
    // call (RunInstances …), which this role cannot make. The fleet tag stays as a second fence.
    const instances = `arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:instance/`;
    allow({
      sid: 'OwnInstanceStateTags',
      actions: ['ec2:CreateTags', 'ec2:DeleteTags'],
      resources: [`${instances}*`],
      conditions: {
        ArnEquals: { 'ec2:SourceInstanceARN': `${instances}\${ec2:InstanceID}` },
        StringEquals: { [`aws:ResourceTag/${FLEET_TAG_KEY}`]: props.fleetId },
        'ForAllValues:StringEquals': { 'aws:TagKeys': [IDLE_SINCE_TAG, AGENT_STATE_TAG] },
        Null: { 'aws:TagKeys': 'false' },
        StringEqualsIfExists: { [`aws:RequestTag/${AGENT_STATE_TAG}`]: [...AGENT_STATES] },
      },
    });
    // No resource-level permissions exist for these (see UNSCOPED_INSTANCE_ACTIONS).
    allow({
      sid: 'DescribeOwnSurroundings',
      actions: UNSCOPED_INSTANCE_ACTIONS.filter((action) => /:Describe/.test(action)),
      resources: ['*'],
    });
    allow({
      sid: 'SessionManagerChannels',
      actions: UNSCOPED_INSTANCE_ACTIONS.filter((action) => /^(ssmmessages|ec2messages):/.test(action)),
      resources: ['*'],
    });
    allow({
      sid: 'SessionManagerRegistration',
      actions: ['ssm:UpdateInstanceInformation'],
      resources: [`arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:instance/*`],
    });
    allow({
      sid: 'CloudWatchAgentMetrics',
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': 'CWAgent' } },
    });
    const logGroups = `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:${props.logGroupPrefix}*`;
    allow({
      sid: 'OwnLogGroups',
      actions: [
        'logs:CreateLogGroup',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'logs:DescribeLogStreams',
        'logs:PutRetentionPolicy',
      ],
      resources: [logGroups, `${logGroups}:log-stream:*`],
    });

    if (buckets.secretsBucket !== undefined) {
      allow({ sid: 'ListSecrets', actions: ['s3:ListBucket'], resources: [buckets.secretsBucket.bucketArn] });
      allow({ sid: 'ReadSecrets', actions: ['s3:GetObject'], resources: [buckets.secretsBucket.arnForObjects('*')] });
      if (options.secretsBucketEncryptionKey !== undefined) {
        allow({
          sid: 'DecryptSecrets',
          actions: ['kms:Decrypt'],
          resources: [options.secretsBucketEncryptionKey.keyArn],
          // Only as S3 reading the bucket (in its own region): a bare kms:Decrypt would let a job decrypt anything
          // made with the key.
          conditions: {
            StringEquals: { 'kms:ViaService': `s3.${options.secretsBucketRegion ?? Aws.REGION}.amazonaws.com` },
          },
        });
      }
    }
    if (buckets.artifactsBucket !== undefined) {
      allow({
        sid: 'ListArtifacts',
        actions: ['s3:ListBucket', 's3:GetBucketLocation'],
        resources: [buckets.artifactsBucket.bucketArn],
      });
      allow({
        sid: 'ReadWriteArtifacts',
        actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:PutObjectAcl', 's3:PutObjectVersionAcl'],
        resources: [buckets.artifactsBucket.arnForObjects('*')],
      });
    }
    if (buckets.buildCacheBucket !== undefined) {
      allow({ sid: 'ListBuildCache', actions: ['s3:ListBucket'], resources: [buckets.buildCacheBucket.bucketArn] });
      allow({
        sid: 'ReadWriteBuildCache',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        resources: [buckets.buildCacheBucket.arnForObjects('*')],
      });
    }
    if (buckets.gitMirrorSeedBucket !== undefined) {
      allow({
        sid: 'ListGitMirrorSeeds',
        actions: ['s3:ListBucket'],
        resources: [buckets.gitMirrorSeedBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': 'git-mirror-seeds/*' } },
      });
      allow({
        sid: 'ReadGitMirrorSeeds',
        actions: ['s3:GetObject'],
        resources: [buckets.gitMirrorSeedBucket.arnForObjects('git-mirror-seeds/*')],
      });
    }

    const fetchedObjects = [options.agentEnvFileUrl, options.bootstrapScriptUrl, options.authorizedUsersUrl]
      .filter((url): url is string => url?.startsWith('s3://') === true)
      .map((url) => `arn:${Aws.PARTITION}:s3:::${url.slice('s3://'.length)}`);
    if (fetchedObjects.length > 0) {
      allow({ sid: 'ReadBootFiles', actions: ['s3:GetObject'], resources: fetchedObjects });
    }
    if (options.agentEnvFileUrl?.startsWith('ssm:') === true) {
      const path = options.agentEnvFileUrl.slice('ssm:'.length).replace(/\/+$/, '');
      allow({
        sid: 'ReadAgentEnvironmentParameters',
        actions: ['ssm:GetParametersByPath'],
        resources: [ssmParameterArn(path), ssmParameterArn(`${path}/*`)],
      });
    }

    const jwksParameters = [options.agentSigningJwksSsmParameterName, options.agentVerificationJwksSsmParameterName]
      .filter((name): name is string => name !== undefined)
      .map(ssmParameterArn);
    if (jwksParameters.length > 0) {
      // Buildkite added no permission for these parameters; the agent cannot start without them.
      allow({ sid: 'ReadSigningKeys', actions: ['ssm:GetParameter'], resources: jwksParameters });
    }
    if (props.signingKey !== undefined) {
      const access = options.pipelineSigningKmsAccess ?? 'sign-and-verify';
      const actions =
        access === 'verify' ? ['kms:Verify', 'kms:GetPublicKey'] : ['kms:Sign', 'kms:Verify', 'kms:GetPublicKey'];
      const key = props.signingKey;
      if (typeof key !== 'string') {
        allow({ sid: 'PipelineSigning', actions, resources: [key.keyArn] });
      } else if (key.includes('alias/')) {
        // An alias names no key ARN at synth: allow the account's keys, but only when called through that alias.
        allow({
          sid: 'PipelineSigning',
          actions,
          resources: [`arn:${Aws.PARTITION}:kms:${Aws.REGION}:${Aws.ACCOUNT_ID}:key/*`],
          conditions: { 'ForAnyValue:StringEquals': { 'kms:RequestAlias': key.slice(key.indexOf('alias/')) } },
        });
      } else {
        const keyArn = key.startsWith('arn:')
          ? key
          : `arn:${Aws.PARTITION}:kms:${Aws.REGION}:${Aws.ACCOUNT_ID}:key/${key}`;
        allow({ sid: 'PipelineSigning', actions, resources: [keyArn] });
      }
    }

    const ecrAccessPolicy = options.ecrAccessPolicy ?? AGENT_FLEET_DEFAULTS.ecrAccessPolicy;
    if (ecrAccessPolicy !== 'none') {
      role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName(ECR_MANAGED_POLICY[ecrAccessPolicy]));
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${ECR_MANAGED_POLICY[ecrAccessPolicy]}]`,
        reason: `ecrAccessPolicy "${ecrAccessPolicy}" chooses this AWS managed ECR policy (Buildkite's ECRAccessPolicy); AWS keeps it current with new ECR actions.`,
      });
      if (ecrAccessPolicy.endsWith('-pullthrough')) {
        allow({
          sid: 'EcrPullThroughCache',
          actions: PULL_THROUGH_ACTIONS,
          resources: [`arn:${Aws.PARTITION}:ecr:${Aws.REGION}:${Aws.ACCOUNT_ID}:repository/*`],
        });
      }
    }
  }
}

/** `arn:…:ssm:<region>:<account>:parameter/<name without its leading slash>`. */
function ssmParameterArn(name: string): string {
  return `arn:${Aws.PARTITION}:ssm:${Aws.REGION}:${Aws.ACCOUNT_ID}:parameter/${name.replace(/^\//, '')}`;
}
