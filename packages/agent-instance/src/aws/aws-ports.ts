import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingInstancesCommand,
  SetInstanceHealthCommand,
} from '@aws-sdk/client-auto-scaling';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { withRetries } from '../protection/retry.js';
import { type Clock, systemClock } from './clock.js';
import {
  type BrokerCall,
  type InstanceBrokerClient,
  type InstanceBrokerClientFactory,
  lazyInstanceBrokerClient,
} from './instance-broker.js';

/** The AWS calls the instance-side commands make, as a port (fakes in unit tests, moto in integration tests). */
export interface InstanceAws {
  /** Value of a parameter, decrypted (`/aws/reference/secretsmanager/…` names work too). */
  getParameter(name: string): Promise<string>;
  /** Every parameter under a path, recursively, decrypted. */
  getParametersByPath(path: string): Promise<Array<{ name: string; value: string }>>;
  getSecretString(secretId: string): Promise<string>;
  getS3Object(bucket: string, key: string): Promise<string>;
  /** Every key under the prefix (all pages). */
  listS3Keys(bucket: string, prefix: string): Promise<string[]>;
  /** Streams an object into a new file (mode 0600; refuses an existing file): archives may be large. */
  downloadS3Object(bucket: string, key: string, path: string): Promise<void>;
  /**
   * `SetInstanceHealth Unhealthy`, not waiting for the grace period: the group replaces the instance. Through the
   * instance broker, the group is needed (`groupName`, else `DescribeAutoScalingInstances`).
   */
  setInstanceUnhealthy(instanceId: string, groupName?: string): Promise<void>;
  /**
   * `CompleteLifecycleAction` for the instance (group from `groupName`, else `DescribeAutoScalingInstances`).
   * `no-pending-action`: the instance waits in no action of that hook (a reboot, a later start, no group), which is
   * no failure.
   */
  completeLifecycleAction(action: LifecycleActionCompletion): Promise<'completed' | 'no-pending-action'>;
}

export interface LifecycleActionCompletion {
  readonly instanceId: string;
  readonly hookName: string;
  readonly result: 'CONTINUE' | 'ABANDON';
  readonly groupName?: string | undefined;
}

/** Auto Scaling's answer when the instance waits in no lifecycle action of the hook. */
export function isNoPendingLifecycleAction(error: unknown): boolean {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  return name === 'ValidationError' && typeof message === 'string' && /no active lifecycle action/i.test(message);
}

/** Where the instance's Auto Scaling writes go: Auto Scaling itself (absent), or the stack's instance broker. */
export interface InstanceAwsOptions {
  /** The boot contract's `lifecycle.instanceBrokerUrl`. */
  readonly instanceBrokerUrl?: string | undefined;
  /** Injected for tests; default: the real broker client, loaded on its first call. */
  readonly brokerClient?: InstanceBrokerClientFactory;
  /** The clock broker calls are retried on. @default systemClock */
  readonly clock?: Clock;
}

export class AwsValueMissingError extends Error {
  override name = 'AwsValueMissingError';
}

