import * as z from 'zod/mini';
import { type Clock, systemClock } from './clock';
import { type DeadlineOutcome, runWithDeadline } from './deadline';
import { ResponseDeliveryError } from './errors';
import { type CustomResourceRequest, describeIssues, parseCustomResourceRequest } from './request';
import { type Responder, redactUrl } from './responder';
import { type ResponseData, serializeResponse } from './response';

/** What a resource handler decides for one invocation. */
export type CustomResourceOutcome =
  | { status: 'SUCCESS'; physicalResourceId: string; data?: ResponseData; noEcho?: boolean; reason?: string }
  | { status: 'FAILED'; reason: string; physicalResourceId?: string }
  /** Not finished: the runner re-invokes the function asynchronously with `state`, and answers later. */
  | { status: 'CONTINUE'; state: unknown };

export interface CustomResourceInvocation {
  request: CustomResourceRequest;
  /** Present when this invocation continues an earlier one. */
  continuation: { state: unknown; hop: number } | undefined;
  /** Clock time by which `handle` must have returned; the runner answers FAILED at this time otherwise. */
  deadlineAt: number;
  /** Aborted when the deadline passes. */
  signal: AbortSignal;
}

/** The slice of a Lambda context the runner reads. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
  invokedFunctionArn: string;
  logGroupName: string;
  logStreamName: string;
}

/** Structured logger; the Powertools Logger satisfies it. */
export interface RunnerLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** Queues an asynchronous invocation of this same function with `payload`. */
export interface SelfInvoker {
  /**
   * @param options.signal aborted when the runner stops waiting (it then answers FAILED): pass it to the SDK call so
   *   a hung or throttled Invoke does not keep running.
   * @throws ContinuationError when the invocation was not accepted.
   */
  invokeAsync(functionArn: string, payload: string, options?: { signal?: AbortSignal }): Promise<void>;
}

export interface CustomResourceHandlerOptions {
  handle: (invocation: CustomResourceInvocation) => Promise<CustomResourceOutcome>;
  responder: Responder;
  logger: RunnerLogger;
  clock?: Clock;
  /**
   * Time kept back from the Lambda's remaining time to deliver the answer (or queue the continuation).
   * @default 10_000
   */
  answerMarginMs?: number;
  /** Needed only by handlers that return CONTINUE. */
  selfInvoker?: SelfInvoker;
  /** Continuations allowed before giving up with FAILED (a guard against a handler that never finishes). @default 50 */
  maxHops?: number;
}

/** Key under which a continuation travels in the re-invocation payload, next to the original event's fields. */
export const CONTINUATION_KEY = 'ElasticCiContinuation';

/**
 * Time kept free at the very end of the invocation (at most half the answer margin) to log an undelivered answer and
 * fail the invocation.
 */
export const DELIVERY_RESERVE_MS = 1_000;

/** Physical id answered for a failed Create; the matching Delete is then answered SUCCESS without any work. */
export const CREATE_FAILED_PHYSICAL_ID_PREFIX = 'elastic-ci:create-failed:';

const continuationSchema = z.object({ hop: z.int().check(z.minimum(1)), state: z.unknown() });

/**
 * Wraps a resource handler so CloudFormation always gets an answer: malformed events, exceptions and the Lambda
 * running out of time are all answered FAILED with a reason pointing at the log stream. Only an event without a
 * usable ResponseURL cannot be answered; it is logged at error level and the invocation ends.
 */
