import type { AutoScalingClient, WarmPoolState } from '@aws-sdk/client-auto-scaling';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SSMClient } from '@aws-sdk/client-ssm';
import {
  GroupNotFoundError,
  LeaseEndedDuringCallError,
  MalformedAwsResponseError,
  SecretUnavailableError,
} from './errors';
import type {
  AutoScalingPort,
  GroupInstance,
  InstanceDetails,
  InstanceDetailsPort,
  MutatingCallOptions,
  ParameterStorePort,
  ScalingActivity,
  ScalingLeasePort,
  WarmPoolSettings,
} from './ports';

/** Client settings shared by every adapter; tests pass moto's endpoint and credentials as `overrides`. */
export interface AwsClientOptions {
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts?: number;
  retryMode?: string;
}

/**
 * Throttling is handled by the SDK's adaptive retry mode (client-side rate limiting plus backoff), 8 attempts, as
 * Buildkite's scaler does — unless AWS_RETRY_MODE / AWS_MAX_ATTEMPTS say otherwise. Short socket timeouts keep one
 * slow call from eating the invocation.
 */
export function awsClientSettings(
  environment: Readonly<Record<string, string | undefined>>,
  overrides: AwsClientOptions = {},
) {
  return {
    ...(environment.AWS_RETRY_MODE ? {} : { retryMode: 'adaptive' }),
    ...(environment.AWS_MAX_ATTEMPTS ? {} : { maxAttempts: 8 }),
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
    ...overrides,
  };
}

/**
 * Loads an SDK module and builds its client on first use. Importing an SDK v3 client costs far more than the rest of
 * the handler together, so the cold start (import + config parse) stays small and the cost moves to the first call.
 */
function lazyClient<Module, Client>(load: () => Promise<Module>, create: (sdk: Module) => Client) {
  let loaded: Promise<{ sdk: Module; client: Client }> | undefined;
  return () => {
    loaded ??= load().then((sdk) => ({ sdk, client: create(sdk) }));
    loaded.catch(() => {
      loaded = undefined;
    });
    return loaded;
  };
}

/**
 * Sends a mutating call that must end by `mustEndByMs` (system clock, as in production): the SDK aborts the request
 * and its retries then, and the abort becomes a {@link LeaseEndedDuringCallError}.
 */
async function sendBounded<T>(
  call: string,
  target: string,
  options: MutatingCallOptions | undefined,
  send: (sendOptions: { abortSignal?: AbortSignal }) => Promise<T>,
): Promise<T> {
  const mustEndByMs = options?.mustEndByMs;
  if (mustEndByMs === undefined) return send({});
  const signal = AbortSignal.timeout(Math.max(0, mustEndByMs - Date.now()));
  try {
    return await send({ abortSignal: signal });
  } catch (error) {
    if (signal.aborted) throw new LeaseEndedDuringCallError(call, target, { cause: error });
    throw error;
  }
}

/** The most ids (and records per page) DescribeAutoScalingInstances takes. */
const DESCRIBE_INSTANCES_MAX_IDS = 50;

