import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type Clock, systemClock } from './clock';
import { ResponseDeliveryError } from './errors';

/** Delivers a serialised answer to CloudFormation's pre-signed ResponseURL. */
export interface Responder {
  /**
   * @param options.withinMs how long delivery may take from now, accepted or not: no attempt runs and no backoff
   *   sleeps past it (the caller passes the invocation's time left, less a moment to log a failure). Relative, so
   *   the caller's and the responder's clocks need not be the same object.
   * @throws ResponseDeliveryError when the URL did not accept the body after every retry, or time ran out.
   */
  send(responseUrl: string, body: string, options?: { withinMs?: number }): Promise<void>;
}

export interface HttpResponderOptions {
  clock?: Clock;
  /** @default 4 */
  attempts?: number;
  /** Per-attempt timeout, cut to the time left of `withinMs`. @default 10_000 */
  attemptTimeoutMs?: number;
  /** First backoff; doubles after each failed attempt. @default 500 */
  backoffMs?: number;
}

/**
 * PUTs the answer with an empty Content-Type, as CloudFormation's pre-signed S3 URL expects (the header is part of
 * what S3 signs). Network errors, 5xx and 429 are retried; other 4xx (an expired or tampered URL) are not. Attempts
 * and backoff pauses are timed on `clock` and never run past `withinMs`: a hanging URL cannot keep the invocation
 * busy until Lambda kills it, which would leave no log line saying the answer was lost.
 */
export function createHttpResponder(options: HttpResponderOptions = {}): Responder {
  const clock = options.clock ?? systemClock;
  const attempts = options.attempts ?? 4;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 10_000;
  const backoffMs = options.backoffMs ?? 500;
  return {
    async send(responseUrl, body, sendOptions = {}) {
      const url = new URL(responseUrl);
      const deliverBy = clock.now() + (sendOptions.withinMs ?? Number.POSITIVE_INFINITY);
      let lastProblem = 'no time left to try';
      for (let attempt = 1; attempt <= attempts; attempt += 1) {
        const leftMs = deliverBy - clock.now();
        if (leftMs <= 0) {
          if (attempt > 1) lastProblem += `; no time left for attempt ${attempt}`;
          break;
        }
        const outcome = await putOnce(url, body, Math.min(attemptTimeoutMs, leftMs), clock);
        if (outcome.kind === 'accepted') return;
        lastProblem = outcome.problem;
        if (!outcome.retryable || attempt === attempts) break;
        const pauseMs = backoffMs * 2 ** (attempt - 1);
        if (clock.now() + pauseMs >= deliverBy) {
          lastProblem += `; no time left for attempt ${attempt + 1}`;
          break;
        }
        await clock.sleep(pauseMs);
      }
      throw new ResponseDeliveryError(
        `CloudFormation's ResponseURL ${redactUrl(responseUrl)} did not accept the answer: ${lastProblem}`,
      );
    },
  };
}

type PutOutcome = { kind: 'accepted' } | { kind: 'rejected'; problem: string; retryable: boolean };

/** One PUT, abandoned (and its socket destroyed) after `timeoutMs` of clock time. */
function putOnce(url: URL, body: string, timeoutMs: number, clock: Clock): Promise<PutOutcome> {
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  const timerAbort = new AbortController();
  return new Promise((resolvePut) => {
    let settled = false;
    const resolveOutcome = (outcome: PutOutcome) => {
      if (settled) return;
      settled = true;
      timerAbort.abort();
      resolvePut(outcome);
    };
    const request = send(
      url,
      {
        method: 'PUT',
        headers: { 'content-type': '', 'content-length': Buffer.byteLength(body, 'utf8') },
      },
      (response) => {
        response.resume();
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) resolveOutcome({ kind: 'accepted' });
          else
            resolveOutcome({
              kind: 'rejected',
              problem: `HTTP ${status}`,
              retryable: status >= 500 || status === 429,
            });
        });
        response.on('error', (error) => resolveOutcome({ kind: 'rejected', problem: error.message, retryable: true }));
      },
    );
    request.on('error', (error) => resolveOutcome({ kind: 'rejected', problem: error.message, retryable: true }));
    void clock.sleep(timeoutMs, timerAbort.signal).then(() => {
      if (settled) return;
      resolveOutcome({ kind: 'rejected', problem: `no answer within ${timeoutMs} ms`, retryable: true });
      request.destroy();
    });
    request.end(body);
  });
}

/** The URL without its query: the query is a signature that would let a log reader answer for the stack. */
export function redactUrl(responseUrl: string): string {
  try {
    const url = new URL(responseUrl);
    return `${url.origin}${url.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}
