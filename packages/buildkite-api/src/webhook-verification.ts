import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-buildkite-signature';
export const TOKEN_HEADER = 'x-buildkite-token';
/** Five minutes either side, the window most webhook senders document for replays and clock skew. */
export const DEFAULT_REPLAY_WINDOW_SEC = 300;

export interface VerifyWebhookInput {
  /** Request headers; names are matched case-insensitively. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The raw request body exactly as received (before any JSON parsing). */
  body: string | Uint8Array;
  /** The webhook's token from Buildkite's Notification Services settings. */
  secret: string;
  nowMs: number;
  /** Reject signatures whose timestamp is further than this from `nowMs`. @default 300 */
  replayWindowSec?: number;
  /** Accept the plain `X-Buildkite-Token` header when no signature header is sent. @default true */
  allowTokenHeader?: boolean;
}

export type WebhookRejection =
  | 'missing-credentials'
  | 'malformed-signature'
  | 'stale-timestamp'
  | 'bad-signature'
  | 'bad-token'
  | 'token-header-not-allowed';

export type WebhookVerification =
  | { verified: true; method: 'signature' | 'token' }
  | { verified: false; reason: WebhookRejection; detail: string };

/** Signs `timestamp.body` the way Buildkite does: lowercase hex HMAC-SHA256 keyed with the webhook token. */
export function signWebhookBody(secret: string, timestampSec: number, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${timestampSec}.`).update(body).digest('hex');
}

/** Builds an `X-Buildkite-Signature` header value; for tests and stand-ins. */
export function webhookSignatureHeader(secret: string, timestampSec: number, body: string | Uint8Array): string {
  return `timestamp=${timestampSec},signature=${signWebhookBody(secret, timestampSec, body)}`;
}

/**
 * Verifies a Buildkite webhook delivery. Prefers `X-Buildkite-Signature` (HMAC over `timestamp.body` with a replay
 * window); when absent, falls back to comparing `X-Buildkite-Token`. A signature header that fails never falls back.
 * All comparisons are constant-time; the result's `detail` never contains the secret or the presented credential.
 */
export function verifyWebhook(input: VerifyWebhookInput): WebhookVerification {
  assertUsableSettings(input);
  const headers = lowerCaseHeaders(input.headers);
  const signatureHeader = headers.get(SIGNATURE_HEADER);
  if (signatureHeader !== undefined) return verifySignature(signatureHeader, input);

  const tokenHeader = headers.get(TOKEN_HEADER);
  if (tokenHeader === undefined) {
    return reject('missing-credentials', 'neither X-Buildkite-Signature nor X-Buildkite-Token was sent');
  }
  if (input.allowTokenHeader === false) {
    return reject(
      'token-header-not-allowed',
      'X-Buildkite-Token is disabled; configure the webhook to send a signature',
    );
  }
  // Hashing both sides first gives equal lengths, so timingSafeEqual never leaks the secret's length.
  return constantTimeEqual(sha256(tokenHeader), sha256(input.secret))
    ? { verified: true, method: 'token' }
    : reject('bad-token', 'X-Buildkite-Token does not match the configured webhook token');
}

function verifySignature(headerValue: string, input: VerifyWebhookInput): WebhookVerification {
  const fields = new Map<string, string>();
  for (const part of headerValue.split(',')) {
    const separator = part.indexOf('=');
    if (separator > 0) fields.set(part.slice(0, separator).trim(), part.slice(separator + 1).trim());
  }
  const timestampText = fields.get('timestamp');
  const signature = fields.get('signature');
  if (timestampText === undefined || !/^\d{1,12}$/.test(timestampText) || signature === undefined) {
    return reject(
      'malformed-signature',
      'X-Buildkite-Signature must look like timestamp=<unix seconds>,signature=<hex>',
    );
  }
  if (!/^[0-9a-f]{64}$/i.test(signature)) {
    return reject('malformed-signature', 'X-Buildkite-Signature signature is not 64 hex characters');
  }
  const timestampSec = Number(timestampText);
  const windowSec = input.replayWindowSec ?? DEFAULT_REPLAY_WINDOW_SEC;
  const skewSec = Math.abs(input.nowMs / 1000 - timestampSec);
  if (skewSec > windowSec) {
    return reject(
      'stale-timestamp',
      `signature timestamp ${timestampSec} is ${Math.round(skewSec)} s from now, outside the ${windowSec} s replay window`,
    );
  }
  const expected = Buffer.from(signWebhookBody(input.secret, timestampSec, input.body), 'hex');
  const presented = Buffer.from(signature.toLowerCase(), 'hex');
  return constantTimeEqual(expected, presented)
    ? { verified: true, method: 'signature' }
    : reject('bad-signature', 'X-Buildkite-Signature does not match the body and the configured webhook token');
}

/**
 * Settings that would make every request pass are the caller's bug, not a request to reject: an empty secret lets an
 * empty token header (or an HMAC anyone can compute) through, and a NaN clock or window makes the replay check
 * `NaN > window`, which is false for every timestamp.
 */
function assertUsableSettings(input: VerifyWebhookInput): void {
  if (input.secret.length === 0) {
    throw new RangeError(
      "verifyWebhook: secret is empty; pass the webhook token from Buildkite's Notification Services",
    );
  }
  if (!Number.isFinite(input.nowMs)) {
    throw new RangeError(`verifyWebhook: nowMs must be a finite number of milliseconds, got ${input.nowMs}`);
  }
  const windowSec = input.replayWindowSec;
  if (windowSec !== undefined && !(Number.isFinite(windowSec) && windowSec >= 0)) {
    throw new RangeError(`verifyWebhook: replayWindowSec must be a finite number >= 0, got ${windowSec}`);
  }
}

function lowerCaseHeaders(headers: Readonly<Record<string, string | undefined>>): Map<string, string> {
  const result = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) result.set(name.toLowerCase(), value);
  }
  return result;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function constantTimeEqual(left: Buffer, right: Buffer): boolean {
  return left.length === right.length && timingSafeEqual(left, right);
}

function reject(reason: WebhookRejection, detail: string): WebhookVerification {
  return { verified: false, reason, detail };
}
