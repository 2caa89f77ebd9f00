import { SignatureV4 } from '@smithy/signature-v4';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalFunctionUrl, type LocalFunctionUrlOptions, startLocalFunctionUrl } from './local-function-url';
import { NodeSha256 } from './node-sha256';

const KEY_ID = 'ASIALOCALFRONT00001';
const SECRET = 'local-front-secret-key';
const TOKEN = 'local-front-session-token';
const USER_ARN = 'arn:aws:sts::210987654321:assumed-role/agents/i-0123456789abcdef0';

let front: LocalFunctionUrl | undefined;
afterEach(async () => {
  await front?.close();
  front = undefined;
});

/** A front whose function records each event and answers what `answer` says. */
async function startFront(
  answer: (event: LambdaFunctionURLEvent) => Promise<LambdaFunctionURLResult> = async () => ({
    statusCode: 201,
    headers: { 'content-type': 'application/json', 'x-answer': 'yes' },
    body: '{"answered":true}',
  }),
  options: Partial<LocalFunctionUrlOptions> = {},
) {
  const events: LambdaFunctionURLEvent[] = [];
  front = await startLocalFunctionUrl({
    handler: async (event) => {
      events.push(event);
      return answer(event);
    },
    callers: { [KEY_ID]: { secretAccessKey: SECRET, sessionToken: TOKEN, userArn: USER_ARN } },
    ...options,
  });
  return { events, url: new URL(front.url) };
}

interface SignOptions {
  body?: string;
  secretAccessKey?: string;
  sessionToken?: string | undefined;
  region?: string;
  service?: string;
  signingDate?: Date;
  contentType?: string;
}

/** Signs a POST to `url` the way the SDK does (what an instance's client sends). */
async function signedPost(
  url: URL,
  options: SignOptions = {},
): Promise<{ headers: Record<string, string>; body: string }> {
  const body = options.body ?? '{"hello":"broker"}';
  const sessionToken = 'sessionToken' in options ? options.sessionToken : TOKEN;
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: KEY_ID,
      secretAccessKey: options.secretAccessKey ?? SECRET,
      ...(sessionToken === undefined ? {} : { sessionToken }),
    },
    region: options.region ?? 'us-east-1',
    service: options.service ?? 'lambda',
    sha256: NodeSha256,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      headers: { host: url.host, 'content-type': options.contentType ?? 'application/json' },
      body,
    },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  const { host: _host, ...headers } = signed.headers;
  return { headers, body };
}

async function post(url: URL, request: { headers: Record<string, string>; body: string }) {
  const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

describe('Function: startLocalFunctionUrl', () => {
  it('invokes the function with the event AWS builds, the caller identity included, and writes its answer', async () => {
    // Arrange
    const { events, url } = await startFront();

    // Act
    const answer = await post(url, await signedPost(url));

    // Assess
    expect(answer).toMatchObject({ status: 201, body: '{"answered":true}' });
    expect(answer.headers.get('x-answer')).toBe('yes');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      version: '2.0',
      rawPath: '/',
      body: '{"hello":"broker"}',
      isBase64Encoded: false,
      headers: { 'content-type': 'application/json' },
      requestContext: {
        http: { method: 'POST', path: '/' },
        authorizer: { iam: { userArn: USER_ARN, accountId: '210987654321', accessKey: KEY_ID } },
      },
    });
  });

  it('base64-encodes a body that is not text, as Lambda does', async () => {
    const { events, url } = await startFront();

    await post(url, await signedPost(url, { contentType: 'application/octet-stream', body: 'raw' }));

    expect(events[0]).toMatchObject({ body: Buffer.from('raw').toString('base64'), isBase64Encoded: true });
  });

  it('answers 403 Forbidden to an unsigned request, without invoking the function', async () => {
    const { events, url } = await startFront();

    const answer = await post(url, { headers: { 'content-type': 'application/json' }, body: '{}' });

    expect(answer).toMatchObject({ status: 403, body: '{"Message":"Forbidden"}' });
    expect(events).toEqual([]);
  });

  it.each<[string, (url: URL) => Promise<{ headers: Record<string, string>; body: string }>]>([
    ['a wrong secret key', (url) => signedPost(url, { secretAccessKey: 'guessed' })],
    ['another region', (url) => signedPost(url, { region: 'eu-west-1' })],
    ['another service', (url) => signedPost(url, { service: 'execute-api' })],
    ['no session token where the caller has one', (url) => signedPost(url, { sessionToken: undefined })],
    ['another session token', (url) => signedPost(url, { sessionToken: 'stolen-elsewhere' })],
    ['a signing date an hour old', (url) => signedPost(url, { signingDate: new Date(Date.now() - 3_600_000) })],
    ['a body changed after signing', async (url) => ({ ...(await signedPost(url)), body: '{"hello":"someone else"}' })],
    [
      'a payload hash header that does not match the body',
      async (url) => {
        const signed = await signedPost(url);
        return { headers: { ...signed.headers, 'x-amz-content-sha256': '0'.repeat(64) }, body: signed.body };
      },
    ],
    [
      'an unknown access key',
      async (url) => {
        const signed = await signedPost(url);
        const authorization = String(signed.headers.authorization).replace(KEY_ID, 'AKIAUNKNOWN00000000');
        return { headers: { ...signed.headers, authorization }, body: signed.body };
      },
    ],
    [
      'a signed header changed after signing',
      async (url) => {
        const signed = await signedPost(url);
        return { headers: { ...signed.headers, 'content-type': 'text/plain' }, body: signed.body };
      },
    ],
  ])('answers 403 to a request signed with %s', async (_, sign) => {
    const { events, url } = await startFront();

    const answer = await post(url, await sign(url));

    expect(answer).toMatchObject({ status: 403, body: '{"Message":"Forbidden"}' });
    expect(events).toEqual([]);
  });

  it('accepts a caller with long-term keys (no session token)', async () => {
    // Arrange
    const events: LambdaFunctionURLEvent[] = [];
    front = await startLocalFunctionUrl({
      handler: async (event) => {
        events.push(event);
        return 'plain';
      },
      callers: new Map([[KEY_ID, { secretAccessKey: SECRET, userArn: 'arn:aws:iam::210987654321:user/alice' }]]),
    });
    const url = new URL(front.url);

    // Act
    const answer = await post(url, await signedPost(url, { sessionToken: undefined }));

    // Assess: a string result is a 200 JSON answer, as Lambda writes it
    expect(answer).toMatchObject({ status: 200, body: 'plain' });
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(events[0]?.requestContext).toMatchObject({
      authorizer: { iam: { userArn: 'arn:aws:iam::210987654321:user/alice' } },
    });
  });

  it('answers 502 like Lambda when the function throws', async () => {
    const { url } = await startFront(async () => {
      throw new Error('function crashed');
    });

    const answer = await post(url, await signedPost(url));

    expect(answer).toMatchObject({ status: 502, body: '{"Message":"Internal Server Error"}' });
  });

  it('judges freshness by the clock it is given', async () => {
    // Arrange: the front's clock is a day ahead of the signer's
    const { events, url } = await startFront(undefined, { now: () => Date.now() + 86_400_000 });

    // Act
    const answer = await post(url, await signedPost(url));

    // Assess
    expect(answer.status).toBe(403);
    expect(events).toEqual([]);
  });
});
