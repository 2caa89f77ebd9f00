import { type RunningImdsStandIn, startImdsStandIn } from '@elastic-ci/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createImdsClient, ImdsError, imdsEndpointFromEnv } from './imds-client.js';

let standIn: RunningImdsStandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

/** Sleeps return at once and are recorded: the backoff is asserted, never waited for. */
function recordingClock() {
  const sleeps: number[] = [];
  return { sleeps, clock: { now: () => 0, sleep: async (ms: number) => void sleeps.push(ms) } };
}

describe('createImdsClient (IMDSv2 against the stand-in)', () => {
  it('reads the instance id, region and lifecycle state with a session token', async () => {
    standIn = await startImdsStandIn({ instanceId: 'i-0aaaabbbbccccdddd', region: 'eu-west-1' });
    standIn.setTargetLifecycleState('Warmed:Stopped');
    const { clock } = recordingClock();
    const imds = createImdsClient({ endpoint: standIn.endpoint, clock });
    expect(await imds.instanceId()).toBe('i-0aaaabbbbccccdddd');
    expect(await imds.region()).toBe('eu-west-1');
    expect(await imds.targetLifecycleState()).toBe('Warmed:Stopped');
    standIn.setTargetLifecycleState(undefined);
    expect(await imds.targetLifecycleState()).toBeUndefined();
    expect(standIn.requests.filter((r) => r.method === 'GET').every((r) => r.hadToken)).toBe(true);
  });

  it('retries 5xx with exponential backoff and renews an expired token', async () => {
    standIn = await startImdsStandIn({ instanceId: 'i-0aaaabbbbccccdddd' });
    const { clock, sleeps } = recordingClock();
    const imds = createImdsClient({ endpoint: standIn.endpoint, clock });
    standIn.injectFault({ kind: 'status', status: 503 }, { path: 'instance-id', times: 2 });
    expect(await imds.instanceId()).toBe('i-0aaaabbbbccccdddd');
    expect(sleeps).toEqual([1000, 2000]);
    standIn.expireTokens();
    expect(await imds.instanceId()).toBe('i-0aaaabbbbccccdddd');
    expect(standIn.requests.filter((r) => r.method === 'PUT')).toHaveLength(2);
  });

  it('gives up after the bounded attempts with one error naming the path', async () => {
    standIn = await startImdsStandIn();
    const { clock, sleeps } = recordingClock();
    const imds = createImdsClient({ endpoint: standIn.endpoint, clock, attempts: 4 });
    standIn.injectFault({ kind: 'status', status: 500 });
    await expect(imds.instanceId()).rejects.toThrow(ImdsError);
    await expect(imds.instanceId()).rejects.toThrow(/instance-id unavailable after 4 attempts/);
    expect(sleeps.slice(0, 3)).toEqual([1000, 2000, 4000]);
  });

  it('refuses an answer that is not an instance id', async () => {
    standIn = await startImdsStandIn();
    standIn.injectFault({ kind: 'garbage', body: '<html>' }, { path: 'instance-id' });
    const imds = createImdsClient({ endpoint: standIn.endpoint, clock: recordingClock().clock });
    await expect(imds.instanceId()).rejects.toThrow(/not i-/);
  });
});

describe('imdsEndpointFromEnv', () => {
  it('uses AWS_EC2_METADATA_SERVICE_ENDPOINT, else the IPv4 or IPv6 address', () => {
    expect(imdsEndpointFromEnv({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:1234/' })).toBe(
      'http://127.0.0.1:1234',
    );
    expect(imdsEndpointFromEnv({})).toBe('http://169.254.169.254');
    expect(imdsEndpointFromEnv({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' })).toBe('http://[fd00:ec2::254]');
  });
});
