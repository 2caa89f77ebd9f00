/** In-memory ports for unit tests (not part of the package's exports or bundles). */
import type {
  AutoScalingPort,
  GroupInstance,
  GroupSnapshot,
  InstanceDetails,
  InstanceDetailsPort,
  MutatingCallOptions,
  ParameterStorePort,
  ScalingActivity,
  ScalingLeasePort,
  WarmPoolSettings,
} from './ports';

export interface FakeGroupOptions {
  desired: number;
  min?: number;
  max?: number;
  instances?: GroupInstance[];
  activities?: ScalingActivity[][];
  warmPool?: WarmPoolSettings;
}

/** An Auto Scaling group in memory that records every mutating call in order. */
export class FakeAutoScaling implements AutoScalingPort {
  readonly calls: string[] = [];
  desired: number;
  min: number;
  max: number;
  instances: GroupInstance[];
  activities: ScalingActivity[][];
  /** The group's warm pool; `undefined`: it has none. */
  warmPool: WarmPoolSettings | undefined;
  /** Called inside setDesiredCapacity, before it resolves: lets a test interleave other work. */
  onSetDesired: ((desired: number) => Promise<void>) | undefined;
  failNext: Partial<
    Record<'describeGroup' | 'setDesiredCapacity' | 'terminate' | 'describeWarmPool' | 'putWarmPool', Error>
  > = {};
  inFlightSetDesired = 0;
  maxInFlightSetDesired = 0;
  /** `mustEndByMs` of every mutating call, in order (`undefined`: unbounded). */
  readonly callDeadlines: (number | undefined)[] = [];

  constructor(
    readonly name: string,
    options: FakeGroupOptions,
  ) {
    this.desired = options.desired;
    this.min = options.min ?? 0;
    this.max = options.max ?? 100;
    this.instances = options.instances ?? [];
    this.activities = options.activities ?? [];
    this.warmPool = options.warmPool;
  }

  async describeGroup(groupName: string): Promise<GroupSnapshot> {
    this.calls.push('describeGroup');
    const failure = this.failNext.describeGroup;
    if (failure) {
      delete this.failNext.describeGroup;
      throw failure;
    }
    if (groupName !== this.name) throw new Error(`unknown group ${groupName}`);
    return {
      name: this.name,
      desired: this.desired,
      min: this.min,
      max: this.max,
      instances: this.instances.map((instance) => ({ ...instance })),
    };
  }

  async setDesiredCapacity(_groupName: string, desired: number, options?: MutatingCallOptions): Promise<void> {
    this.calls.push(`setDesiredCapacity(${desired})`);
    this.callDeadlines.push(options?.mustEndByMs);
    this.inFlightSetDesired += 1;
    this.maxInFlightSetDesired = Math.max(this.maxInFlightSetDesired, this.inFlightSetDesired);
    try {
      const failure = this.failNext.setDesiredCapacity;
      if (failure) {
        delete this.failNext.setDesiredCapacity;
        throw failure;
      }
      await this.onSetDesired?.(desired);
      this.desired = desired;
    } finally {
      this.inFlightSetDesired -= 1;
    }
  }

  async terminateInstanceAndDecrement(instanceId: string, options?: MutatingCallOptions): Promise<void> {
    this.calls.push(`terminate(${instanceId})`);
    this.callDeadlines.push(options?.mustEndByMs);
    const failure = this.failNext.terminate;
    if (failure) {
      delete this.failNext.terminate;
      throw failure;
    }
    const instance = this.instances.find((candidate) => candidate.id === instanceId);
    if (!instance) throw new Error(`unknown instance ${instanceId}`);
    instance.lifecycleState = 'Terminating:Wait';
    this.desired -= 1;
  }

  async describeInstances(instanceIds: readonly string[]): Promise<GroupInstance[]> {
    this.calls.push(`describeInstances(${instanceIds.join(',')})`);
    return this.instances.filter((instance) => instanceIds.includes(instance.id)).map((instance) => ({ ...instance }));
  }

  async setInstanceUnhealthy(instanceId: string, options?: MutatingCallOptions): Promise<void> {
    this.calls.push(`setInstanceUnhealthy(${instanceId})`);
    this.callDeadlines.push(options?.mustEndByMs);
    const instance = this.instances.find((candidate) => candidate.id === instanceId);
    if (!instance) throw new Error(`unknown instance ${instanceId}`);
    // The group terminates an unhealthy instance and launches a replacement; desired capacity stays.
    instance.lifecycleState = 'Terminating';
  }

