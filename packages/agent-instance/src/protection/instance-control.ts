import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { InstanceMetadata } from '../aws/imds-client.js';
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

interface Sdk {
  readonly autoScaling: typeof import('@aws-sdk/client-auto-scaling');
  readonly ec2: typeof import('@aws-sdk/client-ec2');
}

/**
 * The SDK clients are loaded on the first AWS call, not with the command: most job events of an instance with
 * several agents change nothing in AWS, and loading the two clients is the largest part of a hook's CPU time after
 * Node's own start (on a loaded instance, seconds a job's start waits for).
 */
async function loadSdk(): Promise<Sdk> {
  const [autoScaling, ec2] = await Promise.all([import('@aws-sdk/client-auto-scaling'), import('@aws-sdk/client-ec2')]);
  return { autoScaling, ec2 };
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
 */
export function awsInstanceControl(options: {
  readonly env: NodeJS.ProcessEnv;
  readonly metadata: InstanceMetadata;
  readonly groupName?: string | undefined;
  readonly instanceId?: string | undefined;
  readonly region?: string | undefined;
}): InstanceControl & { identity(): Promise<InstanceIdentity> } {
  let resolved:
    | Promise<{ identity: InstanceIdentity; autoScaling: AutoScalingClient; ec2: EC2Client; sdk: Sdk }>
    | undefined;

  const resolve = () => {
    resolved ??= (async () => {
      const instanceId = options.instanceId || (await options.metadata.instanceId());
      const region =
        options.env.AWS_REGION || options.env.AWS_DEFAULT_REGION || options.region || (await options.metadata.region());
      if (!region) throw new InstanceIdentityError('no region: set AWS_REGION or allow instance metadata');
      const sdk = await loadSdk();
      // One attempt per SDK call: the callers retry on their own clock.
      const autoScaling = new sdk.autoScaling.AutoScalingClient({ region, maxAttempts: 1 });
      const ec2 = new sdk.ec2.EC2Client({ region, maxAttempts: 1 });
      let groupName = options.groupName;
      if (!groupName) {
        const answer = await autoScaling.send(
          new sdk.autoScaling.DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }),
        );
        groupName = answer.AutoScalingInstances?.[0]?.AutoScalingGroupName;
      }
      if (!groupName) throw new InstanceIdentityError(`instance ${instanceId} is not in an Auto Scaling group`);
      return { identity: { instanceId, region, groupName }, autoScaling, ec2, sdk };
    })();
    resolved.catch(() => {
      resolved = undefined; // a failed lookup is retried by the next call
    });
    return resolved;
  };

  return {
    async identity() {
      return (await resolve()).identity;
    },
    async setProtection(protectedFromScaleIn) {
      const { identity, autoScaling, sdk } = await resolve();
      await autoScaling.send(
        new sdk.autoScaling.SetInstanceProtectionCommand({
          AutoScalingGroupName: identity.groupName,
          InstanceIds: [identity.instanceId],
          ProtectedFromScaleIn: protectedFromScaleIn,
        }),
      );
    },
    async setIdleSinceTag(value) {
      const { identity, ec2, sdk } = await resolve();
      if (value === undefined) {
        await ec2.send(
          new sdk.ec2.DeleteTagsCommand({ Resources: [identity.instanceId], Tags: [{ Key: IDLE_SINCE_TAG }] }),
        );
      } else {
        await ec2.send(
          new sdk.ec2.CreateTagsCommand({
            Resources: [identity.instanceId],
            Tags: [{ Key: IDLE_SINCE_TAG, Value: value }],
          }),
        );
      }
    },
    async setTag(key, value) {
      const { identity, ec2, sdk } = await resolve();
      await ec2.send(
        new sdk.ec2.CreateTagsCommand({ Resources: [identity.instanceId], Tags: [{ Key: key, Value: value }] }),
      );
    },
    async terminate({ decrementDesiredCapacity }) {
      const { identity, autoScaling, sdk } = await resolve();
      await autoScaling.send(
        new sdk.autoScaling.TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: identity.instanceId,
          ShouldDecrementDesiredCapacity: decrementDesiredCapacity,
        }),
      );
    },
    async setUnhealthy() {
      const { identity, autoScaling, sdk } = await resolve();
      await autoScaling.send(
        new sdk.autoScaling.SetInstanceHealthCommand({
          InstanceId: identity.instanceId,
          HealthStatus: 'Unhealthy',
          ShouldRespectGracePeriod: false,
        }),
      );
    },
  };
}
