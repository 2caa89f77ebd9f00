import { LoginFailedError } from './errors';

export interface RetryOptions {
  /** Extra attempts after the first (the plugins' `retries`). */
  retries: number;
  sleep: (milliseconds: number) => Promise<void>;
  /** Where the "trying again" lines go (stderr). */
  warn: (line: string) => void;
  /** @default attempt × 1 s, the plugins' linear backoff */
  delayMs?: (attempt: number) => number;
}

/** The plugins' backoff: 1 s after the first failure, 2 s after the second, … capped at 10 s. */
export const linearBackoffMs = (attempt: number): number => Math.min(attempt, 10) * 1000;

/**
 * Runs `attempt` up to `retries + 1` times. Retries only errors that may pass ({@link LoginFailedError} with
 * `retryable`, or any non-login error such as a network failure); a rejected password fails at once, because asking
 * again cannot help and only delays the job.
 */
export async function withRetries<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  const maxAttempts = options.retries + 1;
  const delayMs = options.delayMs ?? linearBackoffMs;
  for (let attemptNumber = 1; ; attemptNumber += 1) {
    try {
      return await attempt();
    } catch (error) {
      const retryable = !(error instanceof LoginFailedError) || error.retryable;
      if (!retryable || options.retries === 0) throw error;
      if (attemptNumber >= maxAttempts) {
        options.warn(`Login failed after ${maxAttempts} attempts`);
        throw error;
      }
      const delay = delayMs(attemptNumber);
      options.warn(
        `Login failed on attempt ${attemptNumber} of ${maxAttempts}. Trying again in ${delay / 1000} seconds...`,
      );
      await options.sleep(delay);
    }
  }
}