  async describeWarmPool(groupName: string): Promise<WarmPoolSettings | undefined> {
    this.calls.push('describeWarmPool');
    this.throwIfFailing('describeWarmPool');
    if (groupName !== this.name) throw new Error(`unknown group ${groupName}`);
    return this.warmPool === undefined ? undefined : { ...this.warmPool };
  }

  async putWarmPoolMinSize(
    _groupName: string,
    current: WarmPoolSettings,
    minSize: number,
    options?: MutatingCallOptions,
  ): Promise<void> {
    this.calls.push(`putWarmPool(${minSize})`);
    this.callDeadlines.push(options?.mustEndByMs);
    this.throwIfFailing('putWarmPool');
    this.warmPool = { ...current, minSize };
  }

  private throwIfFailing(call: 'describeWarmPool' | 'putWarmPool'): void {
    const failure = this.failNext[call];
    if (failure) {
      delete this.failNext[call];
      throw failure;
    }
  }

  async *scalingActivityPages(): AsyncIterable<ScalingActivity[]> {
    this.calls.push('describeScalingActivities');
    for (const page of this.activities) yield page;
  }
}

/** EC2's view of instances: launch times, and tags a test sets (`tags.get(id)`). */
export class FakeInstanceDetails implements InstanceDetailsPort {
  readonly tags = new Map<string, Record<string, string>>();

  constructor(readonly times: Map<string, number>) {}

  async describeInstances(instanceIds: readonly string[]): Promise<Map<string, InstanceDetails>> {
    const result = new Map<string, InstanceDetails>();
    for (const [id, launchedAtMs] of this.times) {
      if (instanceIds.includes(id)) result.set(id, { launchedAtMs, tags: { ...this.tags.get(id) } });
    }
    return result;
  }
}

export class FakeParameterStore implements ParameterStorePort {
  readonly values = new Map<string, string>();
  readonly reads: string[] = [];
  readonly writes: string[] = [];

  async getSecureString(name: string): Promise<string> {
    this.reads.push(name);
    const value = this.values.get(name);
    if (value === undefined) throw new Error(`no parameter ${name}`);
    return value;
  }

  async getString(name: string): Promise<string | undefined> {
    this.reads.push(name);
    return this.values.get(name);
  }

  async putString(name: string, value: string, _options?: MutatingCallOptions): Promise<void> {
    this.writes.push(name);
    this.values.set(name, value);
  }
}

/**
 * The scaling lease in memory, with the DynamoDB adapter's conditions: acquire succeeds when there is no lease or it
 * expired before `nowMs`; release deletes only the caller's own lease. Share one between runtimes to play two
 * containers.
 */
export class FakeScalingLease implements ScalingLeasePort {
  readonly leases = new Map<string, { owner: string; expiresAtMs: number }>();
  readonly calls: string[] = [];
  failNext: Partial<Record<'acquire' | 'release', Error>> = {};

  async acquire(groupName: string, owner: string, ttlMs: number, nowMs: number): Promise<boolean> {
    this.calls.push(`acquire(${owner})`);
    this.throwIfFailing('acquire');
    const current = this.leases.get(groupName);
    if (current !== undefined && !(current.expiresAtMs < nowMs)) return false;
    this.leases.set(groupName, { owner, expiresAtMs: nowMs + ttlMs });
    return true;
  }

  async release(groupName: string, owner: string): Promise<void> {
    this.calls.push(`release(${owner})`);
    this.throwIfFailing('release');
    if (this.leases.get(groupName)?.owner === owner) this.leases.delete(groupName);
  }

  private throwIfFailing(call: 'acquire' | 'release'): void {
    const failure = this.failNext[call];
    if (failure) {
      delete this.failNext[call];
      throw failure;
    }
  }
}

/** Captures everything written to stdout and stderr (where Powertools writes logs and EMF) while `run` runs. */
export async function captureOutput<T>(run: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const chunks: string[] = [];
  const originalOut = process.stdout.write.bind(process.stdout);
  const originalError = process.stderr.write.bind(process.stderr);
  const capture = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  try {
    const result = await run();
    return {
      result,
      lines: chunks
        .join('')
        .split('\n')
        .filter((line) => line.trim() !== ''),
    };
  } finally {
    process.stdout.write = originalOut;
    process.stderr.write = originalError;
  }
}

/** Parses captured lines that are JSON records (logs, EMF). */
export function jsonRecords(lines: readonly string[]): Record<string, unknown>[] {
  return lines.flatMap((line) => {
    try {
      const value: unknown = JSON.parse(line);
      return typeof value === 'object' && value !== null ? [value as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}
