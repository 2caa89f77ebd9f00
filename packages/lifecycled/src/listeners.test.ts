import { type RunningImdsStandIn, startImdsStandIn } from '@elastic-ci/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from './clock';
import type { Observation } from './decide';
import { ImdsClient } from './imds-client';
import { type Listener, spotListener, targetLifecycleStateListener } from './listeners';
import { memoryLogger } from './test-support/logs';

let standIn: RunningImdsStandIn;

beforeEach(async () => {
  standIn = await startImdsStandIn();
});

afterEach(async () => {
  await standIn.close();
});

function options() {
  const { logger, entries } = memoryLogger();
  const imds = new ImdsClient({
    endpoint: standIn.endpoint,
    clock: systemClock,
    timeoutMs: 300,
    retryBaseDelayMs: 5,
    attempts: 2,
  });
  return { options: { imds, clock: systemClock, intervalMs: 15, logger }, entries };
}

/** Resolves once the stand-in has answered `count` requests for `path` (a suffix). */
async function requestsFor(path: string, count: number): Promise<void> {
  while (standIn.requests.filter((request) => request.path.endsWith(path)).length < count) {
    await new Promise((resolveWait) => setTimeout(resolveWait, 5));
  }
}

/**
 * Runs a listener until `until` is true of the observations, then stops it. The 15 s stop only ends a listener that
 * hangs; it is no time limit for the listener, which a loaded machine may slow down several fold.
 */
async function observe(listener: Listener, until: (seen: Observation[]) => boolean): Promise<Observation[]> {
  const seen: Observation[] = [];
  const stop = new AbortController();
  const running = listener.run((observation) => {
    seen.push(observation);
    if (until(seen)) stop.abort();
  }, stop.signal);
  const timer = setTimeout(() => stop.abort(), 15_000);
  await running;
  clearTimeout(timer);
  return seen;
}

describe('Function: targetLifecycleStateListener', () => {
  it('reads the state at once and keeps polling through warm-pool states to Terminated', async () => {
    // Prepare
    const { options: listenerOptions } = options();
    standIn.setTargetLifecycleState('Warmed:Stopped');
    const nextState: Record<string, string> = { 'Warmed:Stopped': 'InService', InService: 'Terminated' };

    // Act
    const seen = await observe(targetLifecycleStateListener(listenerOptions), (all) => {
      const latest = all.at(-1);
      const state = latest?.source === 'lifecycle-state' ? latest.state : '';
      // The group moves on only after the daemon has seen the current state, as a real group would over minutes.
      const next = nextState[state];
      if (next) standIn.setTargetLifecycleState(next);
      return state === 'Terminated';
    });

    // Assess
    const states = [
      ...new Set(seen.map((observation) => (observation.source === 'lifecycle-state' ? observation.state : ''))),
    ];
    expect(states).toEqual(['Warmed:Stopped', 'InService', 'Terminated']);
  });

  it('survives 5xx, garbage bodies, token expiry and slow answers without emitting junk', async () => {
    // Prepare
    const { options: listenerOptions, entries } = options();
    standIn.setTargetLifecycleState('Terminated');
    standIn.injectFault({ kind: 'status', status: 500 }, { path: 'autoscaling/', times: 2 });
    standIn.injectFault({ kind: 'garbage' }, { path: 'autoscaling/', times: 1 });
    standIn.injectFault({ kind: 'token-expired' }, { path: 'autoscaling/', times: 1 });
    standIn.injectFault({ kind: 'slow', delayMs: 1_000 }, { path: 'autoscaling/', times: 1 });

    // Act
    const seen = await observe(targetLifecycleStateListener(listenerOptions), (all) => all.length > 0);

    // Assess
    expect(seen).toMatchObject([{ source: 'lifecycle-state', state: 'Terminated' }]);
    expect(entries.some((entry) => entry.msg === 'Failed to read instance metadata, will retry')).toBe(true);
    expect(entries.some((entry) => entry.msg === 'Ignoring malformed instance metadata')).toBe(true);
  });

  it('emits nothing and stops promptly while the instance is not in a group (404)', async () => {
    // Prepare
    const { options: listenerOptions } = options();
    const stop = new AbortController();
    const seen: Observation[] = [];

    // Act
    const running = targetLifecycleStateListener(listenerOptions).run(
      (observation) => seen.push(observation),
      stop.signal,
    );
    await requestsFor('target-lifecycle-state', 3);
    stop.abort();
    await running;

    // Assess
    expect(seen).toEqual([]);
    expect(
      standIn.requests.filter((request) => request.path.endsWith('target-lifecycle-state')).length,
    ).toBeGreaterThan(1);
  });
});

