import { parseScalerConfig, type ScalerConfigInput } from './config.js';
import type { DecisionInput, GroupState, InstanceView, QueueMetrics, ScalerState } from './types.js';

/** 2026-11-23T12:00:00Z, a Monday. */
export const NOW_MS = Date.UTC(2026, 10, 23, 12, 0, 0);
export const MINUTE_MS = 60_000;

export function metrics(overrides: Partial<QueueMetrics> = {}): QueueMetrics {
  return {
    scheduledJobs: 0,
    runningJobs: 0,
    waitingJobs: 0,
    idleAgents: 0,
    busyAgents: 0,
    totalAgents: 0,
    collectedAtMs: NOW_MS,
    ...overrides,
  };
}

export function group(overrides: Partial<GroupState> = {}): GroupState {
  return { desired: 0, min: 0, max: 100, inService: 0, pending: 0, ...overrides };
}

export function instance(overrides: Partial<InstanceView> & { id: string }): InstanceView {
  return {
    launchedAtMs: NOW_MS - 120 * MINUTE_MS,
    lifecycleState: 'InService',
    busyAgents: 0,
    idleAgents: 1,
    idleSinceMs: NOW_MS - 30 * MINUTE_MS,
    ...overrides,
  };
}

export interface InputParts {
  config?: ScalerConfigInput;
  nowMs?: number;
  metrics?: Partial<QueueMetrics>;
  group?: Partial<GroupState>;
  state?: ScalerState;
}

export function input(parts: InputParts = {}): DecisionInput {
  return {
    config: parseScalerConfig(parts.config ?? {}),
    nowMs: parts.nowMs ?? NOW_MS,
    // Metrics read just now unless a test says otherwise.
    metrics: metrics({ collectedAtMs: parts.nowMs ?? NOW_MS, ...parts.metrics }),
    group: group(parts.group),
    state: parts.state ?? {},
  };
}
