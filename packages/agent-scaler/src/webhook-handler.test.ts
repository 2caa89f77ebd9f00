import { type AgentMetricsClient, webhookSignatureHeader } from '@elastic-ci/buildkite-api';
import { FakeClock, lambdaContext } from '@elastic-ci/testing';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { parseAgentScalerConfig } from './config';
import { createScalerRuntime } from './runtime';
import {
  captureOutput,
  FakeAutoScaling,
  FakeInstanceDetails,
  FakeParameterStore,
  FakeScalingLease,
  jsonRecords,
} from './testing-fakes';
import { createWebhookHandler, targetsQueue } from './webhook-handler';

const AGENT_TOKEN = 'canary-agent-token-77aa';
const WEBHOOK_SECRET = 'canary-webhook-secret-55bb';
const NOW_MS = Date.UTC(2026, 10, 23, 12, 0, 0);
const JOB_BODY = JSON.stringify({ event: 'job.scheduled', job: { agent_query_rules: ['queue=default'] } });

function setup(options: { environment?: Record<string, string>; lease?: FakeScalingLease } = {}) {
  const clock = new FakeClock(NOW_MS);
  const parameterStore = new FakeParameterStore();
  parameterStore.values.set('/bk/agent-token', AGENT_TOKEN);
  parameterStore.values.set('/bk/webhook', WEBHOOK_SECRET);
  const group = new FakeAutoScaling('agents', { desired: 0 });
  const metricsRequests: string[] = [];
  const metricsClient: AgentMetricsClient = {
    async getQueueMetrics(_token, queue) {
      metricsRequests.push(queue);
      return {
        organizationSlug: 'acme',
        queue,
        agents: { idle: 0, busy: 0, total: 0 },
        jobs: { scheduled: 2, running: 0, waiting: 0 },
        pollDurationMs: undefined,
        warnings: [],
        durationMs: 1,
      };
    },
  };
  const config = parseAgentScalerConfig(
    {
      BUILDKITE_QUEUE: 'default',
      ASG_NAME: 'agents',
      AGENTS_PER_INSTANCE: '1',
      BUILDKITE_AGENT_TOKEN_SSM_KEY: '/bk/agent-token',
      WEBHOOK_SECRET_SSM_KEY: '/bk/webhook',
      ...options.environment,
    },
    { requireWebhook: true },
  );
  const runtime = createScalerRuntime(config, {
    clock,
    autoScaling: group,
    instanceDetails: new FakeInstanceDetails(new Map()),
    parameterStore,
    metricsClient,
    ...(options.lease ? { lease: options.lease } : {}),
  });
  return { handler: createWebhookHandler(runtime), group, metricsRequests, parameterStore, clock };
}

function event(headers: Record<string, string>, body = JOB_BODY, extra: Partial<LambdaFunctionURLEvent> = {}) {
  return {
    version: '2.0',
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'x-buildkite-event': 'job.scheduled', ...headers },
    body,
    isBase64Encoded: false,
    requestContext: { http: { method: 'POST' } },
    ...extra,
  } as LambdaFunctionURLEvent;
}

const signed = (body = JOB_BODY, secret = WEBHOOK_SECRET, timestampSec = NOW_MS / 1000) => ({
  'x-buildkite-signature': webhookSignatureHeader(secret, timestampSec, body),
});