describe('Function: spotListener', () => {
  it('emits an interruption from spot/instance-action and stops', async () => {
    // Prepare
    const { options: listenerOptions } = options();
    void requestsFor('spot/instance-action', 2).then(() =>
      standIn.setSpotInstanceAction({ action: 'terminate', time: '2026-11-23T12:02:00Z' }),
    );

    // Act
    const seen = await observe(spotListener(listenerOptions), () => false);

    // Assess
    expect(seen).toMatchObject([
      { source: 'spot', interruption: { action: 'terminate', time: '2026-11-23T12:02:00Z' } },
    ]);
  });

  it('emits an interruption whose time is unreadable, due two minutes after it was read, and says so', async () => {
    // Prepare
    const { options: listenerOptions, entries } = options();
    standIn.setMetadata('spot/instance-action', '{"action":"terminate","time":"soon"}');
    // The notice is read at a fixed "now" (polls still wait in real time), so its deadline is exact.
    const readAtMs = Date.UTC(2026, 0, 5, 9, 0, 0);
    const clock = { now: () => readAtMs, sleep: systemClock.sleep };

    // Act
    const seen = await observe(spotListener({ ...listenerOptions, clock }), () => false);

    // Assess
    expect(seen).toMatchObject([{ source: 'spot', interruption: { action: 'terminate' } }]);
    const interruption = seen[0]?.source === 'spot' ? seen[0].interruption : undefined;
    expect(interruption?.deadlineMs).toBe(readAtMs + 120_000);
    expect(interruption?.time).toBe(new Date(interruption?.deadlineMs ?? 0).toISOString());
    expect(entries.find((entry) => entry.msg.startsWith('Spot interruption time unreadable'))).toMatchObject({
      level: 'warn',
    });
  });

  it('takes the time from spot/termination-time when instance-action names the action but not a readable time', async () => {
    // Prepare
    const { options: listenerOptions } = options();
    standIn.setMetadata('spot/instance-action', '{"action":"hibernate","time":"soon"}');
    standIn.setSpotTerminationTime('2026-11-23T14:02:00+02:00');

    // Act
    const seen = await observe(spotListener(listenerOptions), () => false);

    // Assess
    expect(seen).toMatchObject([
      { source: 'spot', interruption: { action: 'hibernate', time: '2026-11-23T14:02:00+02:00' } },
    ]);
  });

  it('falls back to spot/termination-time when instance-action is unreadable', async () => {
    // Prepare
    const { options: listenerOptions } = options();
    standIn.setSpotTerminationTime('2026-11-23T14:02:00+02:00');
    standIn.setMetadata('spot/instance-action', '<html>nope</html>');

    // Act
    const seen = await observe(spotListener(listenerOptions), () => false);

    // Assess
    expect(seen).toMatchObject([{ source: 'spot', interruption: { time: '2026-11-23T14:02:00+02:00' } }]);
  });

  it('skips an empty or unparseable termination time and emits the next valid one', async () => {
    // Prepare
    const { options: listenerOptions, entries } = options();
    standIn.setSpotTerminationTime('');
    void requestsFor('spot/termination-time', 2)
      .then(() => standIn.setSpotTerminationTime('soon'))
      .then(() => requestsFor('spot/termination-time', 4))
      .then(() => standIn.setSpotTerminationTime('2026-11-23T12:02:00Z'));

    // Act
    const seen = await observe(spotListener(listenerOptions), () => false);

    // Assess
    expect(seen).toMatchObject([{ source: 'spot', interruption: { time: '2026-11-23T12:02:00Z' } }]);
    expect(
      entries.filter((entry) => entry.msg === 'Ignoring malformed instance metadata').length,
    ).toBeGreaterThanOrEqual(2);
  });

  it('emits rebalance recommendations and keeps listening for the interruption', async () => {
    // Prepare
    const { options: listenerOptions } = options();
    standIn.setRebalanceRecommendation('2026-11-23T12:00:00Z');
    void requestsFor('events/recommendations/rebalance', 3).then(() =>
      standIn.setSpotInstanceAction({ action: 'stop', time: '2026-11-23T12:02:00Z' }),
    );

    // Act
    const seen = await observe(spotListener(listenerOptions), () => false);

    // Assess
    expect(seen[0]).toMatchObject({ source: 'rebalance', noticeTime: '2026-11-23T12:00:00Z' });
    expect(seen.at(-1)).toMatchObject({ source: 'spot', interruption: { action: 'stop' } });
  });
});
