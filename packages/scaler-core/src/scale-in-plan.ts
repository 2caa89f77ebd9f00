import type { InstanceView } from './types.js';

export type DrainOrder = 'oldest-first' | 'newest-first' | 'longest-idle-first';

export interface ScaleInPlanOptions {
  /** How many instances the decision wants to remove. */
  count: number;
  nowMs: number;
  /** @default 'oldest-first' */
  order?: DrainOrder;
  /** An instance younger than this is kept (billing granularity, warm caches). @default 0 */
  minRunningTimeSec?: number;
  /** An instance must have been idle at least this long (needs `idleSinceMs`). @default 0 */
  minIdleSec?: number;
  /** Idle job slots that must remain on the instances left running. @default 0 */
  idleFloorSlots?: number;
}

/**
 * `true` when the instance can be drained now: InService, no busy agent (unknown counts as busy), older than the
 * minimum running time and idle for at least the minimum idle time.
 */
export function isDrainable(
  instance: InstanceView,
  nowMs: number,
  minRunningTimeSec: number,
  minIdleSec: number,
): boolean {
  if (instance.lifecycleState !== 'InService') return false;
  if (!(Number.isFinite(instance.busyAgents) && instance.busyAgents === 0)) return false;
  if (instance.launchedAtMs + minRunningTimeSec * 1000 > nowMs) return false;
  if (minIdleSec > 0) {
    if (instance.idleSinceMs === undefined || instance.idleSinceMs + minIdleSec * 1000 > nowMs) return false;
  }
  return true;
}

function compareBy(order: DrainOrder): (left: InstanceView, right: InstanceView) => number {
  // Candidates have distinct ids (an id listed twice is never one), so the id decides every tie.
  const byLaunch = (left: InstanceView, right: InstanceView) =>
    left.launchedAtMs - right.launchedAtMs || (left.id < right.id ? -1 : 1);
  if (order === 'newest-first') return (left, right) => byLaunch(right, left);
  if (order === 'longest-idle-first') {
    return (left, right) =>
      (left.idleSinceMs ?? Number.POSITIVE_INFINITY) - (right.idleSinceMs ?? Number.POSITIVE_INFINITY) ||
      byLaunch(left, right);
  }
  return byLaunch;
}

const idleSlotsOf = (instance: InstanceView) =>
  Number.isFinite(instance.idleAgents) && instance.idleAgents > 0 ? instance.idleAgents : 0;

/**
 * Chooses which instances to drain for a graceful scale-in: never a busy one nor one listed more than once, in the
 * configured order, skipping any whose removal would leave fewer idle slots than the floor. May return fewer than `count` ids (even none).
 */
export function planScaleIn(instances: readonly InstanceView[], options: ScaleInPlanOptions): string[] {
  const minRunningTimeSec = options.minRunningTimeSec ?? 0;
  const minIdleSec = options.minIdleSec ?? 0;
  const idleFloorSlots = options.idleFloorSlots ?? 0;
  if (options.count <= 0) return [];
  // An id listed more than once has an ambiguous view (one listing may be busy): it is never drained, and its idle
  // slots count once. Draining it "twice" lowered desired by two for one drained instance, and the group then
  // terminated another, possibly busy, one.
  const listings = new Map<string, number>();
  let idleSlotsLeft = 0;
  for (const instance of instances) {
    const seen = listings.get(instance.id) ?? 0;
    listings.set(instance.id, seen + 1);
    if (seen === 0 && instance.lifecycleState === 'InService') idleSlotsLeft += idleSlotsOf(instance);
  }
  const candidates = instances
    .filter(
      (instance) =>
        listings.get(instance.id) === 1 && isDrainable(instance, options.nowMs, minRunningTimeSec, minIdleSec),
    )
    .sort(compareBy(options.order ?? 'oldest-first'));
  const chosen: string[] = [];
  for (const instance of candidates) {
    if (chosen.length === options.count) break;
    const slots = idleSlotsOf(instance);
    if (idleSlotsLeft - slots < idleFloorSlots) continue;
    idleSlotsLeft -= slots;
    chosen.push(instance.id);
  }
  return chosen;
}
