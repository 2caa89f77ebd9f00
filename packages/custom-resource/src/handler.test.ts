import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock, lambdaContext } from '@elastic-ci/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResponseDeliveryError } from './errors';
import {
  CONTINUATION_KEY,
  CREATE_FAILED_PHYSICAL_ID_PREFIX,
  type CustomResourceHandlerOptions,
  type CustomResourceOutcome,
  createCustomResourceHandler,
  type SelfInvoker,
} from './handler';
import { RecordingLogger } from './recording-logger';
import { createHttpResponder } from './responder';
import type { CustomResourceResponse } from './response';
import { type ResponseRecorder, startResponseRecorder } from './response-recorder';
import { customResourceEvent } from './sample-events';

let recorder: ResponseRecorder;
let logger: RecordingLogger;

beforeEach(async () => {
  recorder = await startResponseRecorder();
  logger = new RecordingLogger();
});
afterEach(async () => {
  await recorder.close();
});

function answersReceived(): CustomResourceResponse[] {
  return recorder.answers.map((answer) => JSON.parse(answer.body) as CustomResourceResponse);
}

function handlerWith(options: Partial<CustomResourceHandlerOptions> = {}) {
  return createCustomResourceHandler({
    handle: async () => ({ status: 'SUCCESS', physicalResourceId: 'physical-1' }),
    responder: createHttpResponder({ backoffMs: 1 }),
    logger,
    ...options,
  });
}

function expectNoSignatureLeaked(): void {
  expect(logger.text).not.toContain('canary-signature');
}

