import type { Clock, Responder, SelfInvoker } from '@elastic-ci/custom-resource';
import type { CommandInvocation, GroupSnapshot } from '../drain-decision';
import type { AgentGroup, AgentStopper } from '../ports';

// Test support: an in-memory Auto Scaling group whose agents behave like ours, and the Lambda plumbing around it.

export interface FakeInstanceSpec {
  /** How long the current job still runs; absent = idle (and so not protected from scale-in). */
  busyForMs?: number;
  /** Joins the group InService at this many ms after the start (it was Pending before). */
  joinsAfterMs?: number;
}

interface FakeInstance {
  instanceId: string;
  busyUntil: number | undefined;
  joinsAt: number;
  stopRequestedAt: number | undefined;
  terminatedAt: number | undefined;
}

/**
 * A group of agents: an agent told to stop exits when its job ends and its instance terminates itself; lowering
 * desired capacity removes only idle (unprotected) instances, as scale-in protection does for busy ones.
 */
export class FakeFleet implements AgentGroup, AgentStopper {
  readonly calls: string[] = [];
  minSize: number;
  desiredCapacity: number;
  readonly maxSize: number;
  readonly #clock: Clock;
  readonly #instances: FakeInstance[];
  readonly #commands = new Map<string, string[]>();
  #failures = new Map<string, Error>();
  #failingAlways = new Map<string, () => Error>();
  #hangOn: string | undefined;

  constructor(clock: Clock, options: { minSize?: number; maxSize?: number; instances: FakeInstanceSpec[] }) {
    this.#clock = clock;
    const start = clock.now();
    this.#instances = options.instances.map((spec, index) => ({
      instanceId: `i-${String(index).padStart(4, '0')}`,
      busyUntil: spec.busyForMs === undefined ? undefined : start + spec.busyForMs,
      joinsAt: start + (spec.joinsAfterMs ?? 0),
      stopRequestedAt: undefined,
      terminatedAt: undefined,
    }));
    this.minSize = options.minSize ?? 1;
    this.maxSize = options.maxSize ?? 10;
    this.desiredCapacity = this.#instances.length;
  }

  /** The next call named `call` throws `error`. */
  failNext(call: 'describe' | 'zeroCapacity' | 'sendStop' | 'listInvocations', error: Error): void {
    this.#failures.set(call, error);
  }

  /** Every later call named `call` throws what `makeError` makes (a throttling that does not let up). */
  failAlways(call: 'describe' | 'zeroCapacity' | 'sendStop' | 'listInvocations', makeError: () => Error): void {
    this.#failingAlways.set(call, makeError);
  }

  /** Every later call named `call` never settles (an SDK call stuck on the network). */
  hang(call: 'describe' | 'zeroCapacity' | 'sendStop' | 'listInvocations'): void {
    this.#hangOn = call;
  }

  /** Instances that went away while their job was still running: must always be empty. */
  get terminatedWhileBusy(): string[] {
    return this.#instances
      .filter((instance) => instance.terminatedAt !== undefined && (instance.busyUntil ?? 0) > instance.terminatedAt)
      .map((instance) => instance.instanceId);
  }

  get liveInstanceIds(): string[] {
    this.#settle();
    return this.#instances
      .filter((instance) => instance.terminatedAt === undefined)
      .map((instance) => instance.instanceId);
  }

  async describe(): Promise<GroupSnapshot> {
    await this.#enter('describe');
    this.#settle();
    const now = this.#clock.now();
    return {
      exists: true,
      minSize: this.minSize,
      maxSize: this.maxSize,
      desiredCapacity: this.desiredCapacity,
      instances: this.#instances
        .filter((instance) => instance.terminatedAt === undefined)
        .map((instance) => ({
          instanceId: instance.instanceId,
          lifecycleState: instance.joinsAt > now ? 'Pending' : 'InService',
        })),
    };
  }

  async zeroCapacity(): Promise<void> {
    await this.#enter('zeroCapacity');
    this.minSize = 0;
    this.desiredCapacity = 0;
    this.#settle();
  }

  async sendStop(): Promise<string> {
    await this.#enter('sendStop');
    const now = this.#clock.now();
    const reached = this.#instances.filter(
      (instance) => instance.terminatedAt === undefined && instance.joinsAt <= now,
    );
    for (const instance of reached) instance.stopRequestedAt ??= now;
    const commandId = `command-${this.#commands.size + 1}`;
    this.#commands.set(
      commandId,
      reached.map((instance) => instance.instanceId),
    );
    return commandId;
  }

  async listInvocations(commandIds: string[]): Promise<CommandInvocation[]> {
    await this.#enter('listInvocations');
    return commandIds.flatMap((commandId) =>
      (this.#commands.get(commandId) ?? []).map((instanceId) => ({ commandId, instanceId, status: 'Success' })),
    );
  }

  async #enter(call: string): Promise<void> {
    this.calls.push(call);
    if (this.#hangOn === call) await new Promise<never>(() => {});
    const failure = this.#failures.get(call);
    if (failure) {
      this.#failures.delete(call);
      throw failure;
    }
    const makeError = this.#failingAlways.get(call);
    if (makeError) throw makeError();
  }

  #settle(): void {
    const now = this.#clock.now();
    for (const instance of this.#instances) {
      if (instance.terminatedAt !== undefined) continue;
      const jobDone = instance.busyUntil === undefined || instance.busyUntil <= now;
      // A stopped agent exits once its job is done; the instance then terminates itself.
      if (instance.stopRequestedAt !== undefined && jobDone) {
        instance.terminatedAt = Math.max(instance.stopRequestedAt, instance.busyUntil ?? 0);
      }
    }
    const live = this.#instances.filter((instance) => instance.terminatedAt === undefined);
    let excess = live.length - this.desiredCapacity;
    for (const instance of live) {
      if (excess <= 0) break;
      const idle = instance.busyUntil === undefined || instance.busyUntil <= now;
      if (idle) {
        instance.terminatedAt = now;
        excess -= 1;
      }
    }
  }
}

/** Keeps answers in memory (the HTTP path is covered by @elastic-ci/custom-resource's own tests). */
export class MemoryResponder implements Responder {
  readonly bodies: Record<string, unknown>[] = [];
  readonly answeredAt: number[] = [];
  constructor(private readonly clock: Clock) {}
  async send(_responseUrl: string, body: string): Promise<void> {
    this.bodies.push(JSON.parse(body) as Record<string, unknown>);
    this.answeredAt.push(this.clock.now());
  }
}

/** Stands in for Lambda's asynchronous invoke: keeps payloads for the simulated runtime to deliver. */
export class QueueingInvoker implements SelfInvoker {
  readonly queued: string[] = [];
  async invokeAsync(_functionArn: string, payload: string): Promise<void> {
    this.queued.push(payload);
  }
}
