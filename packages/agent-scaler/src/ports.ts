/**
 * The I/O the scaler does, as small interfaces. `aws-adapters.ts` implements them with the AWS SDK v3; tests use moto
 * or in-memory fakes.
 */

export interface GroupInstance {
  id: string;
  /** Auto Scaling lifecycle state: `InService`, `Pending`, `Terminating:Wait`, `Warmed:Stopped`, … */
  lifecycleState: string;
  /** The agent holds scale-in protection while it runs a job; `undefined` when AWS did not say. */
  protectedFromScaleIn: boolean | undefined;
}

export interface GroupSnapshot {
  name: string;
  desired: number;
  min: number;
  max: number;
  instances: GroupInstance[];
}

/** The group's warm pool settings, as DescribeWarmPool reports them. */
export interface WarmPoolSettings {
  minSize: number;
  /** `undefined`: AWS keeps `MaxSize − desired` prepared; `-1` means the same (a removed value). */
  maxGroupPreparedCapacity: number | undefined;
  poolState: string | undefined;
  reuseOnScaleIn: boolean | undefined;
}

export interface ScalingActivity {
  startTimeMs: number;
  statusCode: string;
  cause: string;
}

/** Bounds one mutating call: it is abandoned (retries included) at `mustEndByMs`, epoch ms. */
export interface MutatingCallOptions {
  mustEndByMs?: number | undefined;
}

export interface AutoScalingPort {
  /** Throws `GroupNotFoundError` when the group does not exist. */
  describeGroup(groupName: string): Promise<GroupSnapshot>;
  /** Always with `HonorCooldown: false`: the scaler has its own cooldowns. */
  setDesiredCapacity(groupName: string, desired: number, options?: MutatingCallOptions): Promise<void>;
  /**
   * Terminates one instance and decrements desired capacity in the same call, so the group does not replace it. The
   * group's termination lifecycle hook holds the instance while lifecycled drains its agent.
   */
  terminateInstanceAndDecrement(instanceId: string, options?: MutatingCallOptions): Promise<void>;
  /** Current state of specific instances (the last look before terminating them). */
  describeInstances(instanceIds: readonly string[]): Promise<GroupInstance[]>;
  /** The group's warm pool; `undefined` when it has none (or it is being deleted). */
  describeWarmPool(groupName: string): Promise<WarmPoolSettings | undefined>;
  /**
   * PutWarmPool with a new MinSize, passing every other setting of `current` back unchanged: PutWarmPool replaces
   * the whole configuration, and the rest of the pool belongs to the stack.
   */
  putWarmPoolMinSize(
    groupName: string,
    current: WarmPoolSettings,
    minSize: number,
    options?: MutatingCallOptions,
  ): Promise<void>;
  /**
   * SetInstanceHealth(Unhealthy) without the group's health-check grace period (the scaler applies its own): the
   * group terminates the instance and launches a replacement.
   */
  setInstanceUnhealthy(instanceId: string, options?: MutatingCallOptions): Promise<void>;
  /** Scaling activities newest first, one page per iteration. */
  scalingActivityPages(groupName: string, signal: AbortSignal): AsyncIterable<ScalingActivity[]>;
}

/** What EC2 says about one instance: Auto Scaling reports neither launch times nor instance tags. */
export interface InstanceDetails {
  /** Epoch ms of the last start; `undefined` when EC2 did not say. */
  launchedAtMs: number | undefined;
  /** The instance's tags, among them the instance → scaler contract (`instance-state-tags` of agent-instance). */
  tags: Readonly<Record<string, string>>;
}

export interface InstanceDetailsPort {
  /** Launch time and tags per instance id; instances it cannot see are missing from the map. */
  describeInstances(instanceIds: readonly string[]): Promise<Map<string, InstanceDetails>>;
}

export interface ParameterStorePort {
  /** Reads and decrypts a SecureString. Throws `SecretUnavailableError` on failure. */
  getSecureString(name: string): Promise<string>;
  /** Reads a String parameter; `undefined` when it does not exist. */
  getString(name: string): Promise<string | undefined>;
  /**
   * Creates or overwrites a String parameter. The scaler state is written under the scaling lease like any other
   * mutating call: bounded, so a write cannot land after the next holder's.
   */
  putString(name: string, value: string, options?: MutatingCallOptions): Promise<void>;
}

/**
 * A lease per Auto Scaling group shared by every container (the scheduled function's and the webhook's), so at most
 * one pass acts on a group at a time. Expiry bounds how long a holder that crashed blocks the others.
 */
export interface ScalingLeasePort {
  /**
   * Takes the lease on `groupName` for `owner` until `nowMs + ttlMs` when nobody holds it or the holder's lease
   * expired before `nowMs`. Resolves `false` when another owner holds it; rejects when the store cannot be asked.
   */
  acquire(groupName: string, owner: string, ttlMs: number, nowMs: number): Promise<boolean>;
  /** Frees the lease if `owner` still holds it; a lease taken over by another owner is left alone. */
  release(groupName: string, owner: string): Promise<void>;
}