describe('Function: createWebhookHandler', () => {
  it('runs one scaling pass for a signed job.scheduled', async () => {
    // Prepare
    const { handler, group } = setup();

    // Act
    const { result } = await captureOutput(() => handler(event(signed())));

    // Assess
    expect(result).toMatchObject({ statusCode: 200 });
    expect(JSON.parse(String(typeof result === 'object' ? result.body : ''))).toMatchObject({
      status: 'applied',
      action: 'scale-out',
      desired: 2,
    });
    expect(group.desired).toBe(2);
  });

  it.each([
    ['no credentials', {}],
    ['a wrong token', { 'x-buildkite-token': 'guess' }],
    ['a signature made with another secret', signed(JOB_BODY, 'other-secret')],
    ['a replayed signature', signed(JOB_BODY, WEBHOOK_SECRET, NOW_MS / 1000 - 3_600)],
    ['a malformed signature header', { 'x-buildkite-signature': 'timestamp=1' }],
  ])('answers 401 with no side effects for %s', async (_label, headers) => {
    // Prepare
    const { handler, group, metricsRequests, parameterStore } = setup();

    // Act
    const { result, lines } = await captureOutput(() => handler(event(headers)));

    // Assess
    expect(result).toMatchObject({ statusCode: 401 });
    expect(group.calls).toEqual([]);
    expect(metricsRequests).toEqual([]);
    expect(parameterStore.reads.every((name) => name === '/bk/webhook')).toBe(true);
    expect(parameterStore.writes).toEqual([]);
    expect(lines.join('\n')).not.toContain(WEBHOOK_SECRET);
  });

  it('rejects a signed body that was tampered with', async () => {
    // Prepare
    const { handler, group } = setup();
    const headers = signed();

    // Act
    const { result } = await captureOutput(() => handler(event(headers, JOB_BODY.replace('default', 'default '))));

    // Assess
    expect(result).toMatchObject({ statusCode: 401 });
    expect(group.calls).toEqual([]);
  });

  it('accepts the plain token header as a fallback and a base64-encoded body', async () => {
    // Prepare
    const { handler, group } = setup();

    // Act
    const { result } = await captureOutput(() =>
      handler(
        event({ 'x-buildkite-token': WEBHOOK_SECRET }, Buffer.from(JOB_BODY).toString('base64'), {
          isBase64Encoded: true,
        }),
      ),
    );

    // Assess
    expect(result).toMatchObject({ statusCode: 200 });
    expect(group.desired).toBe(2);
  });

  it('picks up a rotated webhook secret after one failed verification', async () => {
    // Prepare
    const { handler, parameterStore, group } = setup();
    await captureOutput(() => handler(event(signed())));
    parameterStore.values.set('/bk/webhook', `${WEBHOOK_SECRET}-new`);

    // Act
    const { result } = await captureOutput(() => handler(event(signed(JOB_BODY, `${WEBHOOK_SECRET}-new`))));

    // Assess
    expect(result).toMatchObject({ statusCode: 200 });
    expect(group.calls.filter((call) => call === 'describeGroup')).toHaveLength(2);
  });

  it('ignores verified events other than job.scheduled, and jobs for another queue', async () => {
    // Prepare
    const { handler, group } = setup();
    const otherQueue = JSON.stringify({ job: { agent_query_rules: ['queue=gpu'] } });

    // Act
    const { result: ping } = await captureOutput(() => handler(event({ ...signed(), 'x-buildkite-event': 'ping' })));
    const { result: elsewhere } = await captureOutput(() => handler(event(signed(otherQueue), otherQueue)));

    // Assess
    expect(ping).toMatchObject({ statusCode: 200, body: expect.stringContaining('ignored') });
    expect(elsewhere).toMatchObject({ statusCode: 200, body: expect.stringContaining('other queue') });
    expect(group.calls).toEqual([]);
  });

  it('answers 405 to anything but POST', async () => {
    // Prepare
    const { handler, group } = setup();

    // Act
    const result = await handler(event(signed(), JOB_BODY, { requestContext: { http: { method: 'GET' } } } as never));

    // Assess
    expect(result).toMatchObject({ statusCode: 405 });
    expect(group.calls).toEqual([]);
  });

  it('answers 405 to a GET through API Gateway REST (v1), whose method is httpMethod', async () => {
    // Prepare
    const { handler, group } = setup();
    const restEvent = {
      resource: '/',
      path: '/',
      httpMethod: 'GET',
      headers: { 'x-buildkite-event': 'job.scheduled', ...signed() },
      multiValueHeaders: {},
      body: JOB_BODY,
      isBase64Encoded: false,
      requestContext: { httpMethod: 'GET', path: '/' },
    };

    // Act
    const { result } = await captureOutput(() => handler(restEvent as never));

    // Assess
    expect(result).toMatchObject({ statusCode: 405 });
    expect(group.calls).toEqual([]);
  });

  it('runs a pass for a POST through API Gateway REST (v1) with null headers fields it does not use', async () => {
    // Prepare
    const { handler, group } = setup();
    const restEvent = {
      resource: '/',
      path: '/',
      httpMethod: 'POST',
      headers: { 'X-Buildkite-Event': 'job.scheduled', 'X-Buildkite-Signature': signed()['x-buildkite-signature'] },
      multiValueHeaders: null,
      queryStringParameters: null,
      body: JOB_BODY,
      isBase64Encoded: false,
      requestContext: { httpMethod: 'POST', path: '/' },
    };

    // Act
    const { result } = await captureOutput(() => handler(restEvent as never));

    // Assess
    expect(result).toMatchObject({ statusCode: 200 });
    expect(group.desired).toBe(2);
  });

  it('verifies a base64-encoded body over its bytes, also when they are not UTF-8', async () => {
    // Prepare: a JSON body with one Latin-1 byte (0xE9) in a string, signed over the bytes as sent
    const { handler, group } = setup();
    const bytes = Buffer.concat([
      Buffer.from('{"job":{"agent_query_rules":["queue=default"],"label":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}}'),
    ]);
    const timestampSec = NOW_MS / 1000;
    const headers = { 'x-buildkite-signature': webhookSignatureHeader(WEBHOOK_SECRET, timestampSec, bytes) };

    // Act
    const { result } = await captureOutput(() =>
      handler(event(headers, bytes.toString('base64'), { isBase64Encoded: true })),
    );

    // Assess
    expect(result).toMatchObject({ statusCode: 200 });
    expect(group.desired).toBe(2);
  });

  it('answers 401, not 503, to a bad signature when re-reading the secret after it fails', async () => {
    // Prepare: the secret was read once; then SSM fails
    const { handler, parameterStore, group } = setup();
    await captureOutput(() => handler(event(signed())));
    parameterStore.values.delete('/bk/webhook');
    group.calls.length = 0;

    // Act
    const { result, lines } = await captureOutput(() => handler(event(signed(JOB_BODY, 'a-guessed-secret'))));

    // Assess
    expect(result).toMatchObject({ statusCode: 401 });
    expect(group.calls).toEqual([]);
    expect(lines.join('\n')).toMatch(/could not be read/);
  });

  it('answers 503 when the webhook secret cannot be read', async () => {
    // Prepare
    const { handler, parameterStore, group } = setup();
    parameterStore.values.delete('/bk/webhook');

    // Act
    const { result } = await captureOutput(() => handler(event(signed())));

    // Assess
    expect(result).toMatchObject({ statusCode: 503 });
    expect(group.calls).toEqual([]);
  });
});

