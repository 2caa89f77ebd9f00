import { type BuildkiteApiStandIn, startBuildkiteApiStandIn } from '@elastic-ci/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import {
  createAgentMetricsClient,
  DEFAULT_USER_AGENT,
  MAX_REQUEST_TIMEOUT_MS,
  MAX_RESPONSE_BYTES,
  parseRetryAfter,
  queueMetricsUrl,
} from './agent-metrics-client';
import {
  BuildkiteApiError,
  InvalidTokenError,
  MalformedResponseError,
  NetworkError,
  RateLimitedError,
  RequestTimeoutError,
  ServerError,
  TokenRejectedError,
  UnexpectedStatusError,
} from './errors';

const TOKEN = 'canary-agent-token-5d1f0c';

describe('Function: queueMetricsUrl', () => {
  it('appends /metrics/queue and the form-encoded queue name', () => {
    // Act
    const url = queueMetricsUrl('https://agent.buildkite.com/v3', 'my queue&x');

    // Assess
    expect(url.href).toBe('https://agent.buildkite.com/v3/metrics/queue?name=my+queue%26x');
  });

  it('does not double the slash when the endpoint ends with one', () => {
    // Act
    const url = queueMetricsUrl('https://agent.buildkite.com/v3/', 'default');

    // Assess
    expect(url.pathname).toBe('/v3/metrics/queue');
  });
});

describe('Function: parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('30', 0)).toBe(30_000);
  });

  it('reads an HTTP-date relative to now', () => {
    // Prepare
    const nowMs = Date.UTC(2026, 10, 23, 12, 0, 0);

    // Act
    const delay = parseRetryAfter('Mon, 23 Nov 2026 12:00:45 GMT', nowMs);

    // Assess
    expect(delay).toBe(45_000);
  });

  it.each([null, '', 'soon', '-5', '1.5'])('ignores %j', (value) => {
    expect(parseRetryAfter(value, 0)).toBeUndefined();
  });
});

