import { readFile } from 'node:fs/promises';
import type { BuildkiteApiStandIn, RunningImdsStandIn } from '@elastic-ci/testing';
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

/** One instance's simulated host as the fault suite needs it (contract §3 `HostSummary` + §4). */
export interface FaultHost {
  readonly instanceId: string;
  readonly lifecycleState: string;
  readonly launchedAtWorldSec: number;
  readonly agentRunning: boolean;
  readonly agentPid?: number;
  readonly imds: RunningImdsStandIn;
}

export interface FaultSample {
  readonly worldSec: number;
  readonly scheduled: number;
  readonly running: number;
  readonly desired: number;
  readonly inService: number;
}

/** What the fault suite drives: the structural part of `Sandbox` (contract §3 and §4) it uses. */
export interface FaultWorld {
  worldNow(): number;
  readonly standIn: BuildkiteApiStandIn;
  readonly groupName: string;
  sample(): Promise<FaultSample>;
  hosts(): readonly FaultHost[];
  logs(): string[];
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

/** The instance whose host runs agent `agentName` (the simulated agent is named after its instance). */
export function hostOfAgent(world: FaultWorld, agentName: string): FaultHost | undefined {
  return world.hosts().find((host) => agentName.includes(host.instanceId));
}

/**
 * SIGKILLs the simulated agent that runs one of `prefix`'s jobs (a crash: no graceful stop, no disconnect) and
 * returns the crash record that attributes that job's loss to the test.
 */
export function crashAgentRunningJob(world: FaultWorld, prefix: string): InjectedCrash & { jobId: string } {
  const job = jobsOf(world, prefix).find((candidate) => candidate.state === 'running' && candidate.agentId);
  if (!job?.agentId) throw new Error(`no running job of ${prefix} to crash`);
  const agent = world.standIn.agents().find((candidate) => candidate.id === job.agentId);
  const pid = agent?.pid ?? (agent ? hostOfAgent(world, agent.name)?.agentPid : undefined);
  if (!agent || pid === undefined) throw new Error(`agent ${job.agentId} of job ${job.id} has no known pid`);
  process.kill(pid, 'SIGKILL');
  return { agentId: agent.id, reason: 'SIGKILL by the fault suite', jobId: job.id };
}

/** In-service instances without a running agent, once `graceWorldSec` has passed since their launch. */
export function zombiesOf(world: FaultWorld, graceWorldSec: number): Zombie[] {
  const hosts = world.hosts();
  const running = new Map(hosts.map((host) => [host.instanceId, host.agentRunning]));
  return findZombies(hosts, (instanceId) => running.get(instanceId) === true, world.worldNow(), graceWorldSec);
}

/** Recovery: the scenario's jobs are all done, the group has what it asked for, and no instance is a zombie. */
export async function recovered(world: FaultWorld, prefix: string, graceWorldSec: number): Promise<boolean> {
  if (!queueDrained(jobsOf(world, prefix))) return false;
  const sample = await world.sample();
  return sample.inService === sample.desired && zombiesOf(world, graceWorldSec).length === 0;
}

export async function describeWorld(world: FaultWorld, prefix: string): Promise<string> {
  const sample = await world.sample();
  const states = jobsOf(world, prefix).reduce<Record<string, number>>((counts, job) => {
    counts[job.state] = (counts[job.state] ?? 0) + 1;
    return counts;
  }, {});
  return `world ${Math.round(sample.worldSec)} s: jobs ${JSON.stringify(states)}, desired ${sample.desired}, in service ${sample.inService}, hosts ${JSON.stringify(world.hosts().map((host) => [host.instanceId, host.lifecycleState, host.agentRunning]))}`;
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
