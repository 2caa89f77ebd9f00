import { describe, expect, it } from 'vitest';
import { createWebhookForwarder, jobScheduledWebhookBody } from './job-scheduled-webhook';

describe('jobScheduledWebhookBody', () => {
  it('names the queue as an agent query rule, as Buildkite does', () => {
    const body = JSON.parse(jobScheduledWebhookBody({ id: 'j1', queue: 'builders' }));
    expect(body.event).toBe('job.scheduled');
    expect(body.job.id).toBe('j1');
    expect(body.job.agent_query_rules).toEqual(['queue=builders']);
  });
});

describe('createWebhookForwarder', () => {
  it('signs with the real clock and delivers one webhook per scheduled job of its queue, after the latency', async () => {
    // Arrange
    const delays: number[] = [];
    const signed: { secret: string; timestamp: number }[] = [];
    const delivered: { body: string; headers: Record<string, string> }[] = [];
    const forwarder = createWebhookForwarder({
      queue: 'default',
      secret: 'canary-webhook-secret',
      sign: ({ secret, timestamp }) => {
        signed.push({ secret, timestamp });
        return { 'X-Buildkite-Event': 'job.scheduled', 'X-Buildkite-Signature': `timestamp=${timestamp},signature=x` };
      },
      deliver: async (request) => {
        delivered.push(request);
        return { statusCode: delivered.length === 2 ? 503 : 200 };
      },
      nowEpochSec: () => 1_790_000_000.7,
      latencyMs: 40,
      delay: async (ms) => {
        delays.push(ms);
      },
    });

    // Act
    forwarder.jobScheduled({ id: 'a', queue: 'default' });
    forwarder.jobScheduled({ id: 'other', queue: 'elsewhere' });
    forwarder.jobScheduled({ id: 'b', queue: 'default' });
    await forwarder.settled();

    // Assess
    expect(delivered.map((request) => JSON.parse(request.body).job.id)).toEqual(['a', 'b']);
    expect(signed).toEqual([
      { secret: 'canary-webhook-secret', timestamp: 1_790_000_000 },
      { secret: 'canary-webhook-secret', timestamp: 1_790_000_000 },
    ]);
    expect(delays).toEqual([40, 40]);
    expect(forwarder.tally).toEqual({ sent: 2, failed: 1, lastFailure: 'HTTP 503' });
  });

  it('counts a delivery that throws as failed without rejecting', async () => {
    const forwarder = createWebhookForwarder({
      queue: 'default',
      secret: 's',
      sign: () => ({}),
      deliver: async () => {
        throw new Error('connection refused');
      },
      nowEpochSec: () => 0,
      latencyMs: 0,
      delay: async () => {},
    });
    forwarder.jobScheduled({ id: 'a', queue: 'default' });
    await forwarder.settled();
    expect(forwarder.tally).toEqual({ sent: 0, failed: 1, lastFailure: 'connection refused' });
  });

  it('says why the function did not answer (a 502 is a timeout, a failed start or a crash: the fixes differ)', async () => {
    const forwarder = createWebhookForwarder({
      queue: 'default',
      secret: 's',
      sign: () => ({}),
      deliver: async () => ({ statusCode: 502, functionOutcome: 'timed-out' }),
      nowEpochSec: () => 0,
      latencyMs: 0,
      delay: async () => {},
    });
    forwarder.jobScheduled({ id: 'a', queue: 'default' });
    forwarder.jobScheduled({ id: 'b', queue: 'default' });
    await forwarder.settled();
    expect(forwarder.tally).toEqual({ sent: 2, failed: 2, lastFailure: 'HTTP 502 (the function timed-out)' });
  });
});
