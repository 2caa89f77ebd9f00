import { verifyWebhook } from '@elastic-ci/buildkite-api';
import type { APIGatewayProxyEvent, Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import * as z from 'zod';
import type { ScalerRuntime } from './runtime';
import { webhookLeaseWaitUntilMs } from './scaling-lease';
import { describeError } from './scaling-pass';

/** Re-read the webhook token from SSM after a failed verification at most this often (it may have been rotated). */
const SECRET_REFRESH_MIN_INTERVAL_MS = 60_000;

/** Only what the queue filter needs from a `job.scheduled` payload; everything else is ignored. */
const jobScheduledSchema = z.object({
  job: z.object({ agent_query_rules: z.array(z.string()).optional() }).optional(),
});

/** A function URL or API Gateway HTTP API (v2) event, or an API Gateway REST API (v1) proxy event. */
export type WebhookEvent = LambdaFunctionURLEvent | APIGatewayProxyEvent;

/** v2 and function URLs name the method in `requestContext.http`, v1 in `httpMethod`. */
function methodOf(event: WebhookEvent): string {
  if ('httpMethod' in event && typeof event.httpMethod === 'string') return event.httpMethod;
  return (event as Partial<LambdaFunctionURLEvent>).requestContext?.http?.method ?? 'POST';
}

const json = (statusCode: number, body: Record<string, unknown>): LambdaFunctionURLResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/**
 * The Lambda function URL entry point for Buildkite webhooks. Unverified requests get 401 and cause nothing else: no
 * Buildkite call, no AWS call beyond reading the webhook token. A verified `job.scheduled` for this queue triggers one
 * immediate scaling pass, shared (single-flight) with any pass already running in this container. With a scaling
 * lease configured, a pass running in another container is waited for (briefly, within the invocation's time), and
 * this one then runs on fresh metrics; if the lease stays taken, the webhook ends without acting.
 */
export function createWebhookHandler(runtime: ScalerRuntime) {
  const { logger } = runtime.telemetry;
  let lastSecretRefreshMs = Number.NEGATIVE_INFINITY;

  const verify = async (event: WebhookEvent, body: string | Buffer) => {
    const secretCache = runtime.webhookSecret;
    if (!secretCache) throw new Error('webhook handler without WEBHOOK_SECRET_SSM_KEY');
    const attempt = async () =>
      verifyWebhook({
        headers: event.headers ?? {},
        body,
        secret: await secretCache.get(),
        nowMs: runtime.clock.now(),
        replayWindowSec: runtime.config.webhook.replayWindowSec,
        allowTokenHeader: runtime.config.webhook.allowTokenHeader,
      });
    const first = await attempt();
    const nowMs = runtime.clock.now();
    if (first.verified || (first.reason !== 'bad-signature' && first.reason !== 'bad-token')) return first;
    if (nowMs - lastSecretRefreshMs < SECRET_REFRESH_MIN_INTERVAL_MS) return first;
    lastSecretRefreshMs = nowMs;
    secretCache.invalidate();
    try {
      return await attempt();
    } catch (error) {
      // The request failed with the secret we had: a secret store outage does not make it the caller's 5xx.
      logger.error('webhook secret could not be read again after a failed verification; the request is refused', {
        error: describeError(error),
      });
      return first;
    }
  };

  return async (
    event: WebhookEvent,
    context?: Pick<Context, 'getRemainingTimeInMillis'>,
  ): Promise<LambdaFunctionURLResult> => {
    if (methodOf(event) !== 'POST') return json(405, { message: 'only POST' });
    // The signature covers the bytes as sent: a base64 body is verified before any decoding to text.
    const rawBody = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : (event.body ?? '');
    const body = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');

    let verdict: Awaited<ReturnType<typeof verify>>;
    try {
      verdict = await verify(event, rawBody);
    } catch (error) {
      logger.error('webhook not verified: the webhook token could not be read', { error: describeError(error) });
      return json(503, { message: 'verification unavailable' });
    }
    if (!verdict.verified) {
      logger.warn('webhook rejected', { reason: verdict.reason, detail: verdict.detail });
      return json(401, { message: 'unauthorized' });
    }

    const eventName = headerValue(event.headers, 'x-buildkite-event');
    if (eventName !== 'job.scheduled') {
      logger.info('webhook verified, event ignored', { event: eventName ?? null });
      return json(200, { status: 'ignored', event: eventName ?? null });
    }
    if (!targetsQueue(body, runtime.config.queue)) {
      logger.info('webhook verified, job targets another queue', { queue: runtime.config.queue });
      return json(200, { status: 'ignored', reason: 'other queue' });
    }

    const lease = runtime.config.lease;
    const leaseWaitUntilMs =
      lease === undefined
        ? undefined
        : webhookLeaseWaitUntilMs({
            nowMs: runtime.clock.now(),
            waitMs: lease.webhookWaitMs,
            remainingTimeMs: context?.getRemainingTimeInMillis(),
            deadlineMarginMs: runtime.config.deadlineMarginMs,
          });
    const outcome = await runtime.pass('webhook', { leaseWaitUntilMs });
    return json(200, outcome.status === 'failed' ? { status: 'failed', stage: outcome.stage } : outcome);
  };
}

function headerValue(headers: Record<string, string | undefined> | undefined, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

/**
 * A job targets the queue named by its `queue=` agent query rule, or `default` without one. A body that cannot be
 * read counts as a match: a spare scaling pass is harmless, a missed one delays a job.
 */
export function targetsQueue(body: string, queue: string): boolean {
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return true;
  }
  const parsed = jobScheduledSchema.safeParse(payload);
  if (!parsed.success) return true;
  const rules = parsed.data.job?.agent_query_rules ?? [];
  const queueRule = rules.find((rule) => rule.startsWith('queue='));
  return (queueRule === undefined ? 'default' : queueRule.slice('queue='.length)) === queue;
}
