import { createHmac } from 'node:crypto';

export interface SignBuildkiteWebhookOptions {
  /** The exact bytes that will be sent as the request body. */
  body: string;
  /** The webhook token configured in Buildkite's Notification Services. */
  secret: string;
  /** Unix seconds the signature claims (pass the world clock; never read the wall clock in tests). */
  timestamp: number;
  /** `X-Buildkite-Event`. @default 'job.scheduled' */
  event?: string;
}

/**
 * The headers Buildkite sends with a webhook delivery when "Token sent as X-Buildkite-Signature" is chosen:
 * `X-Buildkite-Signature: timestamp=<unix seconds>,signature=<hex HMAC-SHA256 of "<timestamp>.<body>">` keyed with the
 * webhook token, plus the event name. The token itself is never sent.
 */
export function signBuildkiteWebhook(options: SignBuildkiteWebhookOptions): Record<string, string> {
  if (!Number.isInteger(options.timestamp) || options.timestamp < 0) {
    throw new RangeError(`timestamp must be whole Unix seconds, got ${options.timestamp}`);
  }
  const signature = createHmac('sha256', options.secret).update(`${options.timestamp}.${options.body}`).digest('hex');
  return {
    'Content-Type': 'application/json',
    'X-Buildkite-Event': options.event ?? 'job.scheduled',
    'X-Buildkite-Signature': `timestamp=${options.timestamp},signature=${signature}`,
  };
}
