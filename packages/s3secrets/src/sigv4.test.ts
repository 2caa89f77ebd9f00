import { createHash } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeKey } from './s3-address';
import { amzDate, EMPTY_PAYLOAD_SHA256, signRequest } from './sigv4';

/** The SDK signer's hash interface on node:crypto (the SDK's own Node hash package is not a dependency here). */
class NodeSha256 implements Checksum {
  private readonly chunks: Buffer[] = [];
  constructor(private readonly secret?: SourceData) {}
  update(data: Uint8Array | string): void {
    this.chunks.push(typeof data === 'string' ? Buffer.from(data) : Buffer.from(data));
  }
  async digest(): Promise<Uint8Array> {
    const { createHmac } = await import('node:crypto');
    const hash =
      this.secret === undefined
        ? createHash('sha256')
        : createHmac('sha256', typeof this.secret === 'string' ? this.secret : Buffer.from(this.secret as Uint8Array));
    for (const chunk of this.chunks) hash.update(chunk);
    return new Uint8Array(hash.digest());
  }
  reset(): void {
    this.chunks.length = 0;
  }
}

/** What the AWS SDK's signer produces for the same request, configured as the SDK's S3 client configures it. */
async function sdkSignature(
  request: { host: string; path: string; query: Record<string, string>; region: string },
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  date: Date,
): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials,
    region: request.region,
    service: 's3',
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: request.host,
      path: request.path,
      query: request.query,
      headers: { host: request.host, 'x-amz-content-sha256': EMPTY_PAYLOAD_SHA256 },
    },
    { signingDate: date },
  );
  return Object.fromEntries(Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), value]));
}

describe('Function: signRequest', () => {
  it('signs exactly as the AWS SDK signer does, for any key, query, region, date and credentials (property)', async () => {
    // Act / Assess
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
        fc.dictionary(
          fc.constantFrom('prefix', 'list-type', 'continuation-token', 'a b', 'x+y'),
          fc.string({ unit: 'grapheme', maxLength: 20 }),
        ),
        fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2', 'cn-north-1'),
        fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.record(
          {
            accessKeyId: fc.stringMatching(/^AKIA[A-Z0-9]{16}$/),
            secretAccessKey: fc.base64String({ minLength: 40, maxLength: 40 }),
            sessionToken: fc.base64String({ minLength: 20, maxLength: 60 }),
          },
          { requiredKeys: ['accessKeyId', 'secretAccessKey'] },
        ),
        async (key, query, region, date, credentials) => {
          const request = { host: `ci-secrets.s3.${region}.amazonaws.com`, path: `/${encodeKey(key)}`, query, region };
          const ours = signRequest({ ...request, method: 'GET', payloadHash: EMPTY_PAYLOAD_SHA256 }, credentials, date);
          expect(ours).toEqual(await sdkSignature(request, credentials, date));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps the secret key out of every header', () => {
    // Act
    const headers = signRequest(
      { method: 'HEAD', host: 'h', path: '/', query: {}, region: 'us-east-1', payloadHash: EMPTY_PAYLOAD_SHA256 },
      { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'canary-secret-key' },
      new Date('2026-12-06T11:23:01.456Z'),
    );

    // Assess
    expect(JSON.stringify(headers)).not.toContain('canary-secret-key');
    expect(headers['x-amz-date']).toBe('20261206T112301Z');
    expect(amzDate(new Date('2026-01-02T03:04:05.000Z'))).toBe('20260102T030405Z');
  });
});
