import { describe, expect, it } from 'vitest';
import { SingleFlight } from './single-flight';

function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const promise = new Promise<T>((resolvePromise, rejectPromise) => {
    resolve = resolvePromise;
    reject = rejectPromise;
  });
  return { promise, resolve, reject };
}

describe('Class: SingleFlight', () => {
  it('coalesces callers arriving during a pass into one follow-up pass', async () => {
    // Prepare
    const flight = new SingleFlight<number>();
    const gate = deferred<void>();
    let starts = 0;
    const pass = async () => {
      starts += 1;
      const mine = starts;
      if (mine === 1) await gate.promise;
      return mine;
    };

    // Act
    const first = flight.run('group', pass);
    const followers = [flight.run('group', pass), flight.run('group', pass), flight.run('group', pass)];
    const runningDuringGate = flight.isRunning('group');
    gate.resolve();
    const results = await Promise.all([first, ...followers]);

    // Assess
    expect(runningDuringGate).toBe(true);
    expect(results).toEqual([1, 2, 2, 2]);
    expect(starts).toBe(2);
    expect(flight.isRunning('group')).toBe(false);
  });

  it('runs the follow-up even when the running pass fails', async () => {
    // Prepare
    const flight = new SingleFlight<string>();
    const gate = deferred<string>();

    // Act
    const failing = flight.run('group', () => gate.promise);
    const follower = flight.run('group', async () => 'second');
    gate.reject(new Error('first failed'));

    // Assess
    await expect(failing).rejects.toThrow('first failed');
    await expect(follower).resolves.toBe('second');
  });

  it('keeps different keys independent', async () => {
    // Prepare
    const flight = new SingleFlight<string>();
    const gate = deferred<string>();

    // Act
    const blue = flight.run('blue', () => gate.promise);
    const green = await flight.run('green', async () => 'green');
    gate.resolve('blue');

    // Assess
    expect(green).toBe('green');
    await expect(blue).resolves.toBe('blue');
  });

  it('starts a fresh pass after the previous one finished', async () => {
    // Prepare
    const flight = new SingleFlight<number>();
    let starts = 0;

    // Act
    await flight.run('group', async () => ++starts);
    const second = await flight.run('group', async () => ++starts);

    // Assess
    expect(second).toBe(2);
  });
});