export function createCustomResourceHandler(
  options: CustomResourceHandlerOptions,
): (event: unknown, context: InvocationContext) => Promise<void> {
  const clock = options.clock ?? systemClock;
  const answerMarginMs = options.answerMarginMs ?? 10_000;
  const maxHops = options.maxHops ?? 50;
  const { logger, responder } = options;

  return async (event, context) => {
    const startedAt = clock.now();
    const remainingMs = context.getRemainingTimeInMillis();
    const deadlineAt = startedAt + Math.max(0, remainingMs - answerMarginMs);
    // Delivery may use the answer margin, but ends a moment before Lambda would kill the invocation, so that a lost
    // answer is still logged and the invocation fails (and Lambda retries the asynchronous event).
    const deliverBy = startedAt + remainingMs - Math.min(answerMarginMs / 2, DELIVERY_RESERVE_MS);
    // Queueing a continuation may use half the time kept for delivery; the other half answers FAILED if it hangs.
    const queueBy = deadlineAt + Math.max(0, deliverBy - deadlineAt) / 2;
    const logPointer = `log group ${context.logGroupName}, stream ${context.logStreamName}`;
    const parsed = parseCustomResourceRequest(event);

    if (!parsed.address) {
      logger.error('CLOUDFORMATION CANNOT BE ANSWERED: the event has no usable ResponseURL', {
        problem: parsed.ok ? undefined : parsed.problem,
        action: 'the stack will wait until the custom resource times out; check what invoked this function',
      });
      return;
    }
    const address = parsed.address;
    const answer = async (outcome: Exclude<CustomResourceOutcome, { status: 'CONTINUE' }>): Promise<void> => {
      const physicalResourceId =
        outcome.physicalResourceId ??
        address.physicalResourceId ??
        `${CREATE_FAILED_PHYSICAL_ID_PREFIX}${address.logicalResourceId || address.requestId || 'unknown'}`;
      const { body, response } = serializeResponse({
        address,
        status: outcome.status,
        reason: outcome.reason ?? (outcome.status === 'SUCCESS' ? 'done' : 'failed'),
        physicalResourceId,
        logPointer,
        ...(outcome.status === 'SUCCESS' && outcome.data ? { data: outcome.data } : {}),
        ...(outcome.status === 'SUCCESS' && outcome.noEcho !== undefined ? { noEcho: outcome.noEcho } : {}),
      });
      const summary = {
        status: response.Status,
        reason: response.Reason,
        physicalResourceId: response.PhysicalResourceId,
        responseUrl: redactUrl(address.responseUrl),
        ...(response.NoEcho ? {} : { data: response.Data }),
      };
      if (response.Status === 'FAILED') logger.error('answering CloudFormation FAILED', summary);
      else logger.info('answering CloudFormation SUCCESS', summary);
      try {
        await responder.send(address.responseUrl, body, { withinMs: Math.max(0, deliverBy - clock.now()) });
      } catch (error) {
        logger.error('CLOUDFORMATION WAS NOT ANSWERED: delivery to the ResponseURL failed', {
          error: errorMessage(error),
          action: 'the invocation fails so Lambda retries it',
        });
        throw error instanceof ResponseDeliveryError
          ? error
          : new ResponseDeliveryError('answer delivery failed', { cause: error });
      }
    };

    if (!parsed.ok) {
      logger.error('malformed custom-resource event', { problem: parsed.problem, requestType: address.requestType });
      // The rollback Delete of a Create that failed for a malformed event is usually malformed the same way; it needs
      // nothing but its address to be answered, and a FAILED answer would leave the stack undeletable.
      if (
        address.requestType === 'Delete' &&
        address.physicalResourceId?.startsWith(CREATE_FAILED_PHYSICAL_ID_PREFIX)
      ) {
        await answer({
          status: 'SUCCESS',
          physicalResourceId: address.physicalResourceId,
          reason: 'nothing to delete: the Create had failed',
        });
        return;
      }
      await answer({ status: 'FAILED', reason: parsed.problem });
      return;
    }
    const request = parsed.request;
    const continuation = readContinuation(event);
    logger.info('custom-resource request', {
      requestType: request.RequestType,
      logicalResourceId: request.LogicalResourceId,
      physicalResourceId: address.physicalResourceId,
      requestId: request.RequestId,
      stackId: request.StackId,
      hop: continuation.ok ? (continuation.value?.hop ?? 0) : undefined,
    });
    if (!continuation.ok) {
      await answer({ status: 'FAILED', reason: continuation.problem });
      return;
    }
    if (request.RequestType === 'Delete' && request.PhysicalResourceId.startsWith(CREATE_FAILED_PHYSICAL_ID_PREFIX)) {
      await answer({
        status: 'SUCCESS',
        physicalResourceId: request.PhysicalResourceId,
        reason: 'nothing to delete: the Create had failed',
      });
      return;
    }

    const outcome: DeadlineOutcome<CustomResourceOutcome> = await runWithDeadline(
      (signal) => options.handle({ request, continuation: continuation.value, deadlineAt, signal }),
      { clock, deadlineAt },
    );
    if (outcome.kind === 'timed-out') {
      await answer({
        status: 'FAILED',
        reason: `timed out: ${request.RequestType} did not finish within the Lambda's time (less ${answerMarginMs} ms kept to answer)`,
      });
      return;
    }
    if (outcome.kind === 'threw') {
      logger.error('custom-resource handler failed', { error: errorMessage(outcome.error) });
      await answer({ status: 'FAILED', reason: `${request.RequestType} failed: ${errorMessage(outcome.error)}` });
      return;
    }
    const result = outcome.value;
    const invalid = outcomeProblem(result);
    if (invalid) {
      logger.error('custom-resource handler returned an invalid outcome', { problem: invalid });
      await answer({ status: 'FAILED', reason: `${request.RequestType} failed: ${invalid}` });
      return;
    }
    if (result.status !== 'CONTINUE') {
      await answer(result);
      return;
    }
    const hop = (continuation.value?.hop ?? 0) + 1;
    if (hop > maxHops) {
      await answer({ status: 'FAILED', reason: `gave up after ${maxHops} continuations without finishing` });
      return;
    }
    if (!options.selfInvoker) {
      await answer({ status: 'FAILED', reason: 'the handler asked to continue but no self-invoker is configured' });
      return;
    }
    const payload = JSON.stringify({ ...request, [CONTINUATION_KEY]: { hop, state: result.state } });
    const queueWithinMs = Math.max(0, queueBy - clock.now());
    const queued = await runWithDeadline(
      (signal) => (options.selfInvoker as SelfInvoker).invokeAsync(context.invokedFunctionArn, payload, { signal }),
      { clock, deadlineAt: clock.now() + queueWithinMs },
    );
    if (queued.kind === 'completed') {
      logger.info('continuing in a new invocation', { hop });
      return;
    }
    // A timed-out invoke may still have been queued: its invocation would then answer a second time, which
    // CloudFormation ignores. Not answering at all would leave the stack waiting for an hour.
    const problem =
      queued.kind === 'threw' ? errorMessage(queued.error) : `the invoke did not return within ${queueWithinMs} ms`;
    await answer({ status: 'FAILED', reason: `could not continue in a new invocation: ${problem}` });
  };
}

