import type { Clock } from './clock';

export type DeadlineOutcome<T> =
  | { kind: 'completed'; value: T }
  | { kind: 'threw'; error: unknown }
  | { kind: 'timed-out' };

/**
 * Runs `work` until `deadlineAt` (clock time). When the deadline wins, the signal handed to `work` is aborted and
 * the outcome is `timed-out` at once, without waiting for `work` to notice: the caller still has its reserved
 * margin to answer CloudFormation.
 */
export async function runWithDeadline<T>(
  work: (signal: AbortSignal) => Promise<T>,
  options: { clock: Clock; deadlineAt: number },
): Promise<DeadlineOutcome<T>> {
  const workAbort = new AbortController();
  const timerAbort = new AbortController();
  const running = (async (): Promise<DeadlineOutcome<T>> => {
    try {
      return { kind: 'completed', value: await work(workAbort.signal) };
    } catch (error) {
      return { kind: 'threw', error };
    }
  })();
  const timer = options.clock
    .sleep(Math.max(0, options.deadlineAt - options.clock.now()), timerAbort.signal)
    .then((): DeadlineOutcome<T> => ({ kind: 'timed-out' }));
  const outcome = await Promise.race([running, timer]);
  if (outcome.kind === 'timed-out') {
    workAbort.abort(new Error('deadline reached'));
  } else {
    timerAbort.abort();
  }
  return outcome;
}
