import { AGENT_STATE_TAG } from '@elastic-ci/agent-instance/instance-state-tags';
import { readInstanceAgentState } from './instance-state';
import type { GroupInstance, InstanceDetails } from './ports';

/**
 * How long the scaler itself must have seen an instance without a running agent before it replaces it. Launch time
 * alone is not enough: an instance resumed from a `Warmed:Running` pool keeps its old launch time and starts its
 * agent only seconds after entering InService, and an agent that exits idle sets `stopped` just before the instance
 * terminates itself. Both clear within this window; a zombie does not.
 */
export const ZOMBIE_CONFIRM_MS = 2 * 60_000;

export interface ZombieCheckSettings {
  /** An instance launched less than this long ago is still booting (or resuming) and never judged. */
  gracePeriodMs: number;
  /** At most this many instances are marked unhealthy per pass. */
  maxPerPass: number;
}

export type ZombieReason = 'agent-state-missing' | 'agent-not-running';

export interface Zombie {
  id: string;
  launchedAtMs: number;
  /** The `elastic-ci:agent-state` value seen (`undefined`: no tag). */
  agentState: string | undefined;
  reason: ZombieReason;
  /** When this container first saw the instance without a running agent. */
  notRunningSinceMs: number;
}

export interface ZombieFindings {
  /** Oldest first, at most `maxPerPass`. */
  zombies: Zombie[];
  /** Zombies beyond the per-pass bound, left for the next passes. */
  deferred: string[];
}

/**
 * Chooses the instances to mark unhealthy: InService (never one in a lifecycle-hook wait, launching, or in the warm
 * pool), without scale-in protection (protected or unknown means a job may be running), launched at least the grace
 * period ago, whose `elastic-ci:agent-state` tag is not `running`, and seen so by this container for at least
 * {@link ZOMBIE_CONFIRM_MS}. `sightings` (instance id → first seen without a running agent) is the container's
 * memory between passes; it is updated in place and forgets instances that recovered or left the group.
 */
export function findZombies(
  instances: readonly GroupInstance[],
  details: ReadonlyMap<string, InstanceDetails>,
  sightings: Map<string, number>,
  nowMs: number,
  settings: ZombieCheckSettings,
): ZombieFindings {
  const candidates: Zombie[] = [];
  const stillSuspect = new Set<string>();
  for (const instance of instances) {
    if (instance.lifecycleState !== 'InService' || instance.protectedFromScaleIn !== false) continue;
    const detail = details.get(instance.id);
    const launchedAtMs = detail?.launchedAtMs;
    if (detail === undefined || launchedAtMs === undefined || nowMs - launchedAtMs < settings.gracePeriodMs) continue;
    if (readInstanceAgentState(detail.tags).agentRunning) continue;
    stillSuspect.add(instance.id);
    const notRunningSinceMs = sightings.get(instance.id) ?? nowMs;
    sightings.set(instance.id, notRunningSinceMs);
    if (nowMs - notRunningSinceMs < ZOMBIE_CONFIRM_MS) continue;
    const agentState = detail.tags[AGENT_STATE_TAG];
    candidates.push({
      id: instance.id,
      launchedAtMs,
      agentState,
      reason: agentState === undefined ? 'agent-state-missing' : 'agent-not-running',
      notRunningSinceMs,
    });
  }
  for (const id of sightings.keys()) if (!stillSuspect.has(id)) sightings.delete(id);
  candidates.sort((left, right) => left.launchedAtMs - right.launchedAtMs || (left.id < right.id ? -1 : 1));
  const limit = Math.max(0, settings.maxPerPass);
  return { zombies: candidates.slice(0, limit), deferred: candidates.slice(limit).map((zombie) => zombie.id) };
}
