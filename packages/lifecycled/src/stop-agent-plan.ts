export type StopStep =
  | { kind: 'sigterm' }
  | { kind: 'sigquit' }
  | { kind: 'wait'; ms: number }
  | { kind: 'done'; reason: 'agent-stopped' };

export interface StopSituation {
  nowMs: number;
  /** Spot only: when EC2 reclaims the instance. */
  deadlineMs: number | undefined;
  agentRunning: boolean;
  sigtermSent: boolean;
  sigquitSent: boolean;
  /** How long before the deadline to send SIGQUIT (the agent then cancels its job and uploads what it can). */
  sigquitLeadMs: number;
  pollMs: number;
}

/**
 * The graceful stop as a pure step function. SIGTERM once (the Buildkite agent finishes its running job and takes no
 * more; a second SIGTERM would cancel the job, so it is never repeated), then wait for the agent to exit. With a spot
 * deadline, SIGQUIT `sigquitLeadMs` before it, because the job is lost anyway and a clean cancel beats a power cut.
 */
export function nextStopStep(situation: StopSituation): StopStep {
  if (!situation.agentRunning) return { kind: 'done', reason: 'agent-stopped' };
  if (!situation.sigtermSent) return { kind: 'sigterm' };
  if (situation.deadlineMs === undefined || situation.sigquitSent) return { kind: 'wait', ms: situation.pollMs };
  const sigquitAtMs = situation.deadlineMs - situation.sigquitLeadMs;
  if (situation.nowMs >= sigquitAtMs) return { kind: 'sigquit' };
  return { kind: 'wait', ms: Math.min(situation.pollMs, sigquitAtMs - situation.nowMs) };
}
