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

export interface ScalingActivity {
  startTimeMs: number;
  statusCode: string;
  cause: string;
}

export interface AutoScalingPort {
  /** Throws `GroupNotFoundError` when the group does not exist. */
  describeGroup(groupName: string): Promise<GroupSnapshot>;
  /** Always with `HonorCooldown: false`: the scaler has its own cooldowns. */
  setDesiredCapacity(groupName: string, desired: number): Promise<void>;
  /**
   * Terminates one instance and decrements desired capacity in the same call, so the group does not replace it. The
   * group's termination lifecycle hook holds the instance while lifecycled drains its agent.
   */
  terminateInstanceAndDecrement(instanceId: string): Promise<void>;
  /** Current state of specific instances (the last look before terminating them). */
  describeInstances(instanceIds: readonly string[]): Promise<GroupInstance[]>;
  /** Scaling activities newest first, one page per iteration. */
  scalingActivityPages(groupName: string, signal: AbortSignal): AsyncIterable<ScalingActivity[]>;
}

export interface InstanceLaunchTimesPort {
  /** Launch time (epoch ms) per instance id; instances it cannot see are missing from the map. */
  launchTimes(instanceIds: readonly string[]): Promise<Map<string, number>>;
}

export interface ParameterStorePort {
  /** Reads and decrypts a SecureString. Throws `SecretUnavailableError` on failure. */
  getSecureString(name: string): Promise<string>;
  /** Reads a String parameter; `undefined` when it does not exist. */
  getString(name: string): Promise<string | undefined>;
  /** Creates or overwrites a String parameter. */
  putString(name: string, value: string): Promise<void>;
}