describe('Function: createCustomResourceHandler', () => {
  it('answers SUCCESS with the documented body through an empty Content-Type PUT', async () => {
    // Prepare
    const handler = handlerWith({
      handle: async () => ({ status: 'SUCCESS', physicalResourceId: 'physical-1', data: { Answer: 42 } }),
    });
    const event = customResourceEvent('Create', { ResponseURL: recorder.urlFor('answers/1') });

    // Act
    await handler(event, lambdaContext());

    // Assess
    expect(recorder.answers).toHaveLength(1);
    expect(recorder.answers[0]?.method).toBe('PUT');
    expect(recorder.answers[0]?.path).toBe('/answers/1');
    expect(recorder.answers[0]?.query).toContain('X-Amz-Signature=canary-signature');
    expect(recorder.answers[0]?.headers['content-type']).toBe('');
    expect(answersReceived()[0]).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'physical-1',
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: 'Example',
      NoEcho: false,
      Data: { Answer: 42 },
    });
    expect(answersReceived()[0]?.Reason).toMatch(/log group \/aws\/lambda\/elastic-ci-test-function, stream /);
    expectNoSignatureLeaked();
  });

  it.each([
    ['RequestId missing', { RequestId: undefined }, /RequestId/],
    ['RequestType unknown', { RequestType: 'Rollback' }, /RequestType/],
    ['ResourceProperties of the wrong type', { ResourceProperties: ['a'] }, /ResourceProperties/],
    ['StackId of the wrong type', { StackId: { arn: 'x' } }, /StackId/],
    [
      'Update without OldResourceProperties',
      { RequestType: 'Update', PhysicalResourceId: 'p' },
      /OldResourceProperties/,
    ],
    ['Delete without PhysicalResourceId', { RequestType: 'Delete' }, /PhysicalResourceId/],
  ])('answers FAILED with the reason when the event has %s', async (_case, overrides, reason) => {
    let handled = false;
    const handler = handlerWith({
      handle: async () => {
        handled = true;
        return { status: 'SUCCESS', physicalResourceId: 'never' };
      },
    });
    const event = customResourceEvent('Create', { ResponseURL: recorder.urlFor(), ...overrides });

    await handler(event, lambdaContext());

    expect(handled).toBe(false);
    expect(answersReceived()).toHaveLength(1);
    expect(answersReceived()[0]?.Status).toBe('FAILED');
    expect(answersReceived()[0]?.Reason).toMatch(/malformed CloudFormation custom-resource event/);
    expect(answersReceived()[0]?.Reason).toMatch(reason);
    expectNoSignatureLeaked();
  });

  it.each([
    ['null', null],
    ['a JSON string', '{"RequestType":"Create"}'],
    ['an array', []],
    ['an object without ResponseURL', { RequestType: 'Create', RequestId: 'r' }],
  ])('logs loudly and sends nothing when the event is %s', async (_case, event) => {
    const handler = handlerWith();

    await expect(handler(event, lambdaContext())).resolves.toBeUndefined();

    expect(recorder.answers).toHaveLength(0);
    expect(logger.entries.some((entry) => entry.level === 'error' && /CANNOT BE ANSWERED/.test(entry.message))).toBe(
      true,
    );
  });

  it('answers FAILED with the error when the handler throws', async () => {
    const handler = handlerWith({
      handle: async () => {
        throw new TypeError('group name missing');
      },
    });

    await handler(customResourceEvent('Update', { ResponseURL: recorder.urlFor() }), lambdaContext());

    expect(answersReceived()[0]).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'example-physical-id' });
    expect(answersReceived()[0]?.Reason).toMatch(/^Update failed: TypeError: group name missing \(details: /);
  });

  it('answers FAILED when the handler throws something that is not an Error', async () => {
    const handler = handlerWith({
      handle: async () => {
        throw 'plain string';
      },
    });

    await handler(customResourceEvent('Create', { ResponseURL: recorder.urlFor() }), lambdaContext());

    expect(answersReceived()[0]?.Reason).toMatch(/^Create failed: plain string/);
  });

  it('answers a handler-decided FAILED with its reason', async () => {
    const handler = handlerWith({ handle: async () => ({ status: 'FAILED', reason: '3 instances still draining' }) });

    await handler(customResourceEvent('Delete', { ResponseURL: recorder.urlFor() }), lambdaContext());

    expect(answersReceived()[0]).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'example-physical-id' });
    expect(answersReceived()[0]?.Reason).toMatch(/^3 instances still draining/);
  });

  it.each([
    ['nothing', undefined, /handler returned no outcome/],
    ['an unknown status', { status: 'success', physicalResourceId: 'p' }, /unknown status "success"/],
    ['an empty physical id', { status: 'SUCCESS', physicalResourceId: '' }, /physical id of 0 characters.*1 to 1024/],
    [
      'a physical id over 1 KB',
      { status: 'SUCCESS', physicalResourceId: 'p'.repeat(1_025) },
      /physical id of 1025 characters.*1 to 1024/,
    ],
  ])('answers FAILED, keeping the current physical id, when the handler returns %s', async (_case, outcome, reason) => {
    const handler = handlerWith({ handle: async () => outcome as unknown as CustomResourceOutcome });

    await handler(customResourceEvent('Update', { ResponseURL: recorder.urlFor() }), lambdaContext());

    expect(answersReceived()).toHaveLength(1);
    expect(answersReceived()[0]).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'example-physical-id' });
    expect(answersReceived()[0]?.Reason).toMatch(reason);
  });

  it('gives a failed Create a marker id and answers its rollback Delete without running the handler', async () => {
    // Prepare
    const calls: string[] = [];
    const handler = handlerWith({
      handle: async ({ request }) => {
        calls.push(request.RequestType);
        throw new Error('cannot create');
      },
    });
    await handler(customResourceEvent('Create', { ResponseURL: recorder.urlFor() }), lambdaContext());
    const failedId = answersReceived()[0]?.PhysicalResourceId ?? '';

    // Act
    await handler(
      customResourceEvent('Delete', { ResponseURL: recorder.urlFor(), PhysicalResourceId: failedId }),
      lambdaContext(),
    );

    // Assess
    expect(failedId).toBe(`${CREATE_FAILED_PHYSICAL_ID_PREFIX}Example`);
    expect(calls).toEqual(['Create']);
    expect(answersReceived().map((answer) => answer.Status)).toEqual(['FAILED', 'SUCCESS']);
  });

  it('answers the rollback Delete of a failed Create SUCCESS even when that event is malformed too', async () => {
    // A Create answered FAILED for a malformed event gets the marker id; its rollback Delete usually carries the same
    // flaw. Answering it FAILED would leave the stack in ROLLBACK_FAILED / DELETE_FAILED.
    const calls: string[] = [];
    const handler = handlerWith({
      handle: async ({ request }) => {
        calls.push(request.RequestType);
        return { status: 'SUCCESS', physicalResourceId: 'physical-1' };
      },
    });
    const flaw = { ResourceType: undefined, ResourceProperties: 'not an object' };
    await handler(customResourceEvent('Create', { ResponseURL: recorder.urlFor(), ...flaw }), lambdaContext());
    const failedId = answersReceived()[0]?.PhysicalResourceId ?? '';

    await handler(
      customResourceEvent('Delete', { ResponseURL: recorder.urlFor(), PhysicalResourceId: failedId, ...flaw }),
      lambdaContext(),
    );

    expect(failedId).toBe(`${CREATE_FAILED_PHYSICAL_ID_PREFIX}Example`);
    expect(calls).toEqual([]);
    expect(answersReceived().map((answer) => answer.Status)).toEqual(['FAILED', 'SUCCESS']);
    expect(answersReceived()[1]).toMatchObject({ PhysicalResourceId: failedId });
  });

  it('still answers FAILED for a malformed Delete of a resource that was created', async () => {
    const handler = handlerWith();

    await handler(
      customResourceEvent('Delete', { ResponseURL: recorder.urlFor(), ResourceType: undefined }),
      lambdaContext(),
    );

    expect(answersReceived()[0]).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'example-physical-id' });
  });

  it('answers FAILED before the Lambda runs out of time when the handler hangs (fake clock)', async () => {
    // Prepare
    const clock = new FakeClock(0);
    let abortedAtMs: number | undefined;
    const handler = handlerWith({
      clock,
      answerMarginMs: 5_000,
      handle: ({ signal }) =>
        new Promise<never>(() => {
          signal.addEventListener('abort', () => {
            abortedAtMs = clock.now();
          });
        }),
    });
    const context = lambdaContext({ clock, timeoutMs: 30_000 });

    // Act
    const invocation = handler(customResourceEvent('Create', { ResponseURL: recorder.urlFor() }), context);
    await clock.advance(24_999);
    const answeredEarly = recorder.answers.length;
    await clock.advance(1);
    await invocation;

    // Assess
    expect(answeredEarly).toBe(0);
    expect(abortedAtMs).toBe(25_000);
    expect(context.getRemainingTimeInMillis()).toBe(5_000);
    expect(answersReceived()[0]?.Status).toBe('FAILED');
    expect(answersReceived()[0]?.Reason).toMatch(/^timed out: Create did not finish within the Lambda's time/);
  });

  it('answers FAILED on the system clock too when the handler hangs', async () => {
    // The timing itself is proven on the fake clock above; this shows the real timers are wired the same way.
    // Generous: the handler times out after 0.5 s and the answer then has 8.5 s to reach the loopback recorder.
    const handler = handlerWith({ answerMarginMs: 9_500, handle: () => new Promise<never>(() => {}) });

    await handler(
      customResourceEvent('Create', { ResponseURL: recorder.urlFor() }),
      lambdaContext({ timeoutMs: 10_000 }),
    );

    expect(answersReceived()).toHaveLength(1);
    expect(answersReceived()[0]?.Reason).toMatch(/timed out/);
  });

  it('ends a delivery to a hanging ResponseURL before the Lambda ends, logs it and fails the invocation', async () => {
    // Prepare: a 30 s function whose handler hangs; the answer at 25 s goes to a URL that never answers.
    const hanging = createServer(() => {});
    await new Promise<void>((resolveListen) => hanging.listen(0, '127.0.0.1', resolveListen));
    const { port } = hanging.address() as AddressInfo;
    const clock = new FakeClock(0);
    const handler = handlerWith({
      clock,
      answerMarginMs: 5_000,
      responder: createHttpResponder({ clock }),
      handle: () => new Promise<never>(() => {}),
    });
    const event = customResourceEvent('Create', {
      ResponseURL: `http://127.0.0.1:${port}/hang?X-Amz-Signature=canary-signature-1`,
    });
    let settled: { error: unknown; atMs: number } | undefined;

    try {
      // Act
      handler(event, lambdaContext({ clock, timeoutMs: 30_000 })).then(
        () => {
          settled = { error: undefined, atMs: clock.now() };
        },
        (error: unknown) => {
          settled = { error, atMs: clock.now() };
        },
      );
      while (settled === undefined) {
        if (clock.pendingSleeps > 0) await clock.advance(50);
        else await new Promise((resolveTurn) => setImmediate(resolveTurn));
      }

      // Assess: one attempt cut to the 4 s left before the last second of the invocation, no retry after it.
      expect(settled.error).toBeInstanceOf(ResponseDeliveryError);
      expect(String(settled.error)).toMatch(/no answer within 4000 ms; no time left for attempt 2/);
      expect(settled.atMs).toBe(29_000);
      expect(logger.entries.some((entry) => /WAS NOT ANSWERED/.test(entry.message))).toBe(true);
      expectNoSignatureLeaked();
    } finally {
      hanging.closeAllConnections();
      await new Promise((resolveClose) => hanging.close(resolveClose));
    }
  });

  it('retries a 5xx from the ResponseURL and delivers once accepted', async () => {
    recorder.failNext(2, 503);
    const handler = handlerWith();

    await handler(customResourceEvent('Create', { ResponseURL: recorder.urlFor() }), lambdaContext());

    expect(recorder.answers).toHaveLength(3);
    expect(new Set(recorder.answers.map((answer) => answer.body)).size).toBe(1);
  });

  it('fails the invocation without leaking the signature when the ResponseURL refuses the answer', async () => {
    recorder.failNext(1, 403);
    const handler = handlerWith();

    const invocation = handler(customResourceEvent('Create', { ResponseURL: recorder.urlFor('x') }), lambdaContext());

    await expect(invocation).rejects.toThrow(ResponseDeliveryError);
    await expect(invocation).rejects.toThrow(
      /ResponseURL http:\/\/127\.0\.0\.1:\d+\/x did not accept the answer: HTTP 403/,
    );
    expect(recorder.answers).toHaveLength(1);
    expect(logger.entries.some((entry) => /WAS NOT ANSWERED/.test(entry.message))).toBe(true);
    expectNoSignatureLeaked();
  });
});

