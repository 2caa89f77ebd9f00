import { describe, expect, it } from 'vitest';
import type { ReplayJob } from './replay-plan';
import { type ReplayClock, runReplay } from './replayer';

/** A world clock that jumps to whatever time the replay sleeps until: no real time passes. */
function jumpingClock(startSec: number): ReplayClock & { sleeps: number[] } {
  let now = startSec;
  const sleeps: number[] = [];
  return {
    sleeps,
    nowWorldSec: () => now,
    async sleepUntilWorldSec(worldSec) {
      sleeps.push(worldSec);
      now = Math.max(now, worldSec);
    },
  };
}

const job = (id: string, atWorldSec: number, dependsOn: string[] = []): ReplayJob => ({
  atWorldSec,
  id,
  queue: 'default',
  durationSec: 100,
  dependsOn,
});

describe('runReplay', () => {
  it('adds each job when the world clock reaches start + its trace time', async () => {
    // Arrange
    const clock = jumpingClock(40);
    const added: { id: string; at: number; dependsOn: string[] }[] = [];

    // Act
    const count = await runReplay({
      plan: [job('a', 0), job('b', 0, ['a']), job('c', 90)],
      clock,
      startWorldSec: 50,
      target: { addJob: (entry) => added.push({ id: entry.id, at: clock.nowWorldSec(), dependsOn: entry.dependsOn }) },
    });

    // Assess: t=0 jobs at world 50, the t=90 job at world 140; one sleep per distinct time.
    expect(count).toBe(3);
    expect(added).toEqual([
      { id: 'a', at: 50, dependsOn: [] },
      { id: 'b', at: 50, dependsOn: ['a'] },
      { id: 'c', at: 140, dependsOn: [] },
    ]);
    expect(clock.sleeps).toEqual([50, 140]);
  });

  it('does not sleep for jobs already due (a loaded machine delays, never reorders)', async () => {
    const clock = jumpingClock(1_000);
    const ids: string[] = [];
    await runReplay({
      plan: [job('x', 10), job('y', 20)],
      clock,
      startWorldSec: 0,
      target: { addJob: (entry) => ids.push(entry.id) },
    });
    expect(ids).toEqual(['x', 'y']);
    expect(clock.sleeps).toEqual([]);
  });

  it('stops adding jobs once aborted', async () => {
    const controller = new AbortController();
    const clock = jumpingClock(0);
    const ids: string[] = [];
    const replay = runReplay({
      plan: [job('x', 0), job('y', 20)],
      clock,
      startWorldSec: 0,
      signal: controller.signal,
      target: {
        addJob: (entry) => {
          ids.push(entry.id);
          controller.abort(new Error('stopped by the user'));
        },
      },
    });
    await expect(replay).rejects.toThrow('stopped by the user');
    expect(ids).toEqual(['x']);
  });
});
