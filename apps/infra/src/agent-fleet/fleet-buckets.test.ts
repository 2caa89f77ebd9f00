import { parseBootContract } from '@elastic-ci/agent-instance/boot-contract';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { bootContractFromUserData } from './fleet-boot-contract.js';
import { launchTemplateUserData } from './test-support/decode-user-data.js';
import { SYNTH_TIMEOUT_MS, type SynthesizedFleet, synthFleet } from './test-support/synth-fleet.js';

interface PolicyStatement {
  Effect: string;
  Action: string | string[];
  Condition?: Record<string, Record<string, string>>;
  Principal?: unknown;
}

function bucketIds(fleet: SynthesizedFleet, name: string): string[] {
  return Object.keys(fleet.template.findResources('AWS::S3::Bucket')).filter((id) =>
    new RegExp(`^FleetBuckets${name}[0-9A-F]{8}$`).test(id),
  );
}

function bucket(fleet: SynthesizedFleet, name: string) {
  const [id] = bucketIds(fleet, name);
  if (id === undefined) throw new Error(`no ${name}`);
  const resource = fleet.template.toJSON().Resources[id];
  return { id, properties: resource.Properties as Record<string, unknown>, deletionPolicy: resource.DeletionPolicy };
}

function policyStatementsOf(fleet: SynthesizedFleet, bucketId: string): PolicyStatement[] {
  const policies = Object.values(fleet.template.findResources('AWS::S3::BucketPolicy')).filter(
    (policy) => JSON.stringify(policy.Properties.Bucket) === JSON.stringify({ Ref: bucketId }),
  );
  return policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement as PolicyStatement[]);
}

const denyWithoutTls = (statements: PolicyStatement[]) =>
  statements.filter(
    (statement) =>
      statement.Effect === 'Deny' &&
      statement.Action === 's3:*' &&
      statement.Condition?.Bool?.['aws:SecureTransport'] === 'false',
  );

describe('Construct: FleetBuckets (through AgentFleet)', () => {
  describe('by default', () => {
    let fleet: SynthesizedFleet;
    beforeAll(() => {
      fleet = synthFleet();
    }, SYNTH_TIMEOUT_MS);

    it('creates a secrets bucket and its access-log bucket, and no build cache', () => {
      expect(bucketIds(fleet, 'SecretsBucket')).toHaveLength(1);
      expect(bucketIds(fleet, 'AccessLogBucket')).toHaveLength(1);
      expect(bucketIds(fleet, 'BuildCacheBucket')).toHaveLength(0);
    });

    it('blocks public access, versions, encrypts with SSE-S3 and enforces owner-only objects on both', () => {
      for (const name of ['SecretsBucket', 'AccessLogBucket']) {
        expect(bucket(fleet, name).properties).toMatchObject({
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          VersioningConfiguration: { Status: 'Enabled' },
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
          },
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        });
      }
    });

    it('refuses every request without TLS on both buckets', () => {
      for (const name of ['SecretsBucket', 'AccessLogBucket']) {
        expect(denyWithoutTls(policyStatementsOf(fleet, bucket(fleet, name).id))).toHaveLength(1);
      }
    });

    it('logs secrets-bucket access into the log bucket, delivered by a bucket policy, not an ACL', () => {
      const secrets = bucket(fleet, 'SecretsBucket');
      const logs = bucket(fleet, 'AccessLogBucket');
      expect(secrets.properties.LoggingConfiguration).toEqual({
        DestinationBucketName: { Ref: logs.id },
        LogFilePrefix: 'secrets-bucket/',
      });
      expect(logs.properties).not.toHaveProperty('AccessControl');
      const delivery = policyStatementsOf(fleet, logs.id).filter((statement) => statement.Effect === 'Allow');
      expect(delivery).toEqual([
        expect.objectContaining({ Action: 's3:PutObject', Principal: { Service: 'logging.s3.amazonaws.com' } }),
      ]);
    });

    it('retains the buckets when the stack is deleted', () => {
      expect(bucket(fleet, 'SecretsBucket').deletionPolicy).toBe('Retain');
      expect(bucket(fleet, 'AccessLogBucket').deletionPolicy).toBe('Retain');
    });
  });

  describe('with a KMS key and a build cache', () => {
    let fleet: SynthesizedFleet;
    beforeAll(() => {
      fleet = synthFleet((stack) => ({
        secretsBucketEncryptionKey: new kms.Key(stack, 'SecretsKey'),
        buildCacheBucketEnabled: true,
        buildCacheExpiration: Duration.days(14),
        bucketRemovalPolicy: RemovalPolicy.DESTROY,
      }));
    }, SYNTH_TIMEOUT_MS);

    it('encrypts the secrets bucket with the key (bucket key on)', () => {
      expect(bucket(fleet, 'SecretsBucket').properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [expect.stringMatching(/^SecretsKey/), 'Arn'] },
            },
          },
        ],
      });
    });

    it('expires build-cache objects and aborted uploads, TLS only, logged', () => {
      const cache = bucket(fleet, 'BuildCacheBucket');
      expect(cache.properties.LifecycleConfiguration).toEqual({
        Rules: [
          {
            Id: 'ExpireCacheEntries',
            Status: 'Enabled',
            ExpirationInDays: 14,
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
        ],
      });
      expect(cache.properties).toMatchObject({
        LoggingConfiguration: { LogFilePrefix: 'build-cache-bucket/' },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true },
      });
      expect(denyWithoutTls(policyStatementsOf(fleet, cache.id))).toHaveLength(1);
    });

    it('applies the removal policy to every created bucket', () => {
      for (const name of ['SecretsBucket', 'AccessLogBucket', 'BuildCacheBucket']) {
        expect(bucket(fleet, name).deletionPolicy).toBe('Delete');
      }
    });
  });

  it(
    'uses an existing secrets bucket, creating none, and tells the instance its name and region',
    () => {
      // Act
      const fleet = synthFleet({ secretsBucketName: 'team-secrets', secretsBucketRegion: 'eu-west-1' });
      // Assess
      fleet.template.resourceCountIs('AWS::S3::Bucket', 0);
      const contract = parseBootContract(bootContractFromUserData(launchTemplateUserData(fleet.template)));
      expect(contract.secrets).toMatchObject({ bucket: 'team-secrets', region: 'eu-west-1' });
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'creates no bucket and no secrets section with the secrets plugin off',
    () => {
      const fleet = synthFleet({ secretsPluginEnabled: false });
      fleet.template.resourceCountIs('AWS::S3::Bucket', 0);
      const contract = parseBootContract(bootContractFromUserData(launchTemplateUserData(fleet.template)));
      expect(contract.secrets).toBeUndefined();
    },
    SYNTH_TIMEOUT_MS,
  );
});