describe('Function: createAgentMetricsClient', () => {
  let standIn: BuildkiteApiStandIn;
  beforeEach(async () => {
    standIn = await startBuildkiteApiStandIn({
      token: TOKEN,
      organizationSlug: 'acme',
      queues: { default: { scheduled: 5, running: 2, waiting: 1, idle: 1, busy: 2 } },
    });
  });
  afterEach(async () => {
    await standIn.close();
  });

  // The longest timeout the client allows (5 s): a loopback answer needs milliseconds, so even a machine loaded for
  // seconds does not make a test that expects an answer lose to the timer.
  const client = (timeoutMs = MAX_REQUEST_TIMEOUT_MS) =>
    createAgentMetricsClient({ endpoint: standIn.endpoint, timeoutMs });

  it('returns validated metrics and sends the token and a versioned User-Agent', async () => {
    // Act
    const result = await client().getQueueMetrics(TOKEN, 'default');

    // Assess
    expect(result).toMatchObject({
      organizationSlug: 'acme',
      queue: 'default',
      agents: { idle: 1, busy: 2, total: 3 },
      jobs: { scheduled: 5, running: 2, waiting: 1 },
      pollDurationMs: undefined,
      warnings: [],
    });
    const request = standIn.requests[0];
    expect(request?.headers.authorization).toBe(`Token ${TOKEN}`);
    expect(request?.headers['user-agent']).toBe(`elastic-ci-buildkite-api/${packageJson.version}`);
    expect(DEFAULT_USER_AGENT).toMatch(/\/\d+\.\d+\.\d+/);
  });

  it('honours the poll-duration header', async () => {
    // Prepare
    standIn.setPollDurationHeader('25');

    // Act
    const result = await client().getQueueMetrics(TOKEN, 'default');

    // Assess
    expect(result.pollDurationMs).toBe(25_000);
  });

  it('ignores an unparsable poll-duration header with a warning', async () => {
    // Prepare
    standIn.setPollDurationHeader('10s');

    // Act
    const result = await client().getQueueMetrics(TOKEN, 'default');

    // Assess
    expect(result.pollDurationMs).toBeUndefined();
    expect(result.warnings[0]).toMatch(/Buildkite-Agent-Metrics-Poll-Duration/);
  });

  it.each([
    ['unauthorized', TokenRejectedError, false],
    ['forbidden', TokenRejectedError, false],
    ['server-error', ServerError, true],
  ] as const)('throws a typed error for fault %s', async (kind, errorClass, retryable) => {
    // Prepare
    standIn.setFault({ kind });

    // Act
    const failure = client().getQueueMetrics(TOKEN, 'default');

    // Assess
    await expect(failure).rejects.toBeInstanceOf(errorClass);
    await expect(failure).rejects.toMatchObject({ retryable });
  });

  it('reports 429 with the Retry-After delay', async () => {
    // Prepare
    standIn.setFault({ kind: 'rate-limited', retryAfter: '9' });

    // Act
    const failure = client().getQueueMetrics(TOKEN, 'default');

    // Assess
    await expect(failure).rejects.toBeInstanceOf(RateLimitedError);
    await expect(failure).rejects.toMatchObject({
      retryAfterMs: 9_000,
      message: expect.stringMatching(/retry after 9 s/),
    });
  });

  it('throws ServerError for an HTML 502 page', async () => {
    // Prepare
    standIn.setFault({ kind: 'html-error-page', status: 502 });

    // Act / Assess
    await expect(client().getQueueMetrics(TOKEN, 'default')).rejects.toMatchObject({
      name: 'ServerError',
      status: 502,
    });
  });

  it('throws MalformedResponseError for an HTML page served with 200', async () => {
    // Prepare
    standIn.setFault({ kind: 'html-error-page' });

    // Act / Assess
    await expect(client().getQueueMetrics(TOKEN, 'default')).rejects.toMatchObject({
      name: 'MalformedResponseError',
      problems: ['got HTML, not JSON'],
    });
  });

  it('throws MalformedResponseError for truncated JSON', async () => {
    // Prepare
    standIn.setFault({ kind: 'truncated-json' });

    // Act / Assess
    await expect(client().getQueueMetrics(TOKEN, 'default')).rejects.toBeInstanceOf(MalformedResponseError);
  });

  it('throws RequestTimeoutError when the answer is slower than the timeout', async () => {
    // Prepare
    // The answer is held far past the client's timeout (the stand-in drops it on close), so only the timeout can end
    // the request, however slow the machine.
    standIn.setFault({ kind: 'slow', delayMs: 600_000 });

    // Act / Assess
    await expect(client(100).getQueueMetrics(TOKEN, 'default')).rejects.toMatchObject({
      name: 'RequestTimeoutError',
      timeoutMs: 100,
      retryable: true,
    });
  });

  it('throws UnexpectedStatusError for a wrong endpoint path', async () => {
    // Prepare
    const wrongPath = createAgentMetricsClient({ endpoint: `${standIn.endpoint}/nope` });

    // Act / Assess
    await expect(wrongPath.getQueueMetrics(TOKEN, 'default')).rejects.toBeInstanceOf(UnexpectedStatusError);
  });

  it('never puts the token in any error message', async () => {
    // Prepare
    const faults = ['unauthorized', 'server-error', 'html-error-page', 'truncated-json'] as const;
    const messages: string[] = [];

    // Act
    for (const kind of faults) {
      standIn.setFault({ kind });
      const error = await client()
        .getQueueMetrics(TOKEN, 'default')
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BuildkiteApiError);
      messages.push(String(error), JSON.stringify(error), (error as Error).stack ?? '');
    }

    // Assess
    expect(messages.join('\n')).not.toContain(TOKEN);
  });
});