describe('Function: createWebhookHandler with a scaling lease', () => {
  it('ends without acting, and says why, when another container keeps the lease past the wait', async () => {
    // Prepare
    const lease = new FakeScalingLease();
    lease.leases.set('agents', { owner: 'scheduled-container#1', expiresAtMs: NOW_MS + 60_000 });
    const { handler, group, metricsRequests, clock } = setup({
      environment: { SCALER_LOCK_TABLE: 'agent-scaler-locks', SCALER_LOCK_WAIT: '2s' },
      lease,
    });

    // Act
    const { result, lines } = await captureOutput(async () => {
      const handling = handler(event(signed()), lambdaContext({ timeoutMs: 30_000, clock }));
      await clock.advance(5_000);
      return handling;
    });

    // Assess: tries at 0, 250, 750 and 1750 ms; the next pause would end after the 2 s wait.
    expect(result).toMatchObject({ statusCode: 200 });
    expect(JSON.parse(String(typeof result === 'object' ? result.body : ''))).toMatchObject({
      status: 'skipped',
      reason: 'lease-held',
      attempts: 4,
      waitedMs: 1_750,
    });
    expect(group.calls).toEqual([]);
    expect(metricsRequests).toEqual([]);
    expect(jsonRecords(lines)).toContainEqual(
      expect.objectContaining({ message: expect.stringContaining('held by another pass'), trigger: 'webhook' }),
    );
  });

  it('scales once the other container releases the lease within the wait', async () => {
    // Prepare
    const lease = new FakeScalingLease();
    lease.leases.set('agents', { owner: 'scheduled-container#1', expiresAtMs: NOW_MS + 60_000 });
    const { handler, group, clock } = setup({ environment: { SCALER_LOCK_TABLE: 'agent-scaler-locks' }, lease });

    // Act
    const { result } = await captureOutput(async () => {
      const handling = handler(event(signed()), lambdaContext({ timeoutMs: 30_000, clock }));
      await clock.advance(1_000);
      await lease.release('agents', 'scheduled-container#1');
      await clock.advance(2_000);
      return handling;
    });

    // Assess
    expect(JSON.parse(String(typeof result === 'object' ? result.body : ''))).toMatchObject({
      status: 'applied',
      desired: 2,
    });
    expect(group.desired).toBe(2);
    expect(lease.leases.size).toBe(0);
  });
});

describe('Function: targetsQueue', () => {
  it.each([
    ['{"job":{"agent_query_rules":["queue=default"]}}', 'default', true],
    ['{"job":{"agent_query_rules":["os=linux"]}}', 'default', true],
    ['{"job":{"agent_query_rules":["queue=gpu"]}}', 'default', false],
    ['{"job":{"agent_query_rules":["queue=gpu"]}}', 'gpu', true],
    ['{"job":{}}', 'gpu', false],
    ['not json', 'gpu', true],
    ['{"job":{"agent_query_rules":"queue=gpu"}}', 'default', true],
  ])('reads %s for queue %s as %s', (body, queue, expected) => {
    expect(targetsQueue(body, queue)).toBe(expected);
  });
});
