import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from './clock';

// Vitest's fake timers stand in for the machine's: the properties hold however loaded the machine is.
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function settledFlag(promise: Promise<void>): { settled: boolean } {
  const flag = { settled: false };
  void promise.then(() => {
    flag.settled = true;
  });
  return flag;
}

describe('Object: systemClock', () => {
  it('sleeps the given time, not less', async () => {
    // Act
    const sleeping = settledFlag(systemClock.sleep(30));
    await vi.advanceTimersByTimeAsync(29);
    const after29 = sleeping.settled;
    await vi.advanceTimersByTimeAsync(1);

    // Assess
    expect(after29).toBe(false);
    expect(sleeping.settled).toBe(true);
  });

  it('wakes at once when the signal aborts and frees its timer, and does not sleep on an aborted signal', async () => {
    // Prepare
    const controller = new AbortController();

    // Act
    const sleeping = settledFlag(systemClock.sleep(60_000, controller.signal));
    const timersWhileSleeping = vi.getTimerCount();
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    const afterAbort = settledFlag(systemClock.sleep(60_000, controller.signal));
    await vi.advanceTimersByTimeAsync(0);

    // Assess
    expect(timersWhileSleeping).toBe(1);
    expect(sleeping.settled).toBe(true);
    expect(afterAbort.settled).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});
