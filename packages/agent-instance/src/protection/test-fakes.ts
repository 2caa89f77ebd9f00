import type { Clock } from '../aws/clock.js';
import type { Logger } from '../logger.js';
import type { InstanceControl } from './instance-control.js';

/**
 * A clock whose sleeps return at once (after one turn of the event loop) and move its time forward by the amount
 * slept: no real waiting, no timing. `frozen` keeps the time still, for tests where many waiters poll a lock while
 * real file I/O runs: how often they poll depends on the machine's speed, so it must not move any deadline.
 */
export class SteppingClock implements Clock {
  constructor(
    public time = Date.UTC(2026, 0, 5, 9, 0, 0),
    readonly options: { frozen?: boolean } = {},
  ) {}
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    if (!this.options.frozen) this.time += ms;
    await new Promise((resume) => setImmediate(resume));
  }
}

export type ControlCall =
  | { call: 'setProtection'; value: boolean }
  | { call: 'setIdleSinceTag'; value: string | undefined }
  | { call: 'setTag'; key: string; value: string }
  | { call: 'terminate'; decrementDesiredCapacity: boolean }
  | { call: 'setUnhealthy' };

/** Records every call; `failures` makes the next calls of a kind throw the given errors, in order. */
export class FakeInstanceControl implements InstanceControl {
  readonly calls: ControlCall[] = [];
  readonly failures: Partial<Record<ControlCall['call'], unknown[]>> = {};

  #maybeFail(kind: ControlCall['call']): void {
    const next = this.failures[kind]?.shift();
    if (next !== undefined) throw next;
  }
  async setProtection(value: boolean) {
    this.calls.push({ call: 'setProtection', value });
    this.#maybeFail('setProtection');
  }
  async setIdleSinceTag(value: string | undefined) {
    this.calls.push({ call: 'setIdleSinceTag', value });
    this.#maybeFail('setIdleSinceTag');
  }
  async setTag(key: string, value: string) {
    this.calls.push({ call: 'setTag', key, value });
    this.#maybeFail('setTag');
  }
  async terminate(options: { decrementDesiredCapacity: boolean }) {
    this.calls.push({ call: 'terminate', ...options });
    this.#maybeFail('terminate');
  }
  async setUnhealthy() {
    this.calls.push({ call: 'setUnhealthy' });
    this.#maybeFail('setUnhealthy');
  }
}

export function throttling(): Error {
  return Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });
}

export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (message: string, fields?: Readonly<Record<string, unknown>>) =>
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  return { lines, info: push('info'), error: push('error') };
}
