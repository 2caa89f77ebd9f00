import { describe, expect, it } from 'vitest';
import { systemClock } from './clock';

describe('Object: systemClock', () => {
  it('sleeps the given time', async () => {
    const started = Date.now();

    await systemClock.sleep(30);

    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('wakes at once when the signal aborts, and does not sleep on an aborted signal', async () => {
    const controller = new AbortController();
    const started = Date.now();

    const sleeping = systemClock.sleep(60_000, controller.signal);
    controller.abort();
    await sleeping;
    await systemClock.sleep(60_000, controller.signal);

    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
