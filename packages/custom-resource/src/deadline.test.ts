import { FakeClock } from '@elastic-ci/testing';
import { describe, expect, it } from 'vitest';
import { runWithDeadline } from './deadline';

describe('Function: runWithDeadline', () => {
  it('returns the value when the work finishes before the deadline', async () => {
    const clock = new FakeClock(0);

    const outcome = await runWithDeadline(async () => 'done', { clock, deadlineAt: 1_000 });

    expect(outcome).toEqual({ kind: 'completed', value: 'done' });
  });

  it('reports a throw as an outcome instead of rejecting', async () => {
    const clock = new FakeClock(0);
    const failure = new Error('boom');

    const outcome = await runWithDeadline(
      async () => {
        throw failure;
      },
      { clock, deadlineAt: 1_000 },
    );

    expect(outcome).toEqual({ kind: 'threw', error: failure });
  });

  it('times out at the deadline and aborts the work', async () => {
    // Prepare
    const clock = new FakeClock(0);
    let signalSeen: AbortSignal | undefined;
    const pending = runWithDeadline(
      (signal) => {
        signalSeen = signal;
        return new Promise<never>(() => {});
      },
      { clock, deadlineAt: 5_000 },
    );

    // Act
    await clock.advance(4_999);
    const early = await Promise.race([pending, Promise.resolve('still running')]);
    await clock.advance(1);

    // Assess
    expect(early).toBe('still running');
    expect(await pending).toEqual({ kind: 'timed-out' });
    expect(signalSeen?.aborted).toBe(true);
  });
});
