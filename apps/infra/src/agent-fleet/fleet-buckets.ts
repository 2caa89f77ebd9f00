import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AGENT_FLEET_DEFAULTS } from './agent-fleet-defaults.js';
import type { AgentFleetOptions } from './agent-fleet-options.js';
import { cdkUpcast } from './cdk-upcast.js';

/**
 * The fleet's buckets: the secrets bucket (created, or the user's), the access-log bucket of every created bucket,
 * the optional build-cache bucket, and the user's artifacts and git-mirror-seed buckets as references for the grants.
 *
 * Every created bucket: all public access blocked, TLS only, encrypted, owner-enforced objects, and (except the log
 * bucket itself) server access logs into the log bucket.
 */
/** What the grants and the boot contract need of a bucket, created or referenced. */
export type BucketReference = Pick<s3.IBucket, 'bucketName' | 'bucketArn' | 'arnForObjects'>;

export class FleetBuckets extends Construct {
  /** Read by the S3 secrets hooks; undefined when the secrets plugin is off. */
  readonly secretsBucket: BucketReference | undefined;
  /** Server access logs of the created buckets; undefined when the fleet creates none. */
  readonly accessLogBucket: s3.Bucket | undefined;
  readonly buildCacheBucket: s3.Bucket | undefined;
  readonly artifactsBucket: BucketReference | undefined;
  readonly gitMirrorSeedBucket: BucketReference | undefined;

  constructor(scope: Construct, id: string, options: AgentFleetOptions) {
    super(scope, id);
    // Log delivery through a bucket policy, not the LogDeliveryWrite ACL: the buckets stay owner-enforced (no ACLs)
    // whatever feature flags the surrounding app sets.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const removalPolicy = options.bucketRemovalPolicy ?? RemovalPolicy.RETAIN;
    const secretsPluginEnabled = options.secretsPluginEnabled ?? AGENT_FLEET_DEFAULTS.secretsPluginEnabled;
    const createsSecretsBucket = secretsPluginEnabled && options.secretsBucketName === undefined;
    const createsBuildCache = options.buildCacheBucketEnabled === true;

    const accessLogBucket =
      createsSecretsBucket || createsBuildCache
        ? new s3.Bucket(this, 'AccessLogBucket', {
            ...privateBucketBasics(removalPolicy),
            // S3 delivers server access logs only into SSE-S3 buckets.
            encryption: s3.BucketEncryption.S3_MANAGED,
            versioned: true,
          })
        : undefined;
    this.accessLogBucket = accessLogBucket;
    const accessLogsInto = (prefix: string) =>
      accessLogBucket === undefined
        ? {}
        : { serverAccessLogsBucket: cdkUpcast<s3.IBucket>(accessLogBucket), serverAccessLogsPrefix: prefix };

    if (createsSecretsBucket) {
      this.secretsBucket = new s3.Bucket(this, 'SecretsBucket', {
        ...privateBucketBasics(removalPolicy),
        ...(options.secretsBucketEncryptionKey !== undefined
          ? {
              encryption: s3.BucketEncryption.KMS,
              encryptionKey: options.secretsBucketEncryptionKey,
              bucketKeyEnabled: true,
            }
          : { encryption: s3.BucketEncryption.S3_MANAGED }),
        versioned: true,
        ...accessLogsInto('secrets-bucket/'),
      });
    } else if (secretsPluginEnabled && options.secretsBucketName !== undefined) {
      this.secretsBucket = s3.Bucket.fromBucketName(this, 'SecretsBucket', options.secretsBucketName);
    } else {
      this.secretsBucket = undefined;
    }

    this.buildCacheBucket = createsBuildCache
      ? new s3.Bucket(this, 'BuildCacheBucket', {
          ...privateBucketBasics(removalPolicy),
          encryption: s3.BucketEncryption.S3_MANAGED,
          ...accessLogsInto('build-cache-bucket/'),
          lifecycleRules: [
            {
              id: 'ExpireCacheEntries',
              expiration: options.buildCacheExpiration ?? AGENT_FLEET_DEFAULTS.buildCacheExpiration,
              abortIncompleteMultipartUploadAfter: Duration.days(1),
            },
          ],
        })
      : undefined;

    this.artifactsBucket =
      options.artifactsBucketName !== undefined
        ? s3.Bucket.fromBucketName(this, 'ArtifactsBucket', options.artifactsBucketName)
        : undefined;
    this.gitMirrorSeedBucket =
      options.gitMirrorSeedBucketName !== undefined
        ? s3.Bucket.fromBucketName(this, 'GitMirrorSeedBucket', options.gitMirrorSeedBucketName)
        : undefined;
  }
}

function privateBucketBasics(removalPolicy: RemovalPolicy) {
  return {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy,
  } satisfies s3.BucketProps;
}
