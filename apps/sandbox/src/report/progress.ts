import { percentile } from '@elastic-ci/simulator';
import type { RecordedSample } from './recorded-run';

const pad = (value: number) => String(value).padStart(2, '0');

/** World seconds as the trace's wall clock: `+01:23:45` from trace t = 0 (`+1d02:00:00` past a day). */
export function formatWorldClock(worldSec: number): string {
  const whole = Math.max(0, Math.floor(worldSec));
  const days = Math.floor(whole / 86_400);
  const clock = `${pad(Math.floor((whole % 86_400) / 3600))}:${pad(Math.floor((whole % 3600) / 60))}:${pad(whole % 60)}`;
  return days > 0 ? `+${days}d${clock}` : `+${clock}`;
}

export interface ProgressInput {
  readonly sample: RecordedSample;
  /** Jobs added to the stand-in so far, of the cut's total. */
  readonly jobsAdded: number;
  readonly jobsTotal: number;
  readonly jobsFinished: number;
  /** Waits of the jobs started so far, ascending, world seconds. */
  readonly waitsSec: readonly number[];
}

/**
 * One live line, e.g.
 * `+00:42:10 jobs 21/60 added, 17 done · queue 2 scheduled / 3 running / 0 waiting · fleet desired 5, in service 4,
 * warm 3 · wait p50 0 s, p95 41 s, max 95 s (19 started)`.
 */
export function formatProgressLine(input: ProgressInput): string {
  const { sample, waitsSec } = input;
  const waits =
    waitsSec.length === 0
      ? 'no job started yet'
      : `wait p50 ${percentile(waitsSec, 50).toFixed(0)} s, p95 ${percentile(waitsSec, 95).toFixed(0)} s, max ${percentile(waitsSec, 100).toFixed(0)} s (${waitsSec.length} started)`;
  return [
    `${formatWorldClock(sample.atSec)} jobs ${input.jobsAdded}/${input.jobsTotal} added, ${input.jobsFinished} done`,
    `queue ${sample.scheduled} scheduled / ${sample.running} running / ${sample.waiting} waiting`,
    `fleet desired ${sample.desired}, in service ${sample.inService}, warm ${sample.warm}`,
    waits,
  ].join(' · ');
}