/** CloudFormation's limit on a physical id; a longer or empty one is refused with the whole answer. */
const MAX_PHYSICAL_ID_LENGTH = 1_024;

/**
 * Checks at run time what the types promise: a handler written or cast loosely must still get an answer sent, not a
 * TypeError (no answer at all) or a body CloudFormation refuses.
 */
function outcomeProblem(outcome: unknown): string | undefined {
  if (typeof outcome !== 'object' || outcome === null) return 'the handler returned no outcome';
  const { status, physicalResourceId } = outcome as Record<string, unknown>;
  if (status !== 'SUCCESS' && status !== 'FAILED' && status !== 'CONTINUE') {
    return `the handler returned an unknown status ${JSON.stringify(String(status).slice(0, 32))} (expected SUCCESS, FAILED or CONTINUE)`;
  }
  if (status === 'CONTINUE' || (status === 'FAILED' && physicalResourceId === undefined)) return undefined;
  if (typeof physicalResourceId !== 'string') return 'the handler returned a physical id that is not a string';
  if (physicalResourceId.length < 1 || physicalResourceId.length > MAX_PHYSICAL_ID_LENGTH) {
    return `the handler returned a physical id of ${physicalResourceId.length} characters; CloudFormation accepts 1 to ${MAX_PHYSICAL_ID_LENGTH}`;
  }
  return undefined;
}

function readContinuation(
  event: unknown,
): { ok: true; value: { hop: number; state: unknown } | undefined } | { ok: false; problem: string } {
  const raw = (event as Record<string, unknown>)[CONTINUATION_KEY];
  if (raw === undefined) return { ok: true, value: undefined };
  const parsed = continuationSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, problem: `malformed continuation: ${describeIssues(parsed.error)}` };
  return { ok: true, value: { hop: parsed.data.hop, state: parsed.data.state } };
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
