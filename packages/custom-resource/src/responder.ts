import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type Clock, systemClock } from './clock';
import { ResponseDeliveryError } from './errors';

/** Delivers a serialised answer to CloudFormation's pre-signed ResponseURL. */
export interface Responder {
  /** @throws ResponseDeliveryError when the URL did not accept the body after every retry. */
  send(responseUrl: string, body: string): Promise<void>;
}

export interface HttpResponderOptions {
  clock?: Clock;
  /** @default 4 */
  attempts?: number;
  /** Per-attempt timeout. @default 10_000 */
  attemptTimeoutMs?: number;
  /** First backoff; doubles after each failed attempt. @default 500 */
  backoffMs?: number;
}

/**
 * PUTs the answer with an empty Content-Type, as CloudFormation's pre-signed S3 URL expects (the header is part of
 * what S3 signs). Network errors, 5xx and 429 are retried; other 4xx (an expired or tampered URL) are not.
 */
export function createHttpResponder(options: HttpResponderOptions = {}): Responder {
  const clock = options.clock ?? systemClock;
  const attempts = options.attempts ?? 4;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 10_000;
  const backoffMs = options.backoffMs ?? 500;
  return {
    async send(responseUrl, body) {
      const url = new URL(responseUrl);
      let lastProblem = '';
      for (let attempt = 1; attempt <= attempts; attempt += 1) {
        const outcome = await putOnce(url, body, attemptTimeoutMs);
        if (outcome.kind === 'accepted') return;
        lastProblem = outcome.problem;
        if (!outcome.retryable) break;
        if (attempt < attempts) await clock.sleep(backoffMs * 2 ** (attempt - 1));
      }
      throw new ResponseDeliveryError(
        `CloudFormation's ResponseURL ${redactUrl(responseUrl)} did not accept the answer: ${lastProblem}`,
      );
    },
  };
}

type PutOutcome = { kind: 'accepted' } | { kind: 'rejected'; problem: string; retryable: boolean };

function putOnce(url: URL, body: string, timeoutMs: number): Promise<PutOutcome> {
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolveOutcome) => {
    const request = send(
      url,
      {
        method: 'PUT',
        headers: { 'content-type': '', 'content-length': Buffer.byteLength(body, 'utf8') },
        timeout: timeoutMs,
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
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error) => resolveOutcome({ kind: 'rejected', problem: error.message, retryable: true }));
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
