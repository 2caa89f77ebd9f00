import { FakeClock, type RunningImdsStandIn, startImdsStandIn } from '@elastic-ci/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from './clock';
import { ImdsUnavailableError } from './errors';
import { ImdsClient } from './imds-client';

let standIn: RunningImdsStandIn;

beforeEach(async () => {
  standIn = await startImdsStandIn({ instanceId: 'i-0123456789abcdef0' });
});

afterEach(async () => {
  await standIn.close();
});

const client = (overrides: Partial<ConstructorParameters<typeof ImdsClient>[0]> = {}) =>
  new ImdsClient({
    endpoint: standIn.endpoint,
    clock: systemClock,
    // Real time (it bounds a socket): far above a local answer on a loaded machine, below the 'slow' fault's delay.
    timeoutMs: 2_000,
    retryBaseDelayMs: 5,
    ...overrides,
  });

const tokenRequests = () => standIn.requests.filter((request) => request.path === '/latest/api/token').length;

describe('Class: ImdsClient', () => {
  it('does the IMDSv2 handshake once and reuses the token', async () => {
    // Prepare
    const imds = client();

    // Act
    const first = await imds.get('instance-id');
    const second = await imds.get('placement/region');

    // Assess
    expect(first).toEqual({ found: true, body: 'i-0123456789abcdef0' });
    expect(second).toEqual({ found: true, body: 'us-east-1' });
    expect(tokenRequests()).toBe(1);
    expect(
      standIn.requests
        .filter((request) => request.path.startsWith('/latest/meta-data/'))
        .every((request) => request.hadToken),
    ).toBe(true);
  });

  it('answers found: false on 404', async () => {
    // Act
    const answer = await client().get('spot/instance-action');

    // Assess
    expect(answer).toEqual({ found: false });
  });

  it('refreshes the token before its TTL ends', async () => {
    // Prepare
    const clock = new FakeClock(Date.now());
    const imds = client({ clock, tokenTtlSeconds: 120 });
    await imds.get('instance-id');

    // Act
    await clock.advance(59_000);
    await imds.get('instance-id');
    await clock.advance(2_000);
    await imds.get('instance-id');

    // Assess
    expect(tokenRequests()).toBe(2);
  });

  it('gets a new token and retries when IMDS answers 401', async () => {
    // Prepare
    const imds = client();
    await imds.get('instance-id');
    standIn.expireTokens();

    // Act
    const answer = await imds.get('instance-id');

    // Assess
    expect(answer).toEqual({ found: true, body: 'i-0123456789abcdef0' });
    expect(tokenRequests()).toBe(2);
  });

  it('retries 5xx answers, timeouts and garbage tokens', async () => {
    // Prepare
    const imds = client({ attempts: 4 });
    standIn.injectFault({ kind: 'garbage', body: 'not a token \u0000' }, { path: 'token', times: 1 });
    standIn.injectFault({ kind: 'status', status: 503 }, { path: 'instance-id', times: 1 });
    standIn.injectFault({ kind: 'slow', delayMs: 6_000 }, { path: 'instance-id', times: 1 });

    // Act
    const answer = await imds.get('instance-id');

    // Assess
    expect(answer).toEqual({ found: true, body: 'i-0123456789abcdef0' });
  });

  it('gives up with ImdsUnavailableError after its attempts', async () => {
    // Prepare
    const imds = client({ attempts: 2 });
    standIn.injectFault({ kind: 'status', status: 500 });

    // Act
    const attempt = imds.get('instance-id');

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ImdsUnavailableError);
    await expect(attempt).rejects.toThrow(/HTTP 500/);
  });

  it('fails fast on a refused non-retryable answer', async () => {
    // Prepare
    const imds = client({ attempts: 5 });
    standIn.injectFault({ kind: 'status', status: 403 }, { path: 'token' });

    // Act
    const attempt = imds.get('instance-id');

    // Assess
    await expect(attempt).rejects.toThrow(/HTTP 403/);
    expect(tokenRequests()).toBe(1);
  });

  it('reports an unreachable endpoint clearly', async () => {
    // Prepare
    await standIn.close();
    const imds = client({ attempts: 2 });

    // Act
    const attempt = imds.get('instance-id');

    // Assess
    await expect(attempt).rejects.toThrow(/unreachable/);
    standIn = await startImdsStandIn();
  });
});
