import {
  AGENT_STATE_TAG,
  IDLE_SINCE_TAG,
  parseAgentStateTag,
  parseIdleSinceTag,
} from '@elastic-ci/agent-instance/instance-state-tags';
import type { InstanceView } from '@elastic-ci/scaler-core';
import type { GroupInstance, InstanceDetails } from './ports';

/** What an instance's tags say about its agent, read with agent-instance's contract (one writer, one reader). */
export interface InstanceAgentState {
  /**
   * The instance writes the contract's tags (our AMI). Instances that carry neither tag (another AMI, or a boot that
   * has not tagged yet) are judged by scale-in protection alone, as Buildkite's scaler does.
   */
  speaksContract: boolean;
  /** Epoch ms since which no job runs on it; `undefined` while busy, or for a missing or unreadable tag. */
  idleSinceMs: number | undefined;
  /** The agent runs: `elastic-ci:agent-state` is `running`. Missing, `stopped` or anything else: not running. */
  agentRunning: boolean;
}

export function readInstanceAgentState(tags: Readonly<Record<string, string>>): InstanceAgentState {
  const idleSinceTag = tags[IDLE_SINCE_TAG];
  const agentStateTag = tags[AGENT_STATE_TAG];
  return {
    speaksContract: idleSinceTag !== undefined || agentStateTag !== undefined,
    idleSinceMs: parseIdleSinceTag(idleSinceTag)?.getTime(),
    agentRunning: parseAgentStateTag(agentStateTag) === 'running',
  };
}

/**
 * The core's view of one instance for scale-in planning. Idle only when every signal says so: InService-ready data
 * (a known launch time), no scale-in protection (an agent holds it while a job runs) and, for an instance that
 * speaks the tag contract, an `elastic-ci:idle-since` tag — the first job to start removes it, so its absence means
 * a job may be running even where protection is switched off or failed to apply. Unknown counts as busy: never
 * drained. The idle time feeds `SCALE_IN_MIN_IDLE` and `longest-idle-first`.
 */
export function toInstanceView(
  instance: GroupInstance,
  details: InstanceDetails | undefined,
  nowMs: number,
  agentsPerInstance: number,
): InstanceView {
  const launchedAtMs = details?.launchedAtMs;
  const agent = readInstanceAgentState(details?.tags ?? {});
  const idle =
    instance.protectedFromScaleIn === false &&
    launchedAtMs !== undefined &&
    (!agent.speaksContract || agent.idleSinceMs !== undefined);
  const slots = Math.max(1, agentsPerInstance);
  return {
    id: instance.id,
    launchedAtMs: launchedAtMs ?? nowMs,
    lifecycleState: instance.lifecycleState,
    busyAgents: idle ? 0 : Number.NaN,
    idleAgents: idle ? slots : 0,
    // An idle time in the future (a skewed instance clock) counts from now: idle, but not for long.
    ...(idle && agent.idleSinceMs !== undefined ? { idleSinceMs: Math.min(agent.idleSinceMs, nowMs) } : {}),
  };
}
