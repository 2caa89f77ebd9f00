import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
  SuspendProcessesCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, ListMetricsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { awsClientConfig } from './aws-client-config';
import { createMotoAutoScalingGroup } from './moto-auto-scaling-group';

// The calls the product makes, each through a real SDK v3 client against moto.
describe('Harness: moto answers the AWS calls elastic-ci makes', () => {
  it('stores and reads back an S3 object encrypted with a KMS key created in moto', async () => {
    // Prepare
    const kms = new KMSClient(awsClientConfig());
    const s3 = new S3Client(awsClientConfig());
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'secrets bucket key' }));
    const keyId = KeyMetadata?.KeyId;
    expect(keyId).toMatch(/^[0-9a-f-]{36}$/);
    await s3.send(new CreateBucketCommand({ Bucket: 'elastic-ci-secrets' }));

    // Act
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'elastic-ci-secrets',
        Key: 'pipeline/env',
        Body: 'DEPLOY_TOKEN=canary-not-a-secret\n',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: keyId,
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: 'elastic-ci-secrets', Key: 'pipeline/env' }));

    // Assess
    expect(put.ServerSideEncryption).toBe('aws:kms');
    expect(got.ServerSideEncryption).toBe('aws:kms');
    expect(got.SSEKMSKeyId).toContain(keyId);
    expect(await got.Body?.transformToString()).toBe('DEPLOY_TOKEN=canary-not-a-secret\n');
  });

  it('puts an SSM SecureString and reads it back decrypted', async () => {
    const ssm = new SSMClient(awsClientConfig());
    await ssm.send(
      new PutParameterCommand({ Name: '/elastic-ci/agent-token', Value: 'canary-token', Type: 'SecureString' }),
    );

    const encrypted = await ssm.send(new GetParameterCommand({ Name: '/elastic-ci/agent-token' }));
    const decrypted = await ssm.send(
      new GetParameterCommand({ Name: '/elastic-ci/agent-token', WithDecryption: true }),
    );

    expect(encrypted.Parameter?.Type).toBe('SecureString');
    expect(encrypted.Parameter?.Value).not.toBe('canary-token');
    expect(decrypted.Parameter?.Value).toBe('canary-token');
  });

  it('creates an Auto Scaling group, sets its desired capacity and suspends AZRebalance', async () => {
    const autoScaling = new AutoScalingClient(awsClientConfig());
    await createMotoAutoScalingGroup({ name: 'agents', maxSize: 10 });

    await autoScaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: 'agents', DesiredCapacity: 3, HonorCooldown: false }),
    );
    await autoScaling.send(
      new SuspendProcessesCommand({ AutoScalingGroupName: 'agents', ScalingProcesses: ['AZRebalance'] }),
    );
    const { AutoScalingGroups } = await autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['agents'] }),
    );

    const group = AutoScalingGroups?.[0];
    expect(group?.DesiredCapacity).toBe(3);
    expect(group?.Instances).toHaveLength(3);
    expect(group?.SuspendedProcesses?.map((process) => process.ProcessName)).toEqual(['AZRebalance']);
  });

  it('accepts CloudWatch metric data', async () => {
    const cloudWatch = new CloudWatchClient(awsClientConfig());
    await cloudWatch.send(
      new PutMetricDataCommand({
        Namespace: 'Buildkite',
        MetricData: [
          {
            MetricName: 'ScheduledJobsCount',
            Value: 4,
            Unit: 'Count',
            Dimensions: [{ Name: 'Queue', Value: 'default' }],
          },
        ],
      }),
    );

    const { Metrics } = await cloudWatch.send(new ListMetricsCommand({ Namespace: 'Buildkite' }));

    expect(Metrics?.map((metric) => metric.MetricName)).toEqual(['ScheduledJobsCount']);
  });

  it('issues an ECR authorization token that decodes to AWS:<password>', async () => {
    const ecr = new ECRClient(awsClientConfig());

    const { authorizationData } = await ecr.send(new GetAuthorizationTokenCommand({}));

    const token = authorizationData?.[0]?.authorizationToken ?? '';
    expect(Buffer.from(token, 'base64').toString('utf8')).toMatch(/^AWS:.+/);
    expect(authorizationData?.[0]?.proxyEndpoint).toMatch(/^https:\/\/\d{12}\.dkr\.ecr\.us-east-1\.amazonaws\.com$/);
  });
});
