import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LambdaFunction, type LambdaFunctionOptions } from './lambda-function';

const started: LambdaFunction[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((fn) => fn.stop()));
});

const BUNDLE = `
let coldStarts = 0;
coldStarts += 1;
export const handler = async (event, context) => {
  if (event.mode === 'hang') return new Promise(() => {});
  if (event.mode === 'throw') throw new TypeError('bad event');
  console.log('secret-free log line');
  return {
    echo: event.value,
    coldStarts,
    env: process.env.ONLY_FROM_TEMPLATE,
    inherited: process.env.SANDBOX_TEST_INHERITED ?? null,
    remainingPositive: context.getRemainingTimeInMillis() > 0,
    functionName: context.functionName,
  };
};
`;

async function lambda(overrides: Partial<LambdaFunctionOptions> = {}) {
  const workDir = await mkdtemp(join(tmpdir(), 'sandbox-lambda-'));
  const bundlePath = join(workDir, 'fake.mjs');
  await writeFile(bundlePath, BUNDLE);
  const fn = new LambdaFunction({
    functionName: 'fake-function',
    functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:fake-function',
    bundlePath,
    handler: 'fake.handler',
    timeoutSec: 30,
    memorySizeMb: 128,
    maxConcurrency: 1,
    environment: { ONLY_FROM_TEMPLATE: 'from-template' },
    logFile: join(workDir, 'fake.log'),
    workDir,
    ...overrides,
  });
  started.push(fn);
  return { fn, workDir };
}

describe('LambdaFunction', () => {
  it('runs the handler in a warm container with only the given environment and a Lambda context', async () => {
    process.env.SANDBOX_TEST_INHERITED = 'must-not-leak';
    const { fn, workDir } = await lambda();
    const first = await fn.invoke({ value: 1 });
    const second = await fn.invoke({ value: 2 });
    expect(first).toMatchObject({
      status: 'succeeded',
      result: {
        echo: 1,
        coldStarts: 1,
        env: 'from-template',
        inherited: null,
        remainingPositive: true,
        functionName: 'fake-function',
      },
    });
    // Same container: the module was initialised once.
    expect(second).toMatchObject({ status: 'succeeded', result: { echo: 2, coldStarts: 1 } });
    expect(await readFile(join(workDir, 'fake.log'), 'utf8')).toContain('secret-free log line');
    delete process.env.SANDBOX_TEST_INHERITED;
  });

  it('reports a handler error as a failed invocation and keeps serving', async () => {
    const { fn } = await lambda();
    expect(await fn.invoke({ mode: 'throw' })).toMatchObject({
      status: 'failed',
      error: { name: 'TypeError', message: 'bad event' },
    });
    expect(await fn.invoke({ value: 3 })).toMatchObject({ status: 'succeeded' });
  });

  it('kills the container at the function timeout and starts cold next time', async () => {
    const { fn } = await lambda({ timeoutSec: 0.5 });
    expect(await fn.invoke({ mode: 'hang' })).toMatchObject({ status: 'timed-out' });
    expect(fn.pids()).toEqual([]);
    expect(await fn.invoke({ value: 4 })).toMatchObject({ status: 'succeeded', result: { coldStarts: 1 } });
  });

  it('throttles beyond its concurrency and lets a running invocation be killed', async () => {
    const { fn } = await lambda();
    const hanging = fn.invoke({ mode: 'hang' });
    // Wait until the container runs it (events, not sleeps): the second invocation finds it busy.
    while (fn.running() === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(await fn.invoke({ value: 5 })).toMatchObject({ status: 'throttled' });
    expect(fn.killRunning()).toBe(1);
    expect(await hanging).toMatchObject({ status: 'killed' });
    expect(fn.invocations().map((record) => record.outcome.status)).toEqual(['throttled', 'killed']);
  });

  it('retires idle containers on request and starts cold next time', async () => {
    const { fn } = await lambda();
    await fn.invoke({ value: 8 });
    const [pid] = fn.pids();
    expect(fn.retireIdleContainers()).toBe(1);
    expect(fn.pids()).toEqual([]);
    expect(await fn.invoke({ value: 9 })).toMatchObject({ status: 'succeeded', result: { echo: 9, coldStarts: 1 } });
    expect(fn.pids()).not.toContain(pid);
  });

  it('leaves no container process after stop', async () => {
    const { fn } = await lambda({ maxConcurrency: 2 });
    await fn.invoke({ value: 6 });
    const pids = fn.pids();
    expect(pids).toHaveLength(1);
    await fn.stop();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    await expect(fn.invoke({ value: 7 })).rejects.toThrow(/stopped/);
  });
});
