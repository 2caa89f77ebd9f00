import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { InstanceMetadata } from '../aws/imds-client.js';
import { type BrokerCall, type InstanceBrokerClientFactory, lazyInstanceBrokerClient } from '../aws/instance-broker.js';
import { IDLE_SINCE_TAG } from '../instance-state-tags.js';

/** The Auto Scaling and EC2 calls an instance makes about itself. Each call is made once; callers retry. */
export interface InstanceControl {
  setProtection(protectedFromScaleIn: boolean): Promise<void>;
  /** A value writes the `elastic-ci:idle-since` tag; undefined deletes it. */
  setIdleSinceTag(value: string | undefined): Promise<void>;
  setTag(key: string, value: string): Promise<void>;
  terminate(options: { decrementDesiredCapacity: boolean }): Promise<void>;
  setUnhealthy(): Promise<void>;
}

export class InstanceIdentityError extends Error {
  override name = 'InstanceIdentityError';
}

/** `load` run on the first call, its promise shared by later ones; a failure is retried by the next call. */
function lazily<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load();
    loaded.catch(() => {
      loaded = undefined;
    });
    return loaded;
  };
}

export interface InstanceIdentity {
  readonly instanceId: string;
  readonly region: string;
  readonly groupName: string;
}

/**
 * Looks the instance up once, on first use: its id (`instanceId` the boot recorded, else IMDS), region (`AWS_REGION`,
 * `AWS_DEFAULT_REGION`, `region` from the boot contract, else IMDS) and group (`groupName` from the boot contract,
 * else `DescribeAutoScalingInstances`). What the boot already knows is not asked again: a job's start waits for the
 * hook, and every IMDS round trip is a wait (and a retry with backoff when IMDS is slow).
 *
 * With `instanceBrokerUrl` (the contract's `lifecycle.instanceBrokerUrl`), the Auto Scaling writes — protection,
 * health, terminate — go through the stack's instance broker, which acts on the calling instance only; the instance
 * role then has none of those permissions. Tags and the group lookup stay direct calls.
 */
export function awsInstanceControl(options: {
  readonly env: NodeJS.ProcessEnv;
  readonly metadata: InstanceMetadata;
  readonly groupName?: string | undefined;
  readonly instanceId?: string | undefined;
  readonly region?: string | undefined;
  readonly instanceBrokerUrl?: string | undefined;
  /** Injected for tests; default: the real client, loaded on its first call. */
  readonly brokerClient?: InstanceBrokerClientFactory;
}): InstanceControl & { identity(): Promise<InstanceIdentity> } {
  const brokerUrl = options.instanceBrokerUrl;
  let resolvedRegion: string | undefined;
  // The SDK clients are loaded on the first call that needs them, not with the command: most job events of an
  // instance with several agents change nothing in AWS, and loading the clients is the largest part of a hook's CPU
  // time after Node's own start (on a loaded instance, seconds a job's start waits for). With an instance broker, the
  // Auto Scaling client is loaded only to look the group up when the contract does not name it.
  // One attempt per SDK call: the callers retry on their own clock.
  const autoScaling = lazily(async () => {
    const sdk = await import('@aws-sdk/client-auto-scaling');
    const region = await resolveRegion();
    return { sdk, client: new sdk.AutoScalingClient({ region, maxAttempts: 1 }) as AutoScalingClient };
  });
  const ec2 = lazily(async () => {
    const sdk = await import('@aws-sdk/client-ec2');
    const region = await resolveRegion();
    return { sdk, client: new sdk.EC2Client({ region, maxAttempts: 1 }) as EC2Client };
  });

  async function resolveRegion(): Promise<string> {
    resolvedRegion ??=
      options.env.AWS_REGION || options.env.AWS_DEFAULT_REGION || options.region || (await options.metadata.region());
    if (!resolvedRegion) throw new InstanceIdentityError('no region: set AWS_REGION or allow instance metadata');
    return resolvedRegion;
  }

  const identity = lazily(async (): Promise<InstanceIdentity> => {
    const instanceId = options.instanceId || (await options.metadata.instanceId());
    const region = await resolveRegion();
    let groupName = options.groupName;
    if (!groupName) {
      const { sdk, client } = await autoScaling();
      const answer = await client.send(new sdk.DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }));
      groupName = answer.AutoScalingInstances?.[0]?.AutoScalingGroupName;
    }
    if (!groupName) throw new InstanceIdentityError(`instance ${instanceId} is not in an Auto Scaling group`);
    return { instanceId, region, groupName };
  });

  const broker = lazily(async () => {
    const { region } = await identity();
    return (options.brokerClient ?? lazyInstanceBrokerClient)({ url: brokerUrl as string, region });
  });
  /** Through the broker: it acts on the caller, so the request names the group only. */
  const viaBroker = async (request: BrokerCallWithoutGroup) => {
    const { groupName } = await identity();
    await (await broker()).call({ ...request, autoScalingGroupName: groupName } as BrokerCall);
  };

  return {
    identity,
    async setProtection(protectedFromScaleIn) {
      if (brokerUrl !== undefined) return viaBroker({ action: 'set-instance-protection', protectedFromScaleIn });
      const { instanceId, groupName } = await identity();
      const { sdk, client } = await autoScaling();
      await client.send(
        new sdk.SetInstanceProtectionCommand({
          AutoScalingGroupName: groupName,
          InstanceIds: [instanceId],
          ProtectedFromScaleIn: protectedFromScaleIn,
        }),
      );
    },
    async setIdleSinceTag(value) {
      const { instanceId } = await identity();
      const { sdk, client } = await ec2();
      if (value === undefined) {
        await client.send(new sdk.DeleteTagsCommand({ Resources: [instanceId], Tags: [{ Key: IDLE_SINCE_TAG }] }));
      } else {
        await client.send(
          new sdk.CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: IDLE_SINCE_TAG, Value: value }] }),
        );
      }
    },
    async setTag(key, value) {
      const { instanceId } = await identity();
      const { sdk, client } = await ec2();
      await client.send(new sdk.CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: key, Value: value }] }));
    },
    async terminate({ decrementDesiredCapacity }) {
      if (brokerUrl !== undefined) return viaBroker({ action: 'terminate-instance', decrementDesiredCapacity });
      const { instanceId } = await identity();
      const { sdk, client } = await autoScaling();
      await client.send(
        new sdk.TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: instanceId,
          ShouldDecrementDesiredCapacity: decrementDesiredCapacity,
        }),
      );
    },
    async setUnhealthy() {
      if (brokerUrl !== undefined) return viaBroker({ action: 'set-instance-unhealthy' });
      const { instanceId } = await identity();
      const { sdk, client } = await autoScaling();
      await client.send(
        new sdk.SetInstanceHealthCommand({
          InstanceId: instanceId,
          HealthStatus: 'Unhealthy',
          ShouldRespectGracePeriod: false,
        }),
      );
    },
  };
}

type BrokerCallWithoutGroup = BrokerCall extends infer Call
  ? Call extends BrokerCall
    ? Omit<Call, 'autoScalingGroupName'>
    : never
  : never;
