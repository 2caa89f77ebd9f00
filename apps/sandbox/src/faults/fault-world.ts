import { readFile } from 'node:fs/promises';
import type { BuildkiteApiStandIn } from '@elastic-ci/testing';
import {
  attributeInterruptions,
  type CanarySecret,
  findSecretLeaks,
  findZombies,
  type InjectedCrash,
  queueDrained,
  type SecretLeak,
  type Zombie,
} from './invariants';
import type { FaultOutcome } from './summary-table';

/** One instance of the fleet's groups as the invariants need it: moto's view joined with its simulated host. */
export interface FaultInstance {
  readonly instanceId: string;
  /** moto's lifecycle state (`InService`, `Pending`, `Terminating:Wait`, …). */
  readonly lifecycleState: string;
  readonly launchedAtWorldSec: number;
  /** The host booted and its agent process has not exited. */
  readonly agentRunning: boolean;
}

export interface FaultSample {
  readonly worldSec: number;
  readonly scheduled: number;
  readonly running: number;
  readonly desired: number;
  readonly inService: number;
  /** Connected agents of the queue. */
  readonly agents: number;
}

/** What the fault suite observes of a sandbox (adapted from `Sandbox` in start-fault-world.ts). */
export interface FaultWorld {
  worldNow(): number;
  readonly standIn: BuildkiteApiStandIn;
  sample(): Promise<FaultSample>;
  instances(): Promise<readonly FaultInstance[]>;
}

export class ConditionTimeoutError extends Error {
  override name = 'ConditionTimeoutError';
}

export interface WaitOptions {
  /** What is awaited, for the failure message. */
  readonly what: string;
  /** Generous upper bound in REAL milliseconds: it catches a hang, it measures nothing. */
  readonly timeoutMs: number;
  /** @default 100 */
  readonly pollMs?: number;
  /** Describes the state at the timeout, for the failure message. */
  readonly describe?: () => string | Promise<string>;
}

/** Polls `condition` until it holds; throws naming `what` and the last state when the bound passes. */
export async function waitFor(condition: () => boolean | Promise<boolean>, options: WaitOptions): Promise<void> {
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (performance.now() > deadline) {
      const state = options.describe ? await options.describe() : '';
      throw new ConditionTimeoutError(`timed out after ${options.timeoutMs} ms waiting for ${options.what}. ${state}`);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, options.pollMs ?? 100));
  }
}

/** Job ids a scenario adds carry its prefix, so each scenario counts only its own jobs in a shared world. */
export function jobsOf(world: FaultWorld, prefix: string) {
  return world.standIn.jobs().filter((job) => job.id.startsWith(prefix));
}

/** Adds `count` jobs of `durationSec` world seconds, ids `<prefix>-<n>`. */
export function addJobs(world: FaultWorld, queue: string, prefix: string, count: number, durationSec: number): void {
  for (let index = 0; index < count; index += 1) {
    world.standIn.addJob({ id: `${prefix}-${index}`, queue, durationSec });
  }
}

/** In-service instances without a running agent, once `graceWorldSec` has passed since their launch. */
export async function zombiesOf(world: FaultWorld, graceWorldSec: number): Promise<Zombie[]> {
  const instances = await world.instances();
  const running = new Map(instances.map((instance) => [instance.instanceId, instance.agentRunning]));
  return findZombies(instances, (instanceId) => running.get(instanceId) === true, world.worldNow(), graceWorldSec);
}

/** Recovery: the scenario's jobs are all done, the group has what it asked for, and no instance is a zombie. */
export async function recovered(world: FaultWorld, prefix: string, graceWorldSec: number): Promise<boolean> {
  if (!queueDrained(jobsOf(world, prefix))) return false;
  const sample = await world.sample();
  return sample.inService === sample.desired && (await zombiesOf(world, graceWorldSec)).length === 0;
}

export async function describeWorld(world: FaultWorld, prefix: string): Promise<string> {
  const sample = await world.sample();
  const states = jobsOf(world, prefix).reduce<Record<string, number>>((counts, job) => {
    counts[job.state] = (counts[job.state] ?? 0) + 1;
    return counts;
  }, {});
  return `world ${Math.round(sample.worldSec)} s: jobs ${JSON.stringify(states)}, desired ${sample.desired}, in service ${sample.inService}, instances ${JSON.stringify((await world.instances()).map((instance) => [instance.instanceId, instance.lifecycleState, instance.agentRunning]))}`;
}

/** The scenario's row for the summary table, with the interruptions split between the test's crashes and us. */
export function outcomeOf(
  world: FaultWorld,
  fault: string,
  prefix: string,
  crashes: readonly InjectedCrash[],
  recoveredAfterWorldSec: number | undefined,
): FaultOutcome & { interruptedByUs: string[] } {
  const jobs = jobsOf(world, prefix);
  const attribution = attributeInterruptions(jobs, crashes);
  return {
    fault,
    jobsRun: jobs.filter((job) => job.state === 'finished' && !job.interrupted).length,
    jobsInterrupted: attribution.byUs.length,
    jobsLostToInjectedCrash: attribution.byInjectedCrash.length,
    recoveredAfterWorldSec,
    interruptedByUs: attribution.byUs.map((job) => `${job.id} (${job.state}, agent ${job.agentId ?? 'none'})`),
  };
}

/** Every canary secret found in any log file the sandbox lists or in captured output (never the value itself). */
export async function secretLeaksIn(
  logFiles: readonly string[],
  captured: ReadonlyArray<{ source: string; text: string }>,
  secrets: readonly CanarySecret[],
): Promise<SecretLeak[]> {
  const outputs = await Promise.all(
    logFiles.map(async (file) => ({ source: file, text: await readFile(file, 'utf8').catch(() => '') })),
  );
  return findSecretLeaks([...outputs, ...captured], secrets);
}
