import { describe, expect, it } from 'vitest';
import { classifyError, describeOutcome, listAllKeys } from './secret-store';

const awsError = (name: string, httpStatusCode?: number) =>
  Object.assign(new Error(`${name} message`), { name, $metadata: httpStatusCode ? { httpStatusCode } : {} });

describe('Function: classifyError', () => {
  it('treats missing keys and missing permissions as absent, like upstream', () => {
    // Act / Assess
    expect(classifyError(awsError('NoSuchKey', 404))).toEqual({ status: 'not-found' });
    expect(classifyError(awsError('NotFound', 404))).toEqual({ status: 'not-found' });
    expect(classifyError(awsError('AccessDenied', 403))).toEqual({ status: 'access-denied' });
    expect(classifyError(awsError('Forbidden', 403))).toEqual({ status: 'access-denied' });
  });

  it('tells throttling, server errors, network errors and the deadline apart', () => {
    // Act / Assess
    expect(classifyError(awsError('SlowDown', 503))).toMatchObject({ status: 'failed', kind: 'throttled' });
    expect(classifyError(awsError('ThrottlingException', 400))).toMatchObject({ kind: 'throttled' });
    expect(classifyError(awsError('Whatever', 429))).toMatchObject({ kind: 'throttled' });
    expect(classifyError(awsError('InternalError', 500))).toMatchObject({ kind: 'server-error' });
    expect(classifyError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toMatchObject({
      kind: 'network',
    });
    expect(classifyError(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toMatchObject({
      kind: 'deadline',
    });
    expect(classifyError('a string')).toMatchObject({ kind: 'other', reason: 'Error: a string' });
  });

  it('describes an outcome in words that name the HTTP status', () => {
    // Act / Assess
    expect(describeOutcome(classifyError(awsError('SlowDown', 503)))).toBe(
      'throttled: SlowDown (HTTP 503): SlowDown message',
    );
    expect(describeOutcome({ status: 'found', body: new Uint8Array(3) })).toBe('found (3 bytes)');
    expect(describeOutcome({ status: 'listed', keys: ['a'] })).toBe('1 keys');
    expect(describeOutcome({ status: 'available' })).toBe('available');
  });
});

describe('Function: listAllKeys', () => {
  it('follows continuation tokens and leaves folder markers out', async () => {
    // Prepare
    const pages: Record<string, { keys: string[]; nextContinuationToken: string | undefined }> = {
      first: { keys: ['p/', 'p/A_TOKEN'], nextContinuationToken: 'second' },
      second: { keys: ['p/B_SECRET'], nextContinuationToken: undefined },
    };

    // Act
    const result = await listAllKeys(
      async (token) => pages[token ?? 'first'] ?? { keys: [], nextContinuationToken: undefined },
    );

    // Assess
    expect(result).toEqual({ status: 'listed', keys: ['p/A_TOKEN', 'p/B_SECRET'] });
  });

  it('fails a listing still truncated after 20 pages instead of losing the rest', async () => {
    // Prepare
    let calls = 0;

    // Act
    const result = await listAllKeys(async () => {
      calls += 1;
      return { keys: [`k${calls}`], nextContinuationToken: 'again' };
    });

    // Assess
    expect(calls).toBe(20);
    expect(result).toEqual({
      status: 'failed',
      kind: 'too-large',
      reason:
        'more than 20 pages of keys (20 read so far) and S3 says there are more; keep fewer objects under this ' +
        'prefix (only names ending in a secret suffix are used)',
    });
  });

  it('reads a listing that ends on its 20th page', async () => {
    // Prepare
    let calls = 0;

    // Act
    const result = await listAllKeys(async () => {
      calls += 1;
      return { keys: [`k${calls}`], nextContinuationToken: calls < 20 ? 'again' : undefined };
    });

    // Assess
    expect(result).toMatchObject({ status: 'listed', keys: expect.arrayContaining(['k1', 'k20']) });
  });

  it('turns a failed page into the outcome of the whole listing', async () => {
    // Act
    const result = await listAllKeys(async () => {
      throw awsError('AccessDenied', 403);
    });

    // Assess
    expect(result).toEqual({ status: 'access-denied' });
  });
});
