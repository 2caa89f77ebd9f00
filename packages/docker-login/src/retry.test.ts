import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LoginFailedError } from './errors';
import { linearBackoffMs, withRetries } from './retry';

function flakyAttempt(failures: number, error: () => Error = () => new Error('connect ECONNREFUSED')) {
  let calls = 0;
  return {
    attempt: async () => {
      calls += 1;
      if (calls <= failures) throw error();
      return 'ok';
    },
    calls: () => calls,
  };
}

describe('Function: withRetries', () => {
  it('retries with linear backoff and the plugins’ messages, then succeeds', async () => {
    // Prepare
    const flaky = flakyAttempt(2);
    const warnings: string[] = [];
    const sleeps: number[] = [];

    // Act
    const result = await withRetries(flaky.attempt, {
      retries: 3,
      sleep: async (milliseconds) => {
        sleeps.push(milliseconds);
      },
      warn: (line) => warnings.push(line),
    });

    // Assess
    expect(result).toBe('ok');
    expect(flaky.calls()).toBe(3);
    expect(sleeps).toEqual([1000, 2000]);
    expect(warnings).toEqual([
      'Login failed on attempt 1 of 4. Trying again in 1 seconds...',
      'Login failed on attempt 2 of 4. Trying again in 2 seconds...',
    ]);
  });

  it('gives up after retries + 1 attempts with the final message and the last error', async () => {
    // Prepare
    const flaky = flakyAttempt(5);
    const warnings: string[] = [];

    // Act
    const run = withRetries(flaky.attempt, {
      retries: 1,
      sleep: async () => undefined,
      warn: (line) => warnings.push(line),
    });

    // Assess
    await expect(run).rejects.toThrow('ECONNREFUSED');
    expect(flaky.calls()).toBe(2);
    expect(warnings.at(-1)).toBe('Login failed after 2 attempts');
  });

  it('fails at once, silently, when retries is 0', async () => {
    const flaky = flakyAttempt(1);
    const warnings: string[] = [];
    await expect(
      withRetries(flaky.attempt, { retries: 0, sleep: async () => undefined, warn: (line) => warnings.push(line) }),
    ).rejects.toThrow();
    expect(flaky.calls()).toBe(1);
    expect(warnings).toEqual([]);
  });

  it('does not retry a rejection that cannot pass (wrong password, access denied)', async () => {
    const flaky = flakyAttempt(1, () => new LoginFailedError('HTTP 401', { retryable: false }));
    await expect(
      withRetries(flaky.attempt, { retries: 5, sleep: async () => undefined, warn: () => undefined }),
    ).rejects.toThrow('HTTP 401');
    expect(flaky.calls()).toBe(1);
  });

  it('makes min(failures + 1, retries + 1) attempts for transient failures (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(6), fc.nat(6), async (failures, retries) => {
        const flaky = flakyAttempt(failures, () => new LoginFailedError('HTTP 503', { retryable: true }));
        const outcome = await withRetries(flaky.attempt, {
          retries,
          sleep: async () => undefined,
          warn: () => undefined,
        }).then(
          () => 'ok',
          () => 'failed',
        );
        expect(flaky.calls()).toBe(Math.min(failures + 1, retries + 1));
        expect(outcome).toBe(failures <= retries ? 'ok' : 'failed');
      }),
    );
  });

  it('caps the backoff at 10 seconds', () => {
    expect([1, 2, 10, 50].map(linearBackoffMs)).toEqual([1000, 2000, 10_000, 10_000]);
  });
});