describe('Function: createAgentMetricsClient with a redirecting server', () => {
  it('does not follow a redirect, so the token never reaches another host', async () => {
    // Prepare
    const { createServer } = await import('node:http');
    const seenByTarget: (string | undefined)[] = [];
    const target = createServer((request, response) => {
      seenByTarget.push(request.headers.authorization);
      response.end('{}');
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const targetPort = (target.address() as { port: number }).port;
    const redirector = createServer((_request, response) => {
      response.writeHead(302, { Location: `http://127.0.0.1:${targetPort}/steal` });
      response.end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(redirector.address() as { port: number }).port}/v3`;

    try {
      // Act
      const error = await createAgentMetricsClient({ endpoint })
        .getQueueMetrics(TOKEN, 'default')
        .catch((caught: unknown) => caught);

      // Assess
      expect(error).toBeInstanceOf(NetworkError);
      expect(seenByTarget).toEqual([]);
    } finally {
      redirector.closeAllConnections();
      target.closeAllConnections();
      await new Promise((resolve) => redirector.close(resolve));
      await new Promise((resolve) => target.close(resolve));
    }
  });
});

describe('Function: createAgentMetricsClient without a server', () => {
  it('throws NetworkError when the connection is refused', async () => {
    // Prepare
    const standIn = await startBuildkiteApiStandIn();
    const endpoint = standIn.endpoint;
    await standIn.close();

    // Act / Assess
    await expect(createAgentMetricsClient({ endpoint }).getQueueMetrics(TOKEN, 'default')).rejects.toBeInstanceOf(
      NetworkError,
    );
  });

  it.each([
    ['a second line', `${TOKEN}\nsecond-line`],
    ['a carriage return', `${TOKEN}\rx`],
    ['a NUL', `${TOKEN}\0x`],
    ['a character beyond Latin-1', `${TOKEN}\u2019`],
  ])('refuses a token with %s without sending it or naming it', async (_what, token) => {
    // Prepare
    const sent: unknown[] = [];
    const recordingFetch: typeof fetch = async (url, init) => {
      sent.push(url);
      return globalThis.fetch(url, init);
    };
    const client = createAgentMetricsClient({ endpoint: 'http://127.0.0.1:9/v3', fetch: recordingFetch });

    // Act
    const error = await client.getQueueMetrics(token, 'default').catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect(error).toMatchObject({ retryable: false });
    expect(sent).toEqual([]);
    const everything = [
      String(error),
      JSON.stringify(error),
      (error as Error).stack ?? '',
      String((error as Error).cause),
    ];
    expect(everything.join('\n')).not.toContain(TOKEN);
  });

  it('rejects a body that lacks a count instead of reading it as zero', async () => {
    // Prepare
    const fetchMissingWaiting: typeof fetch = async () =>
      new Response(JSON.stringify({ organization: { slug: 'a' }, agents: { idle: 0, busy: 0, total: 0 }, jobs: {} }));
    const client = createAgentMetricsClient({ fetch: fetchMissingWaiting });

    // Act
    const error = await client.getQueueMetrics(TOKEN, 'default').catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect((error as MalformedResponseError).problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^jobs\.scheduled/), expect.stringMatching(/^jobs\.waiting/)]),
    );
  });

  it('stops reading a body larger than MAX_RESPONSE_BYTES instead of buffering it whole', async () => {
    // Prepare: 8 MiB of spaces in 64 KiB chunks, produced only as they are read
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    let chunksRead = 0;
    let cancelled = false;
    const hugeBody: typeof fetch = async () =>
      new Response(
        new ReadableStream({
          pull(controller) {
            chunksRead++;
            if (chunksRead > 128) controller.close();
            else controller.enqueue(chunk);
          },
          cancel() {
            cancelled = true;
          },
        }),
      );
    const client = createAgentMetricsClient({ fetch: hugeBody });

    // Act
    const error = await client.getQueueMetrics(TOKEN, 'default').catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect((error as MalformedResponseError).problems).toEqual([`body is larger than ${MAX_RESPONSE_BYTES} bytes`]);
    expect(cancelled).toBe(true);
    expect(chunksRead).toBeLessThan(32);
  });

  it('reads an empty 200 body as malformed, not as zero jobs', async () => {
    // Prepare
    const client = createAgentMetricsClient({ fetch: async () => new Response(null) });

    // Act
    const error = await client.getQueueMetrics(TOKEN, 'default').catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect((error as MalformedResponseError).problems).toEqual(['not valid JSON (0 bytes)']);
  });

  it('treats an abort raised while reading the body as a timeout', async () => {
    // Prepare
    const stalledBody: typeof fetch = async (_url, init) =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('{"organization":'));
            init?.signal?.addEventListener('abort', () => controller.error(init.signal?.reason));
          },
        }),
      );
    const client = createAgentMetricsClient({ fetch: stalledBody, timeoutMs: 50 });

    // Act / Assess
    await expect(client.getQueueMetrics(TOKEN, 'default')).rejects.toBeInstanceOf(RequestTimeoutError);
  });

  it.each([0, -1, MAX_REQUEST_TIMEOUT_MS + 1, Number.NaN])('refuses timeoutMs %d', (timeoutMs) => {
    expect(() => createAgentMetricsClient({ timeoutMs })).toThrow(RangeError);
  });
});