/** The SDK client settings these adapters set beyond the SDK's usual sources; tests add an endpoint. */
export interface InstanceAwsClientSettings {
  readonly retryMode?: 'adaptive';
  readonly maxAttempts?: number;
  readonly endpoint?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Retries of the instance's AWS calls. A scale-out boots many instances at once, each reading its token and settings
 * from SSM in its first seconds, and SSM throttles (GetParameter: 40 requests per second by default): the SDK's
 * default, 3 standard attempts, failed boots that a longer adaptive backoff completes (a failed boot costs the
 * instance). `AWS_RETRY_MODE` and `AWS_MAX_ATTEMPTS` still decide when they are set.
 */
export function instanceRetrySettings(environment: NodeJS.ProcessEnv): InstanceAwsClientSettings {
  return {
    ...(environment.AWS_RETRY_MODE ? {} : { retryMode: 'adaptive' }),
    ...(environment.AWS_MAX_ATTEMPTS ? {} : { maxAttempts: 8 }),
  };
}

/**
 * SDK v3 adapters. Region from the boot contract; endpoints and credentials from the SDK's usual sources (instance
 * profile on an instance; `AWS_ENDPOINT_URL[_<SERVICE>]` points them at moto in tests), retries from
 * `instanceRetrySettings`.
 */
export function createInstanceAws(
  region: string,
  settings: InstanceAwsClientSettings = instanceRetrySettings(process.env),
  options: InstanceAwsOptions = {},
): InstanceAws {
  const ssm = new SSMClient({ region, ...settings });
  const secrets = new SecretsManagerClient({ region, ...settings });
  const s3 = new S3Client({ region, ...settings, forcePathStyle: process.env.AWS_ENDPOINT_URL !== undefined });
  const autoScaling = new AutoScalingClient({ region, ...settings });
  const groupOf = async (instanceId: string) => {
    const answer = await autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }));
    return answer.AutoScalingInstances?.[0]?.AutoScalingGroupName;
  };
  const direct: InstanceAws = {
    async getParameter(name) {
      const answer = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
      const value = answer.Parameter?.Value;
      if (value === undefined) throw new AwsValueMissingError(`parameter ${name} has no value`);
      return value;
    },
    async getParametersByPath(path) {
      const found: Array<{ name: string; value: string }> = [];
      let NextToken: string | undefined;
      do {
        const page = await ssm.send(
          new GetParametersByPathCommand({ Path: path, Recursive: true, WithDecryption: true, NextToken }),
        );
        for (const parameter of page.Parameters ?? []) {
          if (parameter.Name !== undefined && parameter.Value !== undefined) {
            found.push({ name: parameter.Name, value: parameter.Value });
          }
        }
        NextToken = page.NextToken;
      } while (NextToken !== undefined);
      return found;
    },
    async getSecretString(secretId) {
      const answer = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (answer.SecretString === undefined) throw new AwsValueMissingError('the secret has no SecretString');
      return answer.SecretString;
    },
    async getS3Object(bucket, key) {
      const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (answer.Body === undefined) throw new AwsValueMissingError(`s3://${bucket}/${key} has no body`);
      return answer.Body.transformToString();
    },
    async listS3Keys(bucket, prefix) {
      const keys: string[] = [];
      let ContinuationToken: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken }));
        for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken !== undefined);
      return keys;
    },
    async downloadS3Object(bucket, key, path) {
      const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!(answer.Body instanceof Readable)) throw new AwsValueMissingError(`s3://${bucket}/${key} has no body`);
      await pipeline(answer.Body, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
    },
    async setInstanceUnhealthy(instanceId) {
      await autoScaling.send(
        new SetInstanceHealthCommand({
          InstanceId: instanceId,
          HealthStatus: 'Unhealthy',
          ShouldRespectGracePeriod: false,
        }),
      );
    },
    async completeLifecycleAction({ instanceId, hookName, result, groupName }) {
      const group = groupName ?? (await groupOf(instanceId));
      if (group === undefined) return 'no-pending-action';
      try {
        await autoScaling.send(
          new CompleteLifecycleActionCommand({
            AutoScalingGroupName: group,
            LifecycleHookName: hookName,
            InstanceId: instanceId,
            LifecycleActionResult: result,
          }),
        );
        return 'completed';
      } catch (error) {
        if (isNoPendingLifecycleAction(error)) return 'no-pending-action';
        throw error;
      }
    },
  };
  const url = options.instanceBrokerUrl;
  if (url === undefined) return direct;
  return {
    ...direct,
    ...brokeredAutoScalingWrites({
      broker: (options.brokerClient ?? lazyInstanceBrokerClient)({ url, region }),
      groupOf,
      clock: options.clock ?? systemClock,
      // As many tries as the SDK clients get: a boot must not fail over a throttled broker.
      attempts: settings.maxAttempts ?? 3,
    }),
  };
}

/**
 * The Auto Scaling writes of the boot through the instance broker: it acts on the calling instance only, so the
 * request names the group, never the instance. Each call is one HTTPS request; retried here (the SDK clients retry
 * their own calls) on what the broker says is retryable, and on network trouble.
 */
function brokeredAutoScalingWrites(input: {
  broker: InstanceBrokerClient;
  groupOf: (instanceId: string) => Promise<string | undefined>;
  clock: Clock;
  attempts: number;
}): Pick<InstanceAws, 'setInstanceUnhealthy' | 'completeLifecycleAction'> {
  const call = (request: BrokerCall) =>
    withRetries(() => input.broker.call(request), { clock: input.clock, attempts: input.attempts });
  return {
    async setInstanceUnhealthy(instanceId, groupName) {
      const group = groupName ?? (await input.groupOf(instanceId));
      if (group === undefined) throw new AwsValueMissingError(`instance ${instanceId} is in no Auto Scaling group`);
      await call({ action: 'set-instance-unhealthy', autoScalingGroupName: group });
    },
    async completeLifecycleAction({ instanceId, hookName, result, groupName }) {
      const group = groupName ?? (await input.groupOf(instanceId));
      if (group === undefined) return 'no-pending-action';
      try {
        const answer = await call({
          action: 'complete-lifecycle-action',
          autoScalingGroupName: group,
          lifecycleHookName: hookName,
          lifecycleActionResult: result,
        });
        return answer.outcome === 'done' ? 'completed' : 'no-pending-action';
      } catch (error) {
        // The broker answers no-pending-action itself; Auto Scaling's own answer means the same if it comes through.
        if (isNoPendingLifecycleAction(error)) return 'no-pending-action';
        throw error;
      }
    },
  };
}
