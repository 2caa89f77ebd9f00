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

/** Scaling passes the real scaler completed (one `scaling decision` record each), whatever they decided. */
export function countScalerPasses(lines: readonly string[]): number {
  return lines.filter((line) => line.includes('"message":"scaling decision"')).length;
}
