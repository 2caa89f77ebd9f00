/** The time port: `SystemClock` in production, `FakeClock` from `@elastic-ci/testing` in tests. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds of this clock's time. */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms)),
};

/**
 * Sleeps on `clock` but wakes early (without throwing) when `signal` aborts; returns whether the full time elapsed.
 * Loops use it so a stop request never waits for the rest of an interval.
 */
export async function sleepUnlessAborted(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<false>((resolveAbort) => {
    onAbort = () => resolveAbort(false);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([clock.sleep(Math.max(0, ms)).then(() => true), aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Runs `work` with a signal of its own and settles within `limitMs` of `clock` time: past it the work is aborted and
 * abandoned (even one that ignores the abort) and `timeoutError()` is thrown. `signal` aborts the work early too.
 */
export async function withinClockTime<T>(
  clock: Clock,
  limitMs: number,
  work: (signal: AbortSignal) => Promise<T>,
  timeoutError: () => Error,
  signal?: AbortSignal,
): Promise<T> {
  const call = new AbortController();
  const stopCall = () => call.abort();
  signal?.addEventListener('abort', stopCall, { once: true });
  const settled = new AbortController();
  try {
    return await Promise.race([
      work(call.signal),
      sleepUnlessAborted(clock, limitMs, signal ? AbortSignal.any([settled.signal, signal]) : settled.signal).then(
        (): never => {
          throw timeoutError();
        },
      ),
    ]);
  } finally {
    settled.abort();
    call.abort();
    signal?.removeEventListener('abort', stopCall);
  }
}
