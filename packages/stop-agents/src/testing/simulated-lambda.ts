import type { InvocationContext } from '@elastic-ci/custom-resource';
import { type FakeClock, lambdaContext } from '@elastic-ci/testing';
import type { QueueingInvoker } from './fake-fleet';

export interface SimulationResult {
  invocations: number;
  /** Longest time one invocation ran, in fake milliseconds. */
  longestInvocationMs: number;
}

/**
 * Runs `handler` the way Lambda would: each invocation gets `timeoutMs`; queued self-invocations are delivered one
 * after the other. Throws if an invocation would have been killed by the Lambda timeout.
 */
export async function simulateLambda(
  handler: (event: unknown, context: InvocationContext) => Promise<void>,
  firstEvent: unknown,
  options: { clock: FakeClock; timeoutMs: number; invoker: QueueingInvoker; maxInvocations?: number },
): Promise<SimulationResult> {
  const { clock, timeoutMs, invoker } = options;
  const queue: unknown[] = [firstEvent];
  let invocations = 0;
  let longestInvocationMs = 0;
  while (queue.length > 0) {
    invocations += 1;
    if (invocations > (options.maxInvocations ?? 200)) throw new Error('too many invocations');
    const event = queue.shift();
    const started = clock.now();
    let settled = false;
    const running = handler(event, lambdaContext({ clock, timeoutMs })).finally(() => {
      settled = true;
    });
    while (!settled) {
      if (clock.now() - started >= timeoutMs) {
        throw new Error(`invocation ${invocations} still running at the Lambda timeout (${timeoutMs} ms)`);
      }
      await clock.advance(1_000);
    }
    await running;
    longestInvocationMs = Math.max(longestInvocationMs, clock.now() - started);
    queue.push(...invoker.queued.splice(0).map((payload) => JSON.parse(payload) as unknown));
  }
  return { invocations, longestInvocationMs };
}
