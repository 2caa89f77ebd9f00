import { describe, expect, it } from 'vitest';
import { FakeClock } from './fake-clock';
import { lambdaContext } from './lambda-context';

describe('Class: FakeClock', () => {
  it('wakes sleepers in time order and only when time reaches them', async () => {
    const clock = new FakeClock(0);
    const woken: string[] = [];
    void clock.sleep(300).then(() => woken.push(`late@${clock.now()}`));
    void clock.sleep(100).then(() => woken.push(`early@${clock.now()}`));

    await clock.advance(50);
    expect(woken).toEqual([]);
    await clock.advance(1_000);

    expect(woken).toEqual(['early@100', 'late@300']);
    expect(clock.now()).toBe(1_050);
  });

  it('runs a polling loop that sleeps repeatedly within one advance', async () => {
    const clock = new FakeClock(0);
    const ticks: number[] = [];
    const loop = (async () => {
      for (let tick = 0; tick < 5; tick += 1) {
        ticks.push(clock.now());
        await clock.sleep(10_000);
      }
    })();

    await clock.advance(60_000);
    await loop;

    expect(ticks).toEqual([0, 10_000, 20_000, 30_000, 40_000]);
  });

  it('refuses to go backwards or sleep a negative time', async () => {
    const clock = new FakeClock(1_000);
    await expect(clock.advanceTo(10)).rejects.toThrow(/backwards/);
    expect(() => clock.sleep(-1)).toThrow(RangeError);
  });
});

describe('Function: lambdaContext', () => {
  it('counts the remaining time down with the clock', async () => {
    const clock = new FakeClock(0);
    const context = lambdaContext({ clock, timeoutMs: 60_000 });

    await clock.advance(45_000);

    expect(context.getRemainingTimeInMillis()).toBe(15_000);
    await clock.advance(30_000);
    expect(context.getRemainingTimeInMillis()).toBe(0);
    expect(context.functionName).toBe('elastic-ci-test-function');
    expect(() => context.succeed('legacy')).toThrow(/legacy callback API/);
  });
});
