/** Time as the custom-resource runner sees it; `systemClock` in production, a fake clock in tests. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds; an aborted signal resolves it early (and frees the timer). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolveSleep) => {
      if (signal?.aborted) {
        resolveSleep();
        return;
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolveSleep();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        resolveSleep();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