export function createAutoScalingAdapter(settings: object): AutoScalingPort {
  const connect = lazyClient(
    () => import('@aws-sdk/client-auto-scaling'),
    (sdk): AutoScalingClient => new sdk.AutoScalingClient(settings),
  );
  const toInstance = (instance: {
    InstanceId?: string | undefined;
    LifecycleState?: string | undefined;
    ProtectedFromScaleIn?: boolean | undefined;
  }): GroupInstance => ({
    id: instance.InstanceId ?? '',
    lifecycleState: instance.LifecycleState ?? 'Unknown',
    protectedFromScaleIn: instance.ProtectedFromScaleIn,
  });

  return {
    async describeGroup(groupName) {
      const { sdk, client } = await connect();
      const output = await client.send(
        new sdk.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] }),
      );
      const group = output.AutoScalingGroups?.find((candidate) => candidate.AutoScalingGroupName === groupName);
      if (!group) throw new GroupNotFoundError(groupName);
      const { DesiredCapacity: desired, MinSize: min, MaxSize: max } = group;
      // Read as 0, a missing max would shrink the group to nothing: no size, no decision.
      if (desired === undefined || min === undefined || max === undefined) {
        throw new MalformedAwsResponseError(
          `DescribeAutoScalingGroups answered for ${groupName} without its desired capacity, min and max size`,
        );
      }
      return {
        name: groupName,
        desired,
        min,
        max,
        instances: (group.Instances ?? []).map(toInstance).filter((instance) => instance.id !== ''),
      };
    },
    async setDesiredCapacity(groupName, desired, options) {
      const { sdk, client } = await connect();
      await sendBounded('SetDesiredCapacity', groupName, options, (sendOptions) =>
        client.send(
          new sdk.SetDesiredCapacityCommand({
            AutoScalingGroupName: groupName,
            DesiredCapacity: desired,
            HonorCooldown: false,
          }),
          sendOptions,
        ),
      );
    },
    async terminateInstanceAndDecrement(instanceId, options) {
      const { sdk, client } = await connect();
      await sendBounded('TerminateInstanceInAutoScalingGroup', instanceId, options, (sendOptions) =>
        client.send(
          new sdk.TerminateInstanceInAutoScalingGroupCommand({
            InstanceId: instanceId,
            ShouldDecrementDesiredCapacity: true,
          }),
          sendOptions,
        ),
      );
    },
    async describeInstances(instanceIds) {
      if (instanceIds.length === 0) return [];
      const { sdk, client } = await connect();
      const instances: GroupInstance[] = [];
      // The API takes 50 ids at most (a longer list fails the call, and with it every drain of more than 50).
      for (let start = 0; start < instanceIds.length; start += DESCRIBE_INSTANCES_MAX_IDS) {
        const chunk = instanceIds.slice(start, start + DESCRIBE_INSTANCES_MAX_IDS);
        let nextToken: string | undefined;
        do {
          const output = await client.send(
            new sdk.DescribeAutoScalingInstancesCommand({
              InstanceIds: [...chunk],
              MaxRecords: DESCRIBE_INSTANCES_MAX_IDS,
              NextToken: nextToken,
            }),
          );
          instances.push(...(output.AutoScalingInstances ?? []).map(toInstance));
          nextToken = output.NextToken;
        } while (nextToken);
      }
      return instances;
    },
    async setInstanceUnhealthy(instanceId, options) {
      const { sdk, client } = await connect();
      await sendBounded('SetInstanceHealth', instanceId, options, (sendOptions) =>
        client.send(
          new sdk.SetInstanceHealthCommand({
            InstanceId: instanceId,
            HealthStatus: 'Unhealthy',
            ShouldRespectGracePeriod: false,
          }),
          sendOptions,
        ),
      );
    },
    async describeWarmPool(groupName) {
      const { sdk, client } = await connect();
      // One instance record at most: only the configuration is needed, not the pool's instance list.
      const output = await client.send(
        new sdk.DescribeWarmPoolCommand({ AutoScalingGroupName: groupName, MaxRecords: 1 }),
      );
      const pool = output.WarmPoolConfiguration;
      if (pool === undefined || pool.Status === 'PendingDelete') return undefined;
      return {
        minSize: pool.MinSize ?? 0,
        maxGroupPreparedCapacity: pool.MaxGroupPreparedCapacity,
        poolState: pool.PoolState,
        reuseOnScaleIn: pool.InstanceReusePolicy?.ReuseOnScaleIn,
      } satisfies WarmPoolSettings;
    },
    async putWarmPoolMinSize(groupName, current, minSize, options) {
      const { sdk, client } = await connect();
      await sendBounded('PutWarmPool', groupName, options, (sendOptions) =>
        client.send(
          new sdk.PutWarmPoolCommand({
            AutoScalingGroupName: groupName,
            MinSize: minSize,
            ...(current.maxGroupPreparedCapacity === undefined
              ? {}
              : { MaxGroupPreparedCapacity: current.maxGroupPreparedCapacity }),
            ...(current.poolState === undefined ? {} : { PoolState: current.poolState as WarmPoolState }),
            ...(current.reuseOnScaleIn === undefined
              ? {}
              : { InstanceReusePolicy: { ReuseOnScaleIn: current.reuseOnScaleIn } }),
          }),
          sendOptions,
        ),
      );
    },
    async *scalingActivityPages(groupName, signal) {
      const { sdk, client } = await connect();
      let nextToken: string | undefined;
      do {
        const output = await client.send(
          new sdk.DescribeScalingActivitiesCommand({ AutoScalingGroupName: groupName, NextToken: nextToken }),
          { abortSignal: signal },
        );
        yield (output.Activities ?? []).map(
          (activity): ScalingActivity => ({
            startTimeMs: activity.StartTime?.getTime() ?? 0,
            statusCode: activity.StatusCode ?? '',
            // Buildkite's scaler crashes on a missing cause; here it simply matches nothing.
            cause: activity.Cause ?? '',
          }),
        );
        nextToken = output.NextToken;
      } while (nextToken);
    },
  };
}

/**
 * Launch times and tags come from EC2 (Auto Scaling reports neither). The EC2 client is large, so it is loaded only
 * when a pass first needs it (the drain strategy or the zombie check).
 */
