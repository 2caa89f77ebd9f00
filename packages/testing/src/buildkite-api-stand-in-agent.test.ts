import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
// The verifier the agent-scaler webhook handler uses, read from source: @elastic-ci/buildkite-api depends on this
// package, so it cannot be a dependency here.
import { verifyWebhook } from '../../buildkite-api/src/webhook-verification';
import { type BuildkiteApiStandIn, startBuildkiteApiStandIn } from './buildkite-api-stand-in';
import { signBuildkiteWebhook } from './webhook-signing';

describe('Function: startBuildkiteApiStandIn (agent API over HTTP)', () => {
  let standIn: BuildkiteApiStandIn | undefined;
  afterEach(async () => {
    await standIn?.close();
    standIn = undefined;
  });

  const request = async (method: string, path: string, token: string, body?: string | Buffer, gzip = false) => {
    const response = await fetch(`${standIn?.endpoint}${path}`, {
      method,
      headers: {
        Authorization: `Token ${token}`,
        ...(gzip
          ? { 'Content-Encoding': 'gzip', 'Content-Type': 'text/plain' }
          : { 'Content-Type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('runs a job for an agent that registers with the registration token, with a gzipped log, and reports metrics from state', async () => {
    // Prepare
    let nowMs = 5_000;
    standIn = await startBuildkiteApiStandIn({ registrationToken: 'reg-token', now: () => nowMs });
    standIn.addJob({ id: 'job-1', queue: 'builders', durationSec: 60 });
    standIn.addJob({ id: 'job-2', queue: 'builders', dependsOn: ['job-1'] });

    // Act
    const registered = await request(
      'POST',
      '/register',
      'reg-token',
      JSON.stringify({ meta_data: ['queue=builders'] }),
    );
    const access = String(registered.body.access_token);
    await request('POST', '/connect', access);
    const ping = await request('GET', '/ping', access);
    const job = ping.body.job as { id: string; token: string };
    await request('PUT', `/jobs/${job.id}/accept`, access);
    await request('PUT', `/jobs/${job.id}/start`, job.token, '{}');
    const chunk = await request(
      'POST',
      `/jobs/${job.id}/chunks?sequence=1&offset=0&size=3`,
      job.token,
      gzipSync('ok\n'),
      true,
    );
    const metricsWhileRunning = await (await fetch(`${standIn.endpoint}/metrics/queue?name=builders`)).json();
    nowMs = 65_000;
    await request('PUT', `/jobs/${job.id}/finish`, job.token, JSON.stringify({ exit_status: '0' }));

    // Assess
    expect(registered.status).toBe(200);
    expect(registered.body).toMatchObject({ ping_interval: 1, meta_data: ['queue=builders'] });
    expect(chunk.status).toBe(201);
    expect(metricsWhileRunning).toMatchObject({
      jobs: { scheduled: 0, running: 1, waiting: 1 },
      agents: { idle: 0, busy: 1, total: 1 },
    });
    expect(standIn.jobs()).toMatchObject([
      { id: 'job-1', state: 'finished', exitStatus: 0, interrupted: false, log: 'ok\n', finishedAt: 65_000 },
      { id: 'job-2', state: 'scheduled' },
    ]);
    expect(standIn.requests.filter((entry) => entry.answer === 'agent-api')).toHaveLength(7);
  });

  it('fails agent routes only when the fault is scoped to them, leaving metrics alone', async () => {
    // Prepare
    standIn = await startBuildkiteApiStandIn();
    const registered = await request('POST', '/register', 'any', '{}');
    const access = String(registered.body.access_token);

    // Act
    standIn.setFault({ kind: 'server-error', status: 503 }, { scope: 'agent', times: 1 });
    const metrics = await fetch(`${standIn.endpoint}/metrics/queue?name=default`);
    const failedPing = await fetch(`${standIn.endpoint}/ping`, { headers: { Authorization: `Token ${access}` } });
    const nextConnect = await request('POST', '/connect', access);

    // Assess
    expect(metrics.status).toBe(200);
    expect(failedPing.status).toBe(503);
    expect(nextConnect.status).toBe(200);
  });

  it('keeps the configured metrics of a queue over the ones from state (setQueueMetrics overrides)', async () => {
    // Prepare
    standIn = await startBuildkiteApiStandIn({ queues: { default: { scheduled: 9 } } });
    standIn.addJob({ id: 'job-1', queue: 'default' });

    // Act
    const body = await (await fetch(`${standIn.endpoint}/metrics/queue?name=default`)).json();

    // Assess
    expect(body).toMatchObject({ jobs: { scheduled: 9 } });
  });
});

describe('Function: signBuildkiteWebhook', () => {
  it('produces headers the webhook verifier accepts, and that it rejects with another secret or body', () => {
    // Prepare
    const body = JSON.stringify({ event: 'job.scheduled', job: { id: 'job-1' } });
    const headers = signBuildkiteWebhook({ body, secret: 'canary-webhook-secret', timestamp: 1_800_000_000 });
    const lowerCased = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));

    // Act
    const accepted = verifyWebhook({
      headers: lowerCased,
      body,
      secret: 'canary-webhook-secret',
      nowMs: 1_800_000_010_000,
    });
    const wrongSecret = verifyWebhook({ headers: lowerCased, body, secret: 'other', nowMs: 1_800_000_010_000 });
    const tampered = verifyWebhook({
      headers: lowerCased,
      body: `${body} `,
      secret: 'canary-webhook-secret',
      nowMs: 1_800_000_010_000,
    });

    // Assess
    expect(accepted.verified).toBe(true);
    expect(wrongSecret.verified).toBe(false);
    expect(tampered.verified).toBe(false);
    expect(headers['X-Buildkite-Event']).toBe('job.scheduled');
    expect(JSON.stringify(headers)).not.toContain('canary-webhook-secret');
    expect(() => signBuildkiteWebhook({ body, secret: 's', timestamp: 1.5 })).toThrow(/whole Unix seconds/);
  });
});
