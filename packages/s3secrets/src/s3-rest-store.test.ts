import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeConnections } from './http-agents';
import { S3RestSecretStore } from './s3-rest-store';
import { MAX_OBJECT_BYTES } from './secret-store';

type Handler = (request: IncomingMessage, response: ServerResponse, seen: IncomingMessage[]) => void;

let server: Server | undefined;

/** A loopback server that answers with `handler` and records every request it saw. */
async function serve(handler: Handler): Promise<{ endpoint: string; seen: IncomingMessage[] }> {
  const seen: IncomingMessage[] = [];
  server = createServer((request, response) => {
    seen.push(request);
    handler(request, response, seen);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function store(endpoint: string, options: { maxAttempts?: number; signal?: AbortSignal; region?: string } = {}) {
  return new S3RestSecretStore({
    bucket: 'ci-secrets',
    region: options.region ?? 'us-east-1',
    endpoint,
    credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'canary-secret-never-sent' }),
    maxAttempts: options.maxAttempts ?? 4,
    signal: options.signal ?? new AbortController().signal,
    random: () => 0,
  });
}

const errorBody = (code: string) => `<Error><Code>${code}</Code><Message>${code} here</Message></Error>`;

afterEach(async () => {
  vi.useRealTimers();
  closeConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe('Class: S3RestSecretStore', () => {
  it('sends a SigV4-signed GET to the path-style key and returns the body bytes', async () => {
    // Prepare
    const { endpoint, seen } = await serve((_request, response) => response.end(Buffer.from([0xff, 0x00, 0x41])));

    // Act
    const result = await store(endpoint).getObject('web/secret files/A_TOKEN');

    // Assess
    expect(result).toEqual({ status: 'found', body: new Uint8Array([0xff, 0x00, 0x41]) });
    expect(seen[0]?.url).toBe('/ci-secrets/web/secret%20files/A_TOKEN');
    const authorization = seen[0]?.headers.authorization ?? '';
    expect(authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(JSON.stringify(seen[0]?.headers)).not.toContain('canary-secret-never-sent');
  });

  it('answers 404 and 403 as absent without retrying them', async () => {
    // Prepare
    const { endpoint, seen } = await serve((request, response) => {
      const denied = request.url?.includes('denied');
      response
        .writeHead(denied ? 403 : 404)
        .end(request.method === 'HEAD' ? undefined : errorBody(denied ? 'AccessDenied' : 'NoSuchKey'));
    });
    const s3 = store(endpoint);

    // Act
    const results = [await s3.getObject('missing'), await s3.getObject('denied'), await s3.checkBucket()];

    // Assess
    expect(results).toEqual([{ status: 'not-found' }, { status: 'access-denied' }, { status: 'not-found' }]);
    expect(seen).toHaveLength(3);
  });

  it('retries throttling and 5xx with backoff until S3 recovers', async () => {
    // Prepare
    const { endpoint, seen } = await serve((_request, response, requests) => {
      if (requests.length === 1) response.writeHead(503).end(errorBody('SlowDown'));
      else if (requests.length === 2) response.writeHead(500).end(errorBody('InternalError'));
      else response.end('RECOVERED=yes\n');
    });

    // Act
    const result = await store(endpoint).getObject('env');

    // Assess
    expect(result).toEqual({ status: 'found', body: new TextEncoder().encode('RECOVERED=yes\n') });
    expect(seen).toHaveLength(3);
  });

  it('gives up after maxAttempts and says what the last answer was', async () => {
    // Prepare
    const { endpoint, seen } = await serve((_request, response) => response.writeHead(503).end(errorBody('SlowDown')));

    // Act
    const result = await store(endpoint, { maxAttempts: 3 }).getObject('env');

    // Assess
    expect(result).toEqual({ status: 'failed', kind: 'throttled', reason: 'SlowDown (HTTP 503): SlowDown here' });
    expect(seen).toHaveLength(3);
  });

  it('retries a body cut short of its Content-Length', async () => {
    // Prepare
    const { endpoint, seen } = await serve((_request, response, requests) => {
      if (requests.length === 1) {
        response.writeHead(200, { 'content-length': '100' });
        response.write('partial');
        response.socket?.destroy();
      } else {
        response.end('whole');
      }
    });

    // Act
    const result = await store(endpoint).getObject('env');

    // Assess
    expect(result).toEqual({ status: 'found', body: new TextEncoder().encode('whole') });
    expect(seen).toHaveLength(2);
  });

  it('refuses an object whose Content-Length is over the cap, from the headers, naming its size', async () => {
    // Prepare: the body is never finished, so reading it whole would never end.
    let connectionClosed: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => {
      connectionClosed = resolve;
    });
    const { endpoint, seen } = await serve((_request, response) => {
      response.once('close', () => connectionClosed());
      response.writeHead(200, { 'content-length': String(100 * 1024 * 1024) });
      response.write(Buffer.alloc(64 * 1024, 0x41));
    });

    // Act
    const result = await store(endpoint).getObject('env');

    // Assess
    expect(result).toEqual({
      status: 'failed',
      kind: 'too-large',
      reason: `ObjectTooLarge: the object is ${100 * 1024 * 1024} bytes, more than the ${MAX_OBJECT_BYTES} bytes (1 MiB) s3secrets reads; it was not downloaded`,
    });
    expect(seen).toHaveLength(1);
    // The client hung up: the rest of the 100 MiB was never sent.
    await closed;
  });

  it('stops reading a body without Content-Length once it passes the cap', async () => {
    // Prepare: an endless chunked body, written as fast as the client reads it; only the client can end it.
    let written = 0;
    const { endpoint, seen } = await serve((_request, response) => {
      response.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      const pump = () => {
        while (!response.destroyed) {
          written += chunk.byteLength;
          if (!response.write(chunk)) return;
        }
      };
      response.on('drain', pump);
      pump();
    });

    // Act
    const result = await store(endpoint).getObject('env');

    // Assess
    expect(result).toMatchObject({ status: 'failed', kind: 'too-large' });
    expect(seen).toHaveLength(1);
    expect(written).toBeGreaterThan(MAX_OBJECT_BYTES);
  });

  it('reads an object of exactly the cap', async () => {
    // Prepare
    const { endpoint } = await serve((_request, response) => response.end(Buffer.alloc(MAX_OBJECT_BYTES, 0x41)));

    // Act
    const result = await store(endpoint).getObject('env');

    // Assess
    expect(result.status === 'found' && result.body.byteLength).toBe(MAX_OBJECT_BYTES);
  });

  it('follows S3 to the region it names for the bucket and signs for that region', async () => {
    // Prepare
    const { endpoint, seen } = await serve((request, response) => {
      if (request.headers.authorization?.includes('/eu-west-1/')) response.end('from eu-west-1');
      else response.writeHead(301, { 'x-amz-bucket-region': 'eu-west-1' }).end(errorBody('PermanentRedirect'));
    });
    const s3 = store(endpoint, { maxAttempts: 1 });

    // Act
    const result = await s3.getObject('env');

    // Assess
    expect(result).toEqual({ status: 'found', body: new TextEncoder().encode('from eu-west-1') });
    expect(s3.region).toBe('eu-west-1');
    const signingRegions = seen.map(
      (request) => /\/([a-z]+-[a-z]+-\d)\/s3\//.exec(request.headers.authorization ?? '')?.[1],
    );
    expect(signingRegions).toEqual(['us-east-1', 'eu-west-1']);
  });

  it('follows the redirect of every read in flight, each against the region it was signed for', async () => {
    // Prepare: every read is held until all of them have arrived, signed for the wrong region, so the first redirect
    // comes back while the others are still in flight.
    const keys = ['env', 'environment', 'web/env', 'web/environment', 'private_ssh_key', 'git-credentials'];
    const held: (() => void)[] = [];
    const { endpoint, seen } = await serve((request, response) => {
      if (request.headers.authorization?.includes('/eu-west-1/')) {
        response.end(`from eu-west-1: ${request.url}`);
        return;
      }
      held.push(() =>
        response.writeHead(301, { 'x-amz-bucket-region': 'eu-west-1' }).end(errorBody('PermanentRedirect')),
      );
      if (held.length === keys.length) for (const answer of held) answer();
    });
    const s3 = store(endpoint, { maxAttempts: 1 });

    // Act
    const results = await Promise.all(keys.map((key) => s3.getObject(key)));

    // Assess
    expect(results).toEqual(
      keys.map((key) => ({ status: 'found', body: new TextEncoder().encode(`from eu-west-1: /ci-secrets/${key}`) })),
    );
    const signingRegions = seen.map(
      (request) => /\/([a-z]+-[a-z]+-\d)\/s3\//.exec(request.headers.authorization ?? '')?.[1],
    );
    expect(signingRegions).toEqual([...keys.map(() => 'us-east-1'), ...keys.map(() => 'eu-west-1')]);
    expect(s3.region).toBe('eu-west-1');
  });

  it("signs with the server's clock after RequestTimeTooSkewed", async () => {
    // Prepare
    const serverClock = new Date(Date.now() + 3 * 60 * 60 * 1000);
    // S3's own tolerance (15 minutes), not a race with the test's duration: uncorrected, the request is 3 hours off.
    const withinS3Tolerance = (signedAt: string) => {
      const iso = signedAt.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z');
      return Math.abs(Date.parse(iso) - serverClock.getTime()) < 15 * 60 * 1000;
    };
    const { endpoint, seen } = await serve((request, response) => {
      if (withinS3Tolerance(String(request.headers['x-amz-date'] ?? ''))) response.end('in time');
      else response.writeHead(403, { date: serverClock.toUTCString() }).end(errorBody('RequestTimeTooSkewed'));
    });

    // Act
    const result = await store(endpoint, { maxAttempts: 1 }).getObject('env');

    // Assess
    expect(result).toEqual({ status: 'found', body: new TextEncoder().encode('in time') });
    expect(seen).toHaveLength(2);
  });

  it('lists every page of a prefix, folder markers left out', async () => {
    // Prepare
    const page = (keys: string[], next?: string) =>
      `<ListBucketResult>${keys.map((key) => `<Contents><Key>${key}</Key></Contents>`).join('')}` +
      `<IsTruncated>${next ? 'true' : 'false'}</IsTruncated>${next ? `<NextContinuationToken>${next}</NextContinuationToken>` : ''}</ListBucketResult>`;
    const { endpoint, seen } = await serve((request, response) => {
      const query = new URL(request.url ?? '/', 'http://x').searchParams;
      response.end(
        query.get('continuation-token') === 'page+2'
          ? page(['web/secret-files/B_TOKEN'])
          : page(['web/secret-files/', 'web/secret-files/A_SECRET'], 'page+2'),
      );
    });

    // Act
    const result = await store(endpoint).listKeys('web/secret-files/');

    // Assess
    expect(result).toEqual({ status: 'listed', keys: ['web/secret-files/A_SECRET', 'web/secret-files/B_TOKEN'] });
    expect(seen.map((request) => request.url)).toEqual([
      '/ci-secrets?list-type=2&prefix=web%2Fsecret-files%2F',
      '/ci-secrets?continuation-token=page%2B2&list-type=2&prefix=web%2Fsecret-files%2F',
    ]);
  });

  it('reports a listing that is not XML as a failure, not as an empty folder', async () => {
    // Prepare
    const { endpoint } = await serve((_request, response) => response.end('<html>captive portal</html>'));

    // Act
    const result = await store(endpoint).listKeys('web/secret-files/');

    // Assess
    expect(result).toMatchObject({
      status: 'failed',
      kind: 'other',
      reason: expect.stringMatching(/not a ListBucketResult/),
    });
  });

  it('stops waiting between attempts at the deadline and says so', async () => {
    // Prepare: with timers faked and never advanced, the wait before a second attempt can only end by the abort.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { endpoint, seen } = await serve((_request, response) => response.writeHead(503).end(errorBody('SlowDown')));
    const deadline = new AbortController();
    const s3 = new S3RestSecretStore({
      bucket: 'ci-secrets',
      region: 'us-east-1',
      endpoint,
      credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' }),
      maxAttempts: 10,
      signal: deadline.signal,
      random: () => 0.999,
    });

    // Act: the deadline passes once the first answer is in and the backoff timer is the only one pending.
    const reading = s3.getObject('env');
    await vi.waitFor(() => {
      expect(seen).toHaveLength(1);
      expect(vi.getTimerCount()).toBe(1);
    });
    deadline.abort();
    const result = await reading;

    // Assess
    expect(result).toMatchObject({ status: 'failed', kind: 'deadline' });
    expect(seen).toHaveLength(1);
  });

  it('reports a refused connection as a network failure after its retries', async () => {
    // Prepare: a port nobody listens on.
    const { endpoint } = await serve((_request, response) => response.end());
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;

    // Act
    const result = await store(endpoint, { maxAttempts: 2 }).getObject('env');

    // Assess
    expect(result).toMatchObject({ status: 'failed', kind: 'network', reason: expect.stringMatching(/ECONNREFUSED/) });
  });
});