describe('Function: createCustomResourceHandler continuations', () => {
  /** Stands in for Lambda's asynchronous invoke: keeps the payloads so the test can deliver them. */
  class QueueingInvoker implements SelfInvoker {
    readonly queued: { functionArn: string; payload: string }[] = [];
    async invokeAsync(functionArn: string, payload: string): Promise<void> {
      this.queued.push({ functionArn, payload });
    }
  }

  it('re-invokes itself with the event and state, and answers only when the handler finishes', async () => {
    // Prepare
    const invoker = new QueueingInvoker();
    const seen: unknown[] = [];
    const handler = handlerWith({
      selfInvoker: invoker,
      handle: async ({ continuation }): Promise<CustomResourceOutcome> => {
        seen.push(continuation);
        const step = (continuation?.state as { step: number } | undefined)?.step ?? 0;
        return step < 2
          ? { status: 'CONTINUE', state: { step: step + 1 } }
          : { status: 'SUCCESS', physicalResourceId: 'finished' };
      },
    });
    const event = customResourceEvent('Delete', { ResponseURL: recorder.urlFor() });

    // Act
    await handler(event, lambdaContext());
    while (invoker.queued.length > 0) {
      const next = invoker.queued.shift();
      await handler(JSON.parse(next?.payload ?? 'null') as unknown, lambdaContext());
    }

    // Assess
    expect(seen).toEqual([undefined, { hop: 1, state: { step: 1 } }, { hop: 2, state: { step: 2 } }]);
    expect(answersReceived()).toHaveLength(1);
    expect(answersReceived()[0]).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'finished' });
  });

  it('answers FAILED when the continuation cannot be queued', async () => {
    const handler = handlerWith({
      selfInvoker: {
        invokeAsync: async () => {
          throw new Error('TooManyRequestsException');
        },
      },
      handle: async () => ({ status: 'CONTINUE', state: {} }),
    });

    await handler(customResourceEvent('Delete', { ResponseURL: recorder.urlFor() }), lambdaContext());

    expect(answersReceived()[0]?.Status).toBe('FAILED');
    expect(answersReceived()[0]?.Reason).toMatch(/could not continue in a new invocation: Error: TooManyRequests/);
  });

  it('answers FAILED before the Lambda ends when queueing the continuation hangs, and aborts the invoke', async () => {
    // Prepare: a 30 s function whose handler continues at once; Lambda's Invoke never returns (throttled retries,
    // a hung connection). A fake responder keeps everything on the fake clock.
    const clock = new FakeClock(0);
    const sent: { body: string; atMs: number }[] = [];
    let invokeSignal: AbortSignal | undefined;
    const handler = handlerWith({
      clock,
      answerMarginMs: 5_000,
      responder: {
        send: async (_url, body) => {
          sent.push({ body, atMs: clock.now() });
        },
      },
      selfInvoker: {
        invokeAsync: (_arn, _payload, options) => {
          invokeSignal = options?.signal;
          return new Promise<never>(() => {});
        },
      },
      handle: async () => ({ status: 'CONTINUE', state: { step: 1 } }),
    });
    let settledAtMs: number | undefined;

    // Act: 100 ms steps of fake time, at most 60 s of it.
    void handler(
      customResourceEvent('Delete', { ResponseURL: recorder.urlFor() }),
      lambdaContext({ clock, timeoutMs: 30_000 }),
    ).then(() => {
      settledAtMs = clock.now();
    });
    while (settledAtMs === undefined && clock.now() < 60_000) await clock.advance(100);

    // Assess: the handler's deadline is 25 s and delivery ends at 29 s; queueing gets half of that, to 27 s.
    expect(settledAtMs).toBeDefined();
    expect(settledAtMs).toBeLessThanOrEqual(29_000);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.atMs).toBe(27_000);
    const answer = JSON.parse(sent[0]?.body ?? 'null') as CustomResourceResponse;
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(/could not continue in a new invocation: the invoke did not return within 27000 ms/);
    expect(invokeSignal?.aborted).toBe(true);
  });

  it('answers FAILED after the maximum number of continuations', async () => {
    const invoker = new QueueingInvoker();
    const handler = handlerWith({
      selfInvoker: invoker,
      maxHops: 3,
      handle: async () => ({ status: 'CONTINUE', state: {} }),
    });

    await handler(customResourceEvent('Delete', { ResponseURL: recorder.urlFor() }), lambdaContext());
    let invocations = 1;
    while (invoker.queued.length > 0) {
      invocations += 1;
      await handler(JSON.parse(invoker.queued.shift()?.payload ?? 'null') as unknown, lambdaContext());
    }

    expect(invocations).toBe(4);
    expect(answersReceived()).toHaveLength(1);
    expect(answersReceived()[0]?.Reason).toMatch(/gave up after 3 continuations/);
  });

  it('answers FAILED when a handler continues without a self-invoker', async () => {
    const handler = handlerWith({ handle: async () => ({ status: 'CONTINUE', state: {} }) });

    await handler(customResourceEvent('Delete', { ResponseURL: recorder.urlFor() }), lambdaContext());

    expect(answersReceived()[0]?.Reason).toMatch(/no self-invoker/);
  });

  it('answers FAILED when the continuation in the payload is malformed', async () => {
    const handler = handlerWith();

    await handler(
      customResourceEvent('Delete', { ResponseURL: recorder.urlFor(), [CONTINUATION_KEY]: { hop: 'two' } }),
      lambdaContext(),
    );

    expect(answersReceived()[0]?.Reason).toMatch(/malformed continuation: hop:/);
  });
});
