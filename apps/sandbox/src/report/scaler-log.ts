import type { RecordedScalingAction } from './recorded-run';

/**
 * The scaling API calls the real agent-scaler made, read from its `scaling decision` log records (one per pass), counted
 * exactly as the simulator counts them: one `SetDesiredCapacity` when a pass changed desired without draining, one
 * `TerminateInstanceInAutoScalingGroup` per drained instance, one `PutWarmPool` when the pool's MinSize was updated.
 * `toWorldSec` turns the record's epoch-ms time into world seconds. Lines that are not such a record are skipped.
 */
export function scalingActionsFromLogLines(
  lines: readonly string[],
  toWorldSec: (epochMs: number) => number,
): RecordedScalingAction[] {
  const actions: RecordedScalingAction[] = [];
  for (const line of lines) {
    if (!line.includes('"scaling decision"')) continue;
    const start = line.indexOf('{');
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line.slice(start)) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (record.message !== 'scaling decision') continue;
    const epochMs = Date.parse(String(record.timestamp ?? ''));
    const inputs = record.inputs as { nowMs?: unknown } | undefined;
    const atMs = Number.isFinite(epochMs) ? epochMs : Number(inputs?.nowMs);
    if (!Number.isFinite(atMs)) continue;
    const atSec = toWorldSec(atMs);
    const drained = Array.isArray(record.drained) ? record.drained.length : 0;
    for (let index = 0; index < drained; index += 1)
      actions.push({ atSec, kind: 'TerminateInstanceInAutoScalingGroup' });
    if (drained === 0 && record.changed === true && record.desired !== record.previousDesired) {
      actions.push({ atSec, kind: 'SetDesiredCapacity' });
    }
    const warmPool = record.warmPool as { status?: unknown } | undefined;
    if (warmPool?.status === 'updated') actions.push({ atSec, kind: 'PutWarmPool' });
  }
  return actions.sort((a, b) => a.atSec - b.atSec);
}

/**
 * Median real milliseconds between consecutive `schedule` passes of one invocation (its poll loop): the poll interval
 * plus what a pass itself takes on this machine. `undefined` with fewer than two such passes in any invocation.
 */
export function medianScheduledPassGapMs(lines: readonly string[]): number | undefined {
  const byInvocation = new Map<string, number[]>();
  for (const line of lines) {
    if (!line.includes('"scaling decision"')) continue;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>;
    } catch {
      continue;
    }
    const atMs = Date.parse(String(record.timestamp ?? ''));
    if (record.message !== 'scaling decision' || record.trigger !== 'schedule' || !Number.isFinite(atMs)) continue;
    const requestId = String(record.requestId ?? '');
    byInvocation.set(requestId, [...(byInvocation.get(requestId) ?? []), atMs]);
  }
  const gaps = [...byInvocation.values()].flatMap((times) =>
    times
      .sort((a, b) => a - b)
      .slice(1)
      .map((atMs, index) => atMs - (times[index] as number)),
  );
  if (gaps.length === 0) return undefined;
  gaps.sort((a, b) => a - b);
  const middle = Math.floor(gaps.length / 2);
  return gaps.length % 2 === 1
    ? (gaps[middle] as number)
    : ((gaps[middle - 1] as number) + (gaps[middle] as number)) / 2;
}

/** Scaling passes the real scaler completed (one `scaling decision` record each), whatever they decided. */
export function countScalerPasses(lines: readonly string[]): number {
  return lines.filter((line) => line.includes('"message":"scaling decision"')).length;
}
