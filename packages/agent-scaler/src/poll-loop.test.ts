import { FakeClock } from '@elastic-ci/testing';
import { describe, expect, it } from 'vitest';
import { type PassReport, pollDeadlineMs, runPollLoop } from './poll-loop';

function recordingPass(clock: FakeClock, reports: PassReport[] = [], durationMs = 0) {
  const startedAt: number[] = [];
  return {
    startedAt,
    pass: async () => {
      startedAt.push(clock.now());
      if (durationMs > 0) await clock.sleep(durationMs);
      return reports[startedAt.length - 1] ?? {};
    },
  };
}

async function runToEnd<T>(clock: FakeClock, loop: Promise<T>): Promise<T> {
  let done = false;
  void loop.finally(() => {
    done = true;
  });
  while (!done) await clock.advance(1_000);
  return loop;
}

describe('Function: runPollLoop', () => {
  it('polls every interval until the deadline, start to start', async () => {
    // Prepare
    const clock = new FakeClock(0);
    const recorder = recordingPass(clock, [], 2_000);

    // Act
    const result = await runToEnd(
      clock,
      runPollLoop({ clock, startupJitterMs: 0, intervalMs: 10_000, deadlineMs: 50_000, pass: recorder.pass }),
    );

    // Assess
    expect(recorder.startedAt).toEqual([0, 10_000, 20_000, 30_000, 40_000]);
    expect(result).toEqual({ passes: 5, finalIntervalMs: 10_000 });
  });

  it('waits the start jitter before the first pass', async () => {
    // Prepare
    const clock = new FakeClock(0);
    const recorder = recordingPass(clock);

    // Act
    await runToEnd(
      clock,
      runPollLoop({ clock, startupJitterMs: 7_000, intervalMs: 10_000, deadlineMs: 30_000, pass: recorder.pass }),
    );

    // Assess
    expect(recorder.startedAt).toEqual([7_000, 17_000, 27_000]);
  });

  it('runs one pass even when the jitter reaches past the deadline', async () => {
    // Prepare
    const clock = new FakeClock(0);
    const recorder = recordingPass(clock);

    // Act
    await runToEnd(
      clock,
      runPollLoop({ clock, startupJitterMs: 90_000, intervalMs: 10_000, deadlineMs: 20_000, pass: recorder.pass }),
    );

    // Assess
    expect(recorder.startedAt).toEqual([20_000]);
  });

  it('lengthens the interval to the server poll duration, never shortens it', async () => {
    // Prepare
    const clock = new FakeClock(0);
    const increases: [number, number][] = [];
    const recorder = recordingPass(clock, [{ pollDurationMs: 20_000 }, { pollDurationMs: 5_000 }]);

    // Act
    const result = await runToEnd(
      clock,
      runPollLoop({
        clock,
        startupJitterMs: 0,
        intervalMs: 10_000,
        deadlineMs: 60_000,
        pass: recorder.pass,
        onIntervalIncrease: (from, to) => increases.push([from, to]),
      }),
    );

    // Assess
    expect(recorder.startedAt).toEqual([0, 20_000, 40_000]);
    expect(increases).toEqual([[10_000, 20_000]]);
    expect(result.finalIntervalMs).toBe(20_000);
  });

  it('waits a Retry-After before the next pass', async () => {
    // Prepare
    const clock = new FakeClock(0);
    const recorder = recordingPass(clock, [{ retryAfterMs: 25_000 }]);

    // Act
    await runToEnd(
      clock,
      runPollLoop({ clock, startupJitterMs: 0, intervalMs: 10_000, deadlineMs: 50_000, pass: recorder.pass }),
    );

    // Assess
    expect(recorder.startedAt).toEqual([0, 25_000, 35_000, 45_000]);
  });

  it('starts the next pass at once when a pass overruns the interval', async () => {
    // Prepare
    const clock = new FakeClock(0);
    const recorder = recordingPass(clock, [], 12_000);

    // Act
    await runToEnd(
      clock,
      runPollLoop({ clock, startupJitterMs: 0, intervalMs: 10_000, deadlineMs: 30_000, pass: recorder.pass }),
    );

    // Assess
    expect(recorder.startedAt).toEqual([0, 12_000, 24_000]);
  });
});

describe('Function: pollDeadlineMs', () => {
  it('keeps the margin before the Lambda deadline', () => {
    expect(
      pollDeadlineMs({ nowMs: 0, remainingTimeMs: 60_000, invocationBudgetMs: undefined, deadlineMarginMs: 5_000 }),
    ).toBe(55_000);
  });

  it('stops at LAMBDA_TIMEOUT when that comes first', () => {
    expect(
      pollDeadlineMs({ nowMs: 0, remainingTimeMs: 120_000, invocationBudgetMs: 50_000, deadlineMarginMs: 5_000 }),
    ).toBe(50_000);
  });

  it('never goes past the Lambda deadline whatever LAMBDA_TIMEOUT says', () => {
    expect(
      pollDeadlineMs({ nowMs: 0, remainingTimeMs: 30_000, invocationBudgetMs: 50_000, deadlineMarginMs: 5_000 }),
    ).toBe(25_000);
  });
});
