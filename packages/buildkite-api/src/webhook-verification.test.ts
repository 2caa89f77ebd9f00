import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signWebhookBody, verifyWebhook, webhookSignatureHeader } from './webhook-verification';

const SECRET = 'canary-webhook-secret-9b2e';
const NOW_MS = Date.UTC(2026, 10, 23, 12, 0, 0);
const NOW_SEC = NOW_MS / 1000;
const BODY = '{"event":"job.scheduled","job":{"id":"0190"}}';

describe('Function: signWebhookBody', () => {
  it('is the hex HMAC-SHA256 of "timestamp.body" keyed with the token', () => {
    // Prepare: an independent computation of the documented scheme
    const expected = createHmac('sha256', SECRET).update(`${NOW_SEC}.${BODY}`).digest('hex');

    // Act / Assess
    expect(signWebhookBody(SECRET, NOW_SEC, BODY)).toBe(expected);
  });
});

describe('Function: verifyWebhook', () => {
  const signed = (timestampSec = NOW_SEC, body = BODY, secret = SECRET) => ({
    'X-Buildkite-Signature': webhookSignatureHeader(secret, timestampSec, body),
  });

  it('accepts a correct signature inside the replay window', () => {
    // Act
    const result = verifyWebhook({ headers: signed(NOW_SEC - 60), body: BODY, secret: SECRET, nowMs: NOW_MS });

    // Assess
    expect(result).toEqual({ verified: true, method: 'signature' });
  });

  it('accepts header names in any case and a Uint8Array body', () => {
    // Prepare
    const headers = { 'x-buildkite-signature': webhookSignatureHeader(SECRET, NOW_SEC, BODY) };

    // Act
    const result = verifyWebhook({ headers, body: new TextEncoder().encode(BODY), secret: SECRET, nowMs: NOW_MS });

    // Assess
    expect(result.verified).toBe(true);
  });

  it('rejects a replay older than the window', () => {
    // Act
    const result = verifyWebhook({
      headers: signed(NOW_SEC - 301),
      body: BODY,
      secret: SECRET,
      nowMs: NOW_MS,
      replayWindowSec: 300,
    });

    // Assess
    expect(result).toMatchObject({ verified: false, reason: 'stale-timestamp' });
  });

  it('rejects a timestamp too far in the future', () => {
    // Act
    const result = verifyWebhook({ headers: signed(NOW_SEC + 600), body: BODY, secret: SECRET, nowMs: NOW_MS });

    // Assess
    expect(result).toMatchObject({ verified: false, reason: 'stale-timestamp' });
  });

  it('rejects a signature made with another secret and never falls back to the token header', () => {
    // Prepare
    const headers = { ...signed(NOW_SEC, BODY, 'other-secret'), 'X-Buildkite-Token': SECRET };

    // Act
    const result = verifyWebhook({ headers, body: BODY, secret: SECRET, nowMs: NOW_MS });

    // Assess
    expect(result).toMatchObject({ verified: false, reason: 'bad-signature' });
  });

  it.each([
    'signature=abc',
    `timestamp=${NOW_SEC}`,
    `timestamp=soon,signature=${'a'.repeat(64)}`,
    `timestamp=${NOW_SEC},signature=xyz`,
    '',
  ])('rejects the malformed header %j', (value) => {
    // Act
    const result = verifyWebhook({
      headers: { 'X-Buildkite-Signature': value },
      body: BODY,
      secret: SECRET,
      nowMs: NOW_MS,
    });

    // Assess
    expect(result).toMatchObject({ verified: false, reason: 'malformed-signature' });
  });

  it('accepts the matching X-Buildkite-Token when no signature is sent', () => {
    // Act
    const result = verifyWebhook({
      headers: { 'X-Buildkite-Token': SECRET },
      body: BODY,
      secret: SECRET,
      nowMs: NOW_MS,
    });

    // Assess
    expect(result).toEqual({ verified: true, method: 'token' });
  });

  it('rejects a wrong X-Buildkite-Token, including a prefix of the secret', () => {
    // Act
    const results = [SECRET.slice(0, -1), `${SECRET}x`, ''].map((token) =>
      verifyWebhook({ headers: { 'X-Buildkite-Token': token }, body: BODY, secret: SECRET, nowMs: NOW_MS }),
    );

    // Assess
    for (const result of results) expect(result).toMatchObject({ verified: false, reason: 'bad-token' });
  });

  it('rejects the token header when it is disabled', () => {
    // Act
    const result = verifyWebhook({
      headers: { 'X-Buildkite-Token': SECRET },
      body: BODY,
      secret: SECRET,
      nowMs: NOW_MS,
      allowTokenHeader: false,
    });

    // Assess
    expect(result).toMatchObject({ verified: false, reason: 'token-header-not-allowed' });
  });

  it('rejects a request without credentials', () => {
    // Act
    const result = verifyWebhook({ headers: { 'Content-Type': undefined }, body: BODY, secret: SECRET, nowMs: NOW_MS });

    // Assess
    expect(result).toMatchObject({ verified: false, reason: 'missing-credentials' });
  });

  it('accepts every correctly signed body and rejects every tampered one (property)', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string({ minLength: 1 }),
        fc.integer({ min: -300, max: 300 }),
        (body, extra, skew) => {
          const headers = signed(NOW_SEC + skew, body);
          const genuine = verifyWebhook({ headers, body, secret: SECRET, nowMs: NOW_MS });
          const tampered = verifyWebhook({ headers, body: body + extra, secret: SECRET, nowMs: NOW_MS });
          expect(genuine.verified).toBe(true);
          expect(tampered).toMatchObject({ verified: false, reason: 'bad-signature' });
        },
      ),
    );
  });

  it('never mentions the secret or the presented token in a rejection (property)', () => {
    fc.assert(
      fc.property(
        fc.string().map((suffix) => `presented-token-${suffix}`),
        (presented) => {
          const result = verifyWebhook({
            headers: { 'X-Buildkite-Token': presented },
            body: BODY,
            secret: SECRET,
            nowMs: NOW_MS,
          });
          const text = JSON.stringify(result);
          expect(text).not.toContain(SECRET);
          if (!result.verified) expect(text).not.toContain(presented);
        },
      ),
    );
  });
});

describe('Function: verifyWebhook with unusable settings', () => {
  const headers = { 'X-Buildkite-Signature': webhookSignatureHeader(SECRET, NOW_SEC - 86_400, BODY) };

  it('refuses an empty secret instead of accepting an empty token header or an HMAC keyed with nothing', () => {
    // Prepare
    const emptyToken = { 'X-Buildkite-Token': '' };
    const signedWithNothing = { 'X-Buildkite-Signature': webhookSignatureHeader('', NOW_SEC, BODY) };

    // Act / Assess
    expect(() => verifyWebhook({ headers: emptyToken, body: BODY, secret: '', nowMs: NOW_MS })).toThrow(/secret/);
    expect(() => verifyWebhook({ headers: signedWithNothing, body: BODY, secret: '', nowMs: NOW_MS })).toThrow(
      RangeError,
    );
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY])('refuses nowMs %d instead of skipping the replay check', (nowMs) => {
    expect(() => verifyWebhook({ headers, body: BODY, secret: SECRET, nowMs })).toThrow(/nowMs/);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, -1])(
    'refuses replayWindowSec %d instead of accepting a day-old signature',
    (replayWindowSec) => {
      expect(() => verifyWebhook({ headers, body: BODY, secret: SECRET, nowMs: NOW_MS, replayWindowSec })).toThrow(
        /replayWindowSec/,
      );
    },
  );
});
