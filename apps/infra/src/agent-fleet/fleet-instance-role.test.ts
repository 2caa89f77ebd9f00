import { CfnWaitConditionHandle, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import type { InstanceBrokerEndpoint, InstanceBrokerFleet } from './agent-fleet.js';
import { bootContractFromUserData } from './fleet-boot-contract.js';
import { launchTemplateUserData } from './test-support/decode-user-data.js';
import { onlyResource, SYNTH_TIMEOUT_MS, type SynthesizedFleet, synthFleet } from './test-support/synth-fleet.js';

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const actionsOf = (statement: Statement) => [statement.Action].flat();
const resourcesOf = (statement: Statement) => [statement.Resource].flat();

/** Every statement of every inline policy in the template. */
function statementsOf(fleet: SynthesizedFleet): Statement[] {
  return Object.values(fleet.template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
  );
}

function statementWithSid(fleet: SynthesizedFleet, sid: string): Statement {
  const statement = statementsOf(fleet).find((candidate) => candidate.Sid === sid);
  if (statement === undefined) throw new Error(`no statement ${sid}`);
  return statement;
}

// Written out here rather than imported: the test states the policy, the code must match it. Each has no
// resource-level permission in AWS (Describe calls, Session Manager / Run Command channels, PutMetricData).
const ACTIONS_ALLOWED_ON_EVERY_RESOURCE = [
  'autoscaling:DescribeAutoScalingInstances',
  'autoscaling:DescribeLifecycleHooks',
  'ec2:DescribeTags',
  'ec2:DescribeVolumes',
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
  'cloudwatch:PutMetricData',
];

describe('Construct: FleetInstanceRole (through AgentFleet)', () => {
  let fleet: SynthesizedFleet;
  beforeAll(() => {
    fleet = synthFleet((stack) => ({
      secretsBucketEncryptionKey: new kms.Key(stack, 'SecretsKey'),
      artifactsBucketName: 'ci-artifacts',
      buildCacheBucketEnabled: true,
      agentGitMirrorsEnabled: true,
      gitMirrorSeedBucketName: 'ci-git-seeds',
      agentEnvFileUrl: 'ssm:/ci/agent-env/',
      bootstrapScriptUrl: 's3://ci-boot/bootstrap.sh',
      agentSigningJwksSsmParameterName: '/ci/signing-jwks',
      agentVerificationJwksSsmParameterName: '/ci/verification-jwks',
      ecrAccessPolicy: 'readonly-pullthrough',
      managedPolicyArns: ['arn:aws:iam::123456789012:policy/ci-extra'],
      instanceRolePermissionsBoundaryArn: 'arn:aws:iam::123456789012:policy/ci-boundary',
      instanceRoleName: 'ci-agents',
      instanceRoleTags: { Owner: 'platform' },
    }));
  }, SYNTH_TIMEOUT_MS);

  it('grants "*" only on actions AWS cannot scope', () => {
    // Act
    const unscoped = statementsOf(fleet).filter((statement) => resourcesOf(statement).includes('*'));
    // Assess
    expect(unscoped.length).toBeGreaterThan(0);
    for (const statement of unscoped) {
      for (const action of actionsOf(statement)) expect(ACTIONS_ALLOWED_ON_EVERY_RESOURCE).toContain(action);
    }
    expect(statementsOf(fleet).every((statement) => statement.Effect === 'Allow')).toBe(true);
  });

  it('uses no wildcard actions', () => {
    const actions = statementsOf(fleet).flatMap(actionsOf);
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
  });

  it('limits PutMetricData to the CloudWatch agent namespace', () => {
    expect(statementWithSid(fleet, 'CloudWatchAgentMetrics').Condition).toEqual({
      StringEquals: { 'cloudwatch:namespace': 'CWAgent' },
    });
  });

  it('lets an instance act only on its own group: stack-named ARN, the fleet tag and the stack id', () => {
    // Act
    const statement = statementWithSid(fleet, 'OwnAutoScalingGroup');
    const group = onlyResource(fleet.template, 'AWS::AutoScaling::AutoScalingGroup').properties;
    // Assess
    expect(actionsOf(statement).sort()).toEqual([
      'autoscaling:CompleteLifecycleAction',
      'autoscaling:RecordLifecycleActionHeartbeat',
      'autoscaling:SetInstanceHealth',
      'autoscaling:SetInstanceProtection',
      'autoscaling:TerminateInstanceInAutoScalingGroup',
    ]);
    expect(JSON.stringify(statement.Resource)).toContain(':autoScalingGroup:*:autoScalingGroupName/FleetTest-*');
    // The fleet id is the construct path's, the same in two stacks built from one app ('ci' and 'ci-release', whose
    // group also matches 'ci-*'): the stack id CloudFormation tags every group with keeps each fleet to its own.
    expect(statement.Condition).toEqual({
      StringEquals: {
        'autoscaling:ResourceTag/elastic-ci:fleet': fleet.fleet.fleetId,
        'autoscaling:ResourceTag/aws:cloudformation:stack-id': { Ref: 'AWS::StackId' },
      },
    });
    expect(group.Tags).toEqual(
      expect.arrayContaining([{ Key: 'elastic-ci:fleet', Value: fleet.fleet.fleetId, PropagateAtLaunch: true }]),
    );
  });

  it('lets an instance write only the two instance-state tags, only on itself and only on the fleet’s instances', () => {
    const statement = statementWithSid(fleet, 'OwnInstanceStateTags');
    expect(actionsOf(statement)).toEqual(['ec2:CreateTags', 'ec2:DeleteTags']);
    expect(JSON.stringify(statement.Resource)).toContain(':instance/*');
    // The caller must be the target: its ARN equals the ARN built from the target's own id (a policy variable).
    expect(JSON.stringify(statement.Condition?.ArnEquals)).toMatch(
      /"ec2:SourceInstanceARN":\{"Fn::Join":\["",\["arn:",.*":instance\/\$\{ec2:InstanceID\}"\]\]\}/,
    );
    expect(statement.Condition).toEqual({
      ArnEquals: { 'ec2:SourceInstanceARN': expect.anything() },
      StringEquals: { 'aws:ResourceTag/elastic-ci:fleet': fleet.fleet.fleetId },
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['elastic-ci:idle-since', 'elastic-ci:agent-state'] },
      // DeleteTags without keys deletes every tag, and an empty key list passes ForAllValues: keys must be named.
      Null: { 'aws:TagKeys': 'false' },
      StringEqualsIfExists: { 'aws:RequestTag/elastic-ci:agent-state': ['running', 'stopped'] },
    });
  });

  it('reads SSM parameters only for the token, the JWKS and the agent environment path', () => {
    const ssmStatements = statementsOf(fleet).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('ssm:Get')),
    );
    const parameters = ssmStatements
      .flatMap(resourcesOf)
      .map((resource) => /:parameter(\/[^"]*)"/.exec(JSON.stringify(resource))?.[1])
      .sort();
    expect(parameters).toEqual([
      '/ci/agent-env',
      '/ci/agent-env/*',
      '/ci/signing-jwks',
      '/ci/verification-jwks',
      '/elastic-ci/test/agent-token',
    ]);
    expect(statementWithSid(fleet, 'ReadAgentEnvironmentParameters').Action).toBe('ssm:GetParametersByPath');
  });

  it('only reads the secrets bucket, and decrypts with its key', () => {
    const secretsBucketId = onlyResourceId(fleet, /^FleetBucketsSecretsBucket[0-9A-F]{8}$/);
    const touchingSecrets = statementsOf(fleet).filter((statement) =>
      JSON.stringify(statement.Resource).includes(secretsBucketId),
    );
    expect(touchingSecrets.flatMap(actionsOf).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(actionsOf(statementWithSid(fleet, 'DecryptSecrets'))).toEqual(['kms:Decrypt']);
    expect(JSON.stringify(statementWithSid(fleet, 'DecryptSecrets').Resource)).toContain('SecretsKey');
    // Only through S3 in the bucket's region: a bare kms:Decrypt would let a job decrypt anything made with the key.
    expect(statementWithSid(fleet, 'DecryptSecrets').Condition).toEqual({
      StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
    });
  });

  it(
    'decrypts an existing secrets bucket in another region only through S3 of that region',
    () => {
      const elsewhere = synthFleet((stack) => ({
        secretsBucketName: 'ci-secrets',
        secretsBucketRegion: 'eu-central-1',
        secretsBucketEncryptionKey: kms.Key.fromKeyArn(
          stack,
          'SecretsKey',
          'arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555',
        ),
      }));
      expect(statementWithSid(elsewhere, 'DecryptSecrets').Condition).toEqual({
        StringEquals: { 'kms:ViaService': 's3.eu-central-1.amazonaws.com' },
      });
    },
    SYNTH_TIMEOUT_MS,
  );

  it('reads and writes artifacts and the build cache, reads git seeds under their prefix and the boot script', () => {
    expect(statementWithSid(fleet, 'ReadWriteArtifacts').Resource).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::ci-artifacts/*']],
    });
    expect(actionsOf(statementWithSid(fleet, 'ReadWriteBuildCache'))).toEqual([
      's3:GetObject',
      's3:PutObject',
      's3:DeleteObject',
      's3:AbortMultipartUpload',
    ]);
    expect(statementWithSid(fleet, 'ListGitMirrorSeeds').Condition).toEqual({
      StringLike: { 's3:prefix': 'git-mirror-seeds/*' },
    });
    expect(JSON.stringify(statementWithSid(fleet, 'ReadGitMirrorSeeds').Resource)).toContain(
      'ci-git-seeds/git-mirror-seeds/*',
    );
    expect(JSON.stringify(statementWithSid(fleet, 'ReadBootFiles').Resource)).toContain(':s3:::ci-boot/bootstrap.sh');
  });

  it('writes only the stack’s own log groups', () => {
    const resources = JSON.stringify(statementWithSid(fleet, 'OwnLogGroups').Resource);
    expect(resources).toContain(':log-group:/elastic-ci/FleetTest/*');
    expect(resources).not.toContain('log-group:*');
  });

  it('registers with Session Manager only as an EC2 instance', () => {
    expect(JSON.stringify(statementWithSid(fleet, 'SessionManagerRegistration').Resource)).toContain(':instance/*');
  });

  it('attaches the ECR policy, the pull-through actions on repositories and the extra managed policies', () => {
    const role = onlyResource(fleet.template, 'AWS::IAM::Role').properties;
    expect(JSON.stringify(role.ManagedPolicyArns)).toContain(':iam::aws:policy/AmazonEC2ContainerRegistryReadOnly');
    expect(role.ManagedPolicyArns).toEqual(expect.arrayContaining(['arn:aws:iam::123456789012:policy/ci-extra']));
    expect(JSON.stringify(statementWithSid(fleet, 'EcrPullThroughCache').Resource)).toContain(':repository/*');
    // What a pull through the cache needs on top of the read-only policy (AWS: "IAM permissions required to sync an
    // upstream registry"); no push: a job could overwrite any repository's images with PutImage.
    expect(actionsOf(statementWithSid(fleet, 'EcrPullThroughCache')).sort()).toEqual([
      'ecr:BatchImportUpstreamImage',
      'ecr:CreateRepository',
    ]);
  });

  it('names, bounds and tags the role, trusted by EC2 only', () => {
    fleet.template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'ci-agents',
      PermissionsBoundary: 'arn:aws:iam::123456789012:policy/ci-boundary',
      Tags: Match.arrayWith([{ Key: 'Owner', Value: 'platform' }]),
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' } }],
      },
    });
  });

  it('starts the group only after the role’s policy exists', () => {
    const { id } = onlyResource(fleet.template, 'AWS::AutoScaling::AutoScalingGroup');
    const policyIds = Object.keys(fleet.template.findResources('AWS::IAM::Policy'));
    expect(fleet.template.toJSON().Resources[id].DependsOn).toEqual(expect.arrayContaining(policyIds));
  });

  describe('pipeline signing', () => {
    it(
      'creates a retained ECC signing key and grants sign and verify on it',
      () => {
        // Act
        const signing = synthFleet({ pipelineSigningKmsKeySpec: 'ECC_NIST_P256' });
        // Assess
        const key = onlyResource(signing.template, 'AWS::KMS::Key');
        expect(key.properties).toMatchObject({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
        expect(signing.template.toJSON().Resources[key.id].DeletionPolicy).toBe('Retain');
        const statement = statementWithSid(signing, 'PipelineSigning');
        expect(actionsOf(statement)).toEqual(['kms:Sign', 'kms:Verify', 'kms:GetPublicKey']);
        expect(statement.Resource).toEqual({ 'Fn::GetAtt': [key.id, 'Arn'] });
      },
      SYNTH_TIMEOUT_MS,
    );

    it(
      'grants verify only on a given key, and scopes an alias by a condition',
      () => {
        const byAlias = synthFleet({ pipelineSigningKmsKeyId: 'alias/pipelines', pipelineSigningKmsAccess: 'verify' });
        const statement = statementWithSid(byAlias, 'PipelineSigning');
        expect(actionsOf(statement)).toEqual(['kms:Verify', 'kms:GetPublicKey']);
        expect(statement.Condition).toEqual({ 'ForAnyValue:StringEquals': { 'kms:RequestAlias': 'alias/pipelines' } });
        byAlias.template.resourceCountIs('AWS::KMS::Key', 0);
      },
      SYNTH_TIMEOUT_MS,
    );
  });

  it(
    'builds the key ARN when the signing key is given by id',
    () => {
      const byId = synthFleet({ pipelineSigningKmsKeyId: '0f0e0d0c-0b0a-0908-0706-050403020100' });
      expect(JSON.stringify(statementWithSid(byId, 'PipelineSigning').Resource)).toContain(
        ':key/0f0e0d0c-0b0a-0908-0706-050403020100',
      );
      expect(JSON.stringify(statementWithSid(byId, 'PipelineSigning').Resource)).toContain('{"Ref":"AWS::Region"}');
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'uses an existing role as is: no role, no policy, and the profile names it',
    () => {
      // Act
      const shared = synthFleet({ instanceRoleArn: 'arn:aws:iam::123456789012:role/path/shared-ci' });
      // Assess
      shared.template.resourceCountIs('AWS::IAM::Role', 0);
      shared.template.resourceCountIs('AWS::IAM::Policy', 0);
      shared.template.hasResourceProperties('AWS::IAM::InstanceProfile', { Roles: ['shared-ci'] });
      expect(shared.fleet.instanceRoleCreated).toBe(false);
    },
    SYNTH_TIMEOUT_MS,
  );
});

function onlyResourceId(fleet: SynthesizedFleet, pattern: RegExp): string {
  const ids = Object.keys(fleet.template.toJSON().Resources).filter((id) => pattern.test(id));
  if (ids.length !== 1) throw new Error(`expected one resource id matching ${pattern}, found ${ids.join(', ')}`);
  return ids[0] as string;
}

describe('Construct: AgentFleet with an instance broker', () => {
  const BROKER_URL = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/';
  const AUTO_SCALING_WRITES = [
    'autoscaling:CompleteLifecycleAction',
    'autoscaling:RecordLifecycleActionHeartbeat',
    'autoscaling:SetInstanceHealth',
    'autoscaling:SetInstanceProtection',
    'autoscaling:TerminateInstanceInAutoScalingGroup',
  ];

  /** A broker that records what the fleet told it, and hands back a resource for the group to wait for. */
  function recordingBroker() {
    const served: InstanceBrokerFleet[] = [];
    let dependable: CfnWaitConditionHandle | undefined;
    const endpoint = (stack: Stack): InstanceBrokerEndpoint => ({
      url: BROKER_URL,
      serveFleet(fleet) {
        served.push(fleet);
        dependable = new CfnWaitConditionHandle(stack, 'BrokerReady');
        return dependable;
      },
    });
    return { served, endpoint, dependableId: () => dependable && Stack.of(dependable).resolve(dependable.logicalId) };
  }

  it(
    "gives the role the Auto Scaling writes only on groups without the broker tag, which the fleet's group carries, and the boot contract the broker URL",
    () => {
      // Prepare
      const broker = recordingBroker();

      // Act
      const brokered = synthFleet((stack) => ({ instanceBrokerEndpoint: broker.endpoint(stack) }));

      // Assess
      const writes = statementsOf(brokered).filter((statement) =>
        actionsOf(statement).some((action) => AUTO_SCALING_WRITES.includes(action)),
      );
      expect(writes.map((statement) => [statement.Sid, statement.Condition?.StringNotEquals])).toEqual([
        ['GroupsDeployedBeforeTheBroker', { 'autoscaling:ResourceTag/elastic-ci:instance-broker': 'required' }],
      ]);
      const group = onlyResource(brokered.template, 'AWS::AutoScaling::AutoScalingGroup').properties;
      expect(group.Tags).toContainEqual({
        Key: 'elastic-ci:instance-broker',
        Value: 'required',
        PropagateAtLaunch: false,
      });
      expect(statementsOf(brokered).flatMap(actionsOf)).toContain('ec2:CreateTags');
      const contract = JSON.parse(bootContractFromUserData(launchTemplateUserData(brokered.template)));
      expect(contract.lifecycle.instanceBrokerUrl).toBe(BROKER_URL);
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'tells the broker its role and fleet once, and starts the group only once the broker serves it',
    () => {
      // Prepare
      const broker = recordingBroker();

      // Act
      const brokered = synthFleet((stack) => ({ instanceBrokerEndpoint: broker.endpoint(stack) }));

      // Assess
      const role = onlyResource(brokered.template, 'AWS::IAM::Role');
      expect(broker.served).toHaveLength(1);
      expect(brokered.stack.resolve(broker.served[0])).toEqual({
        instanceRoleArn: { 'Fn::GetAtt': [role.id, 'Arn'] },
        instanceRoleName: { Ref: role.id },
        fleetId: brokered.fleet.fleetId,
      });
      const { id } = onlyResource(brokered.template, 'AWS::AutoScaling::AutoScalingGroup');
      expect(brokered.template.toJSON().Resources[id].DependsOn).toContain(broker.dependableId());
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    "names an imported role to the broker by its name without the path (the assumed-role ARN's form)",
    () => {
      const broker = recordingBroker();
      const roleArn = 'arn:aws:iam::123456789012:role/path/shared-ci';
      const shared = synthFleet((stack) => ({
        instanceRoleArn: roleArn,
        instanceBrokerEndpoint: broker.endpoint(stack),
      }));
      expect(shared.stack.resolve(broker.served[0])).toMatchObject({
        instanceRoleArn: roleArn,
        instanceRoleName: 'shared-ci',
      });
    },
    SYNTH_TIMEOUT_MS,
  );
});
