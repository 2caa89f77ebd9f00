/** The clock port production code depends on; `SystemClock` in production, `FakeClock` in tests. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds of this clock's time. */
  sleep(ms: number): Promise<void>;
}

interface PendingSleep {
  wakeAt: number;
  wake: () => void;
}

/**
 * A clock that moves only when told to. `advance` wakes sleepers in time order and lets their continuations run
 * before moving on, so code that loops on `sleep` behaves as it would in real time, only instantly.
 */
export class FakeClock implements Clock {
  #now: number;
  #sleepers: PendingSleep[] = [];

  constructor(start: number | Date = Date.UTC(2026, 0, 5, 9, 0, 0)) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`sleep needs a finite, non-negative ms, got ${ms}`);
    return new Promise((wake) => {
      this.#sleepers.push({ wakeAt: this.#now + ms, wake });
    });
  }

  /** Number of sleeps not yet woken: lets a test wait until the code under test is parked. */
  get pendingSleeps(): number {
    return this.#sleepers.length;
  }

  /** Moves time forward by `ms`, waking every sleeper due on the way in order. */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance needs a finite, non-negative ms, got ${ms}`);
    const target = this.#now + ms;
    for (;;) {
      await flushMicrotasks();
      const next = this.#sleepers.reduce<PendingSleep | undefined>(
        (earliest, sleeper) =>
          sleeper.wakeAt <= target && (!earliest || sleeper.wakeAt < earliest.wakeAt) ? sleeper : earliest,
        undefined,
      );
      if (!next) break;
      this.#sleepers = this.#sleepers.filter((sleeper) => sleeper !== next);
      this.#now = next.wakeAt;
      next.wake();
    }
    this.#now = target;
    await flushMicrotasks();
  }

  /** Jumps to an absolute time (never backwards). */
  async advanceTo(epochMs: number): Promise<void> {
    if (epochMs < this.#now) throw new RangeError(`cannot move the clock backwards from ${this.#now} to ${epochMs}`);
    await this.advance(epochMs - this.#now);
  }
}

async function flushMicrotasks(): Promise<void> {
  // A macrotask boundary lets every chained `await` of the woken code settle before time moves again.
  await new Promise((resolveFlush) => setImmediate(resolveFlush));
}