export function createInstanceDetailsAdapter(settings: object): InstanceDetailsPort {
  const connect = lazyClient(
    () => import('@aws-sdk/client-ec2'),
    (sdk) => new sdk.EC2Client(settings),
  );
  return {
    async describeInstances(instanceIds) {
      const result = new Map<string, InstanceDetails>();
      if (instanceIds.length === 0) return result;
      const { sdk, client } = await connect();
      const output = await client.send(new sdk.DescribeInstancesCommand({ InstanceIds: [...instanceIds] }));
      for (const reservation of output.Reservations ?? []) {
        for (const instance of reservation.Instances ?? []) {
          if (!instance.InstanceId) continue;
          const tags: Record<string, string> = {};
          for (const tag of instance.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
          result.set(instance.InstanceId, { launchedAtMs: instance.LaunchTime?.getTime(), tags });
        }
      }
      return result;
    },
  };
}

export function createParameterStoreAdapter(settings: object): ParameterStorePort {
  const connect = lazyClient(
    () => import('@aws-sdk/client-ssm'),
    (sdk): SSMClient => new sdk.SSMClient(settings),
  );
  return {
    async getSecureString(name) {
      try {
        const { sdk, client } = await connect();
        const output = await client.send(new sdk.GetParameterCommand({ Name: name, WithDecryption: true }));
        const value = output.Parameter?.Value;
        if (value === undefined || value === '') throw new Error('parameter has no value');
        return value;
      } catch (error) {
        throw new SecretUnavailableError(name, error);
      }
    },
    async getString(name) {
      const { sdk, client } = await connect();
      try {
        const output = await client.send(new sdk.GetParameterCommand({ Name: name }));
        return output.Parameter?.Value;
      } catch (error) {
        if (error instanceof Error && error.name === 'ParameterNotFound') return undefined;
        throw error;
      }
    },
    async putString(name, value, options) {
      const { sdk, client } = await connect();
      await sendBounded('PutParameter', name, options, (sendOptions) =>
        client.send(
          new sdk.PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }),
          sendOptions,
        ),
      );
    },
  };
}

/** The lease item's partition key for a group: the table may hold other items, and other groups' leases. */
export function scalingLeaseKey(groupName: string): string {
  return `scaling-lease#${groupName}`;
}

const isConditionFailure = (error: unknown) =>
  error instanceof Error && error.name === 'ConditionalCheckFailedException';

/** The lease's two conditions; DynamoDB evaluates each and applies the write atomically per item. */
export const LEASE_ACQUIRE_CONDITION = 'attribute_not_exists(pk) OR expiresAtMs < :now';
export const LEASE_RELEASE_CONDITION = '#owner = :owner';

/** The conditional PutItem that takes the lease of `groupName` for `owner` until `nowMs + ttlMs`. */
export function leaseAcquireInput(tableName: string, groupName: string, owner: string, ttlMs: number, nowMs: number) {
  const expiresAtMs = nowMs + ttlMs;
  return {
    TableName: tableName,
    Item: {
      pk: { S: scalingLeaseKey(groupName) },
      owner: { S: owner },
      expiresAtMs: { N: String(expiresAtMs) },
      expiresAt: { N: String(Math.ceil(expiresAtMs / 1000)) },
    },
    ConditionExpression: LEASE_ACQUIRE_CONDITION,
    ExpressionAttributeValues: { ':now': { N: String(nowMs) } },
  };
}

/** The conditional DeleteItem that frees the lease of `groupName` only while `owner` holds it. */
export function leaseReleaseInput(tableName: string, groupName: string, owner: string) {
  return {
    TableName: tableName,
    Key: { pk: { S: scalingLeaseKey(groupName) } },
    ConditionExpression: LEASE_RELEASE_CONDITION,
    // `owner` is a DynamoDB reserved word, hence the name placeholder.
    ExpressionAttributeNames: { '#owner': 'owner' },
    ExpressionAttributeValues: { ':owner': { S: owner } },
  };
}

/**
 * The scaling lease as one DynamoDB item per group (`pk` = `scaling-lease#<group>`, `owner`, `expiresAtMs`, and
 * `expiresAt` in epoch seconds for an optional DynamoDB TTL clean-up). Both calls are conditional writes, which
 * DynamoDB applies atomically per item: at most one owner's PutItem can succeed while the lease is live. (moto's
 * threaded server does not: see "Lease guarantees" in the README.)
 */
export function createDynamoDbLeaseAdapter(settings: object, tableName: string): ScalingLeasePort {
  const connect = lazyClient(
    () => import('@aws-sdk/client-dynamodb'),
    (sdk): DynamoDBClient => new sdk.DynamoDBClient(settings),
  );
  return {
    async acquire(groupName, owner, ttlMs, nowMs) {
      const { sdk, client } = await connect();
      try {
        await client.send(new sdk.PutItemCommand(leaseAcquireInput(tableName, groupName, owner, ttlMs, nowMs)));
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async release(groupName, owner) {
      const { sdk, client } = await connect();
      try {
        await client.send(new sdk.DeleteItemCommand(leaseReleaseInput(tableName, groupName, owner)));
      } catch (error) {
        // Gone, or expired and taken over by another pass: either way it is no longer ours to free.
        if (!isConditionFailure(error)) throw error;
      }
    },
  };
}
