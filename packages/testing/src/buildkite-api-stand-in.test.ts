import { afterEach, describe, expect, it, vi } from 'vitest';
import { type BuildkiteApiStandIn, startBuildkiteApiStandIn } from './buildkite-api-stand-in';

describe('Function: startBuildkiteApiStandIn', () => {
  let standIn: BuildkiteApiStandIn | undefined;
  afterEach(async () => {
    await standIn?.close();
    standIn = undefined;
  });

  interface MetricsBody {
    organization: { slug: string };
    agents: { idle: number; busy: number; total: number };
    jobs: { scheduled: number; running: number; waiting: number; total: number };
  }
  const metricsOf = async (response: Response) => (await response.json()) as MetricsBody;

  const get = (queue = 'default', token = 'agent-token') =>
    fetch(`${standIn?.endpoint}/metrics/queue?name=${encodeURIComponent(queue)}`, {
      headers: { Authorization: `Token ${token}` },
    });

  it('answers the configured metrics of the named queue and records the request', async () => {
    // Prepare
    standIn = await startBuildkiteApiStandIn({
      token: 'agent-token',
      organizationSlug: 'acme',
      queues: { builders: { scheduled: 4, running: 2, waiting: 1, idle: 3, busy: 2 } },
      pollDurationHeader: '15',
    });

    // Act
    const response = await get('builders');
    const body = await metricsOf(response);

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('buildkite-agent-metrics-poll-duration')).toBe('15');
    expect(body).toMatchObject({
      organization: { slug: 'acme' },
      agents: { idle: 3, busy: 2, total: 5 },
      jobs: { scheduled: 4, running: 2, waiting: 1 },
    });
    expect(standIn.requests).toHaveLength(1);
    expect(standIn.requests[0]).toMatchObject({ path: '/v3/metrics/queue', queue: 'builders', answer: 'metrics' });
    expect(standIn.requests[0]?.headers.authorization).toBe('Token agent-token');
  });

  it('answers zeros for an unknown queue and metrics updated at run time', async () => {
    // Prepare
    standIn = await startBuildkiteApiStandIn();

    // Act
    const before = await metricsOf(await get('other'));
    standIn.setQueueMetrics('other', { scheduled: 9 });
    const after = await metricsOf(await get('other'));

    // Assess
    expect(before.jobs).toEqual({ scheduled: 0, running: 0, waiting: 0, total: 0 });
    expect(after.jobs.scheduled).toBe(9);
  });

  it('rejects a wrong token with 401', async () => {
    // Prepare
    standIn = await startBuildkiteApiStandIn({ token: 'agent-token' });

    // Act
    const response = await get('default', 'wrong');

    // Assess
    expect(response.status).toBe(401);
    expect(standIn.requests[0]?.answer).toBe('unauthorized');
  });

  it.each([
    [{ kind: 'unauthorized' } as const, 401],
    [{ kind: 'forbidden' } as const, 403],
    [{ kind: 'server-error' } as const, 500],
    [{ kind: 'server-error', status: 503 } as const, 503],
    [{ kind: 'html-error-page', status: 502 } as const, 502],
  ])('answers fault %j with HTTP %i', async (fault, status) => {
    // Prepare
    standIn = await startBuildkiteApiStandIn();
    standIn.setFault(fault);

    // Act
    const response = await get();
    await response.text();

    // Assess
    expect(response.status).toBe(status);
  });

  it('sends Retry-After with a 429', async () => {
    // Prepare
    standIn = await startBuildkiteApiStandIn();
    standIn.setFault({ kind: 'rate-limited', retryAfter: '12' });

    // Act
    const response = await get();

    // Assess
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('12');
  });

  it('serves an HTML page with status 200 and a truncated JSON body', async () => {
    // Prepare
    standIn = await startBuildkiteApiStandIn();

    // Act
    standIn.setFault({ kind: 'html-error-page' }, { times: 1 });
    const html = await (await get()).text();
    standIn.setFault({ kind: 'truncated-json' }, { times: 1 });
    const truncated = await (await get()).text();
    const healthy = await get();

    // Assess
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(() => JSON.parse(truncated)).toThrow(SyntaxError);
    expect(healthy.status).toBe(200);
    expect(standIn.requests.map((request) => request.answer)).toEqual(['html-error-page', 'truncated-json', 'metrics']);
  });

  it('delays the answer of a slow fault', async () => {
    // Prepare
    standIn = await startBuildkiteApiStandIn();
    standIn.setFault({ kind: 'slow', delayMs: 150 }, { times: 1 });
    const startedAt = performance.now();

    // Act
    const response = await get();

    // Assess
    expect(response.status).toBe(200);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(140);
  });

  it('closes while a slow answer is pending', async () => {
    // Prepare
    standIn = await startBuildkiteApiStandIn();
    standIn.setFault({ kind: 'slow', delayMs: 60_000 });
    const pending = get().then(
      () => 'answered',
      () => 'failed',
    );

    // Act: close once the request has arrived (an event, not a guess at how long that takes)
    await vi.waitFor(() => expect(standIn?.requests).toHaveLength(1), { timeout: 15_000, interval: 5 });
    await standIn.close();
    standIn = undefined;

    // Assess
    await expect(pending).resolves.toBe('failed');
  });

  it('answers 404 for another path', async () => {
    // Prepare
    standIn = await startBuildkiteApiStandIn();

    // Act
    const response = await fetch(`${standIn.endpoint}/agents`);

    // Assess
    expect(response.status).toBe(404);
    expect(standIn.requests[0]?.answer).toBe('not-found');
  });
});
