/**
 * The four properties every fault scenario asserts, as pure functions over what the sandbox and the Buildkite
 * stand-in report: no job killed by our own action, recovery, no zombie instance, no secret in any log.
 */

/** The part of a stand-in job (contract §1) the invariants read. */
export interface ObservedJob {
  readonly id: string;
  readonly state: string;
  readonly agentId?: string;
  readonly interrupted: boolean;
}

/** The part of a stand-in agent the invariants read. */
export interface ObservedAgent {
  readonly id: string;
  readonly name: string;
  readonly state: string;
}

/**
 * Interruptions the test itself caused on purpose, by agent: a SIGKILLed agent process (a crash) loses its job, and
 * that loss belongs to the crash, not to elastic-ci.
 */
export interface InjectedCrash {
  readonly agentId: string;
  readonly reason: string;
}

export interface InterruptionAttribution {
  /** Interrupted jobs on agents the test crashed on purpose. */
  readonly byInjectedCrash: readonly ObservedJob[];
  /** Every other interrupted job: elastic-ci (scaler, lifecycled, stop-agents, the hosts' terminate path) killed it. */
  readonly byUs: readonly ObservedJob[];
}

/** Splits interrupted jobs into those the test's own crashes explain and those elastic-ci must answer for. */
export function attributeInterruptions(
  jobs: readonly ObservedJob[],
  crashes: readonly InjectedCrash[],
): InterruptionAttribution {
  const crashed = new Set(crashes.map((crash) => crash.agentId));
  const interrupted = jobs.filter((job) => job.interrupted);
  return {
    byInjectedCrash: interrupted.filter((job) => job.agentId !== undefined && crashed.has(job.agentId)),
    byUs: interrupted.filter((job) => job.agentId === undefined || !crashed.has(job.agentId)),
  };
}

const UNFINISHED_STATES = new Set(['waiting', 'scheduled', 'assigned', 'accepted', 'running']);

/** True when no job of the queue is still waiting, scheduled or running. */
export function queueDrained(jobs: readonly ObservedJob[]): boolean {
  return jobs.every((job) => !UNFINISHED_STATES.has(job.state));
}

/** One instance of the group as the zombie check needs it. */
export interface ObservedInstance {
  readonly instanceId: string;
  /** Auto Scaling lifecycle state (`InService`, `Pending`, `Terminating:Wait`, …). */
  readonly lifecycleState: string;
  /** World second the instance entered the group (launch). */
  readonly launchedAtWorldSec: number;
}

export interface Zombie {
  readonly instanceId: string;
  readonly inServiceForWorldSec: number;
}

/**
 * In-service instances without a connected agent once `graceWorldSec` (boot + agent start) has passed since launch:
 * they cost money and run nothing. `agentRunning` says whether an instance has a connected agent.
 */
export function findZombies(
  instances: readonly ObservedInstance[],
  agentRunning: (instanceId: string) => boolean,
  nowWorldSec: number,
  graceWorldSec: number,
): Zombie[] {
  return instances
    .filter((instance) => instance.lifecycleState === 'InService')
    .filter((instance) => nowWorldSec - instance.launchedAtWorldSec > graceWorldSec)
    .filter((instance) => !agentRunning(instance.instanceId))
    .map((instance) => ({
      instanceId: instance.instanceId,
      inServiceForWorldSec: nowWorldSec - instance.launchedAtWorldSec,
    }));
}

/** A secret the suite plants (agent token, webhook secret, canary job secret) and must never find in output. */
export interface CanarySecret {
  /** Named in failures instead of the value, so the failure message does not leak it either. */
  readonly label: string;
  readonly value: string;
}

export interface SecretLeak {
  readonly source: string;
  readonly label: string;
  /** 1-based line of the first occurrence. */
  readonly line: number;
}

/** Every place a canary secret appears in the given outputs (file path or stream name → text). */
export function findSecretLeaks(
  outputs: ReadonlyArray<{ readonly source: string; readonly text: string }>,
  secrets: readonly CanarySecret[],
): SecretLeak[] {
  const leaks: SecretLeak[] = [];
  for (const { source, text } of outputs) {
    for (const secret of secrets) {
      if (secret.value.length === 0) continue;
      const index = text.indexOf(secret.value);
      if (index < 0) continue;
      leaks.push({ source, label: secret.label, line: text.slice(0, index).split('\n').length });
    }
  }
  return leaks;
}
