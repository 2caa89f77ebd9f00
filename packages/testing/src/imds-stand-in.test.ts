import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from './fake-clock';
import { type RunningImdsStandIn, startImdsStandIn } from './imds-stand-in';

let standIn: RunningImdsStandIn | undefined;

afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

async function token(endpoint: string, ttlSeconds = 60): Promise<string> {
  const response = await fetch(`${endpoint}/latest/api/token`, {
    method: 'PUT',
    headers: { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttlSeconds) },
  });
  expect(response.status).toBe(200);
  return response.text();
}

async function get(endpoint: string, path: string, sessionToken?: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${endpoint}/latest/meta-data/${path}`, {
    headers: sessionToken ? { 'x-aws-ec2-metadata-token': sessionToken } : {},
  });
  return { status: response.status, body: await response.text() };
}

describe('Function: startImdsStandIn', () => {
  it('serves instance identity after an IMDSv2 token handshake', async () => {
    // Prepare
    standIn = await startImdsStandIn({ instanceId: 'i-0aaaabbbbccccdddd', region: 'eu-west-1' });
    const sessionToken = await token(standIn.endpoint);

    // Act
    const instanceId = await get(standIn.endpoint, 'instance-id', sessionToken);
    const region = await get(standIn.endpoint, 'placement/region', sessionToken);
    const zone = await get(standIn.endpoint, 'placement/availability-zone', sessionToken);

    // Assess
    expect(instanceId).toEqual({ status: 200, body: 'i-0aaaabbbbccccdddd' });
    expect(region).toEqual({ status: 200, body: 'eu-west-1' });
    expect(zone).toEqual({ status: 200, body: 'eu-west-1a' });
  });

  it('refuses IMDSv1 requests and bad token TTLs', async () => {
    // Prepare
    standIn = await startImdsStandIn();

    // Act
    const withoutToken = await get(standIn.endpoint, 'instance-id');
    const badTtl = await fetch(`${standIn.endpoint}/latest/api/token`, {
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '0' },
    });
    const tokenByGet = await fetch(`${standIn.endpoint}/latest/api/token`);

    // Assess
    expect(withoutToken.status).toBe(401);
    expect(badTtl.status).toBe(400);
    expect(tokenByGet.status).toBe(405);
  });

  it('expires tokens after their TTL on the given clock', async () => {
    // Prepare
    const clock = new FakeClock();
    standIn = await startImdsStandIn({ clock });
    const sessionToken = await token(standIn.endpoint, 10);

    // Act
    const fresh = await get(standIn.endpoint, 'instance-id', sessionToken);
    await clock.advance(10_000);
    const expired = await get(standIn.endpoint, 'instance-id', sessionToken);

    // Assess
    expect(fresh.status).toBe(200);
    expect(expired.status).toBe(401);
  });

  it('answers 404 for lifecycle paths until they are set, then their documented bodies', async () => {
    // Prepare
    standIn = await startImdsStandIn();
    const sessionToken = await token(standIn.endpoint);
    const paths = [
      'autoscaling/target-lifecycle-state',
      'spot/instance-action',
      'spot/termination-time',
      'events/recommendations/rebalance',
    ];
    const before = await Promise.all(paths.map((path) => get(standIn?.endpoint ?? '', path, sessionToken)));

    // Act
    standIn.setTargetLifecycleState('Warmed:Stopped');
    standIn.setSpotInstanceAction({ action: 'terminate', time: '2026-11-23T12:02:00Z' });
    standIn.setRebalanceRecommendation('2026-11-23T12:00:00Z');
    const after = await Promise.all(paths.map((path) => get(standIn?.endpoint ?? '', path, sessionToken)));

    // Assess
    expect(before.map((answer) => answer.status)).toEqual([404, 404, 404, 404]);
    expect(after).toEqual([
      { status: 200, body: 'Warmed:Stopped' },
      { status: 200, body: '{"action":"terminate","time":"2026-11-23T12:02:00Z"}' },
      { status: 200, body: '2026-11-23T12:02:00Z' },
      { status: 200, body: '{"noticeTime":"2026-11-23T12:00:00Z"}' },
    ]);
  });

  it('injects status, garbage and token faults for a limited number of matching requests', async () => {
    // Prepare
    standIn = await startImdsStandIn();
    standIn.setTargetLifecycleState('InService');
    const sessionToken = await token(standIn.endpoint);
    standIn.injectFault({ kind: 'status', status: 503 }, { path: 'autoscaling/', times: 1 });
    standIn.injectFault({ kind: 'garbage', body: '<<garbage>>' }, { path: 'autoscaling/', times: 1 });
    standIn.injectFault({ kind: 'token-expired' }, { path: 'autoscaling/', times: 1 });

    // Act
    const answers = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      answers.push(await get(standIn.endpoint, 'autoscaling/target-lifecycle-state', sessionToken));
    }
    const unaffected = await get(standIn.endpoint, 'instance-id', sessionToken);

    // Assess
    expect(answers).toEqual([
      { status: 503, body: 'stand-in fault: HTTP 503' },
      { status: 200, body: '<<garbage>>' },
      { status: 401, body: '' },
      { status: 200, body: 'InService' },
    ]);
    expect(unaffected.status).toBe(200);
  });

  it('fails the token handshake when the fault targets it, and records every request', async () => {
    // Prepare
    standIn = await startImdsStandIn();
    standIn.injectFault({ kind: 'status', status: 500 }, { path: 'token', times: 1 });

    // Act
    const failed = await fetch(`${standIn.endpoint}/latest/api/token`, {
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
    });
    await token(standIn.endpoint);

    // Assess
    expect(failed.status).toBe(500);
    expect(standIn.requests).toEqual([
      { method: 'PUT', path: '/latest/api/token', hadToken: false, status: 500 },
      { method: 'PUT', path: '/latest/api/token', hadToken: false, status: 200 },
    ]);
  });

  it('delays answers with a slow fault so client timeouts fire', async () => {
    // Prepare
    standIn = await startImdsStandIn();
    const sessionToken = await token(standIn.endpoint);
    standIn.injectFault({ kind: 'slow', delayMs: 2_000 }, { path: 'instance-id' });

    // Act
    const attempt = fetch(`${standIn.endpoint}/latest/meta-data/instance-id`, {
      headers: { 'x-aws-ec2-metadata-token': sessionToken },
      signal: AbortSignal.timeout(50),
    });

    // Assess
    await expect(attempt).rejects.toThrow(/abort|timeout/i);
  });

  it('rejects every earlier token after expireTokens', async () => {
    // Prepare
    standIn = await startImdsStandIn();
    const sessionToken = await token(standIn.endpoint);

    // Act
    standIn.expireTokens();
    const stale = await get(standIn.endpoint, 'instance-id', sessionToken);
    const renewed = await get(standIn.endpoint, 'instance-id', await token(standIn.endpoint));

    // Assess
    expect(stale.status).toBe(401);
    expect(renewed.status).toBe(200);
  });
});
