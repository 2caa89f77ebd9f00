import {
  emptyDemandHistory,
  emptyWaitingMemory,
  MAX_COHORTS,
  MAX_SAMPLES,
  type ScalerState,
  type WaitingMemory,
} from '@elastic-ci/scaler-core';
import { FakeClock } from '@elastic-ci/testing';
import { describe, expect, it } from 'vitest';
import { StateStoreError } from './errors';
import type { ScalingActivity } from './ports';
import {
  createActivityDerivedStateStore,
  createSsmStateStore,
  lastScaleTimesFromActivities,
  serializeScalerState,
} from './scaler-state-store';
import { FakeAutoScaling, FakeParameterStore } from './testing-fakes';

const USER_SET = 'a user request explicitly set group desired capacity changing the desired capacity from';

function activity(startTimeMs: number, cause: string, statusCode = 'Successful'): ScalingActivity {
  return { startTimeMs, cause, statusCode };
}

async function* pagesOf(pages: ScalingActivity[][], served: number[]) {
  for (const page of pages) {
    served.push(page.length);
    yield page;
  }
}

describe('Function: lastScaleTimesFromActivities', () => {
  const pages = [
    [
      activity(900, 'Launching a new EC2 instance: i-1, increasing the capacity from 1 to 2'),
      activity(800, `${USER_SET} 3 to 2. … shrinking the capacity from 3 to 2.`, 'Failed'),
    ],
    [activity(700, `${USER_SET} 3 to 2. … shrinking the capacity from 3 to 2.`)],
    [activity(600, `${USER_SET} 1 to 3. … increasing the capacity from 1 to 3.`)],
    [activity(500, `${USER_SET} 0 to 1. … increasing the capacity from 0 to 1.`)],
  ];

  it('takes the newest successful user-requested event of each direction and stops reading there', async () => {
    // Prepare
    const served: number[] = [];

    // Act
    const times = await lastScaleTimesFromActivities(pagesOf(pages, served), {
      maxPages: undefined,
      wantScaleOut: true,
      wantScaleIn: true,
    });

    // Assess
    expect(times).toEqual({ lastScaleInAtMs: 700, lastScaleOutAtMs: 600 });
    expect(served).toHaveLength(3);
  });

  it('reads at most maxPages pages (N means N, unlike Buildkite)', async () => {
    // Act
    const times = await lastScaleTimesFromActivities(pagesOf(pages, []), {
      maxPages: 2,
      wantScaleOut: true,
      wantScaleIn: true,
    });

    // Assess
    expect(times).toEqual({ lastScaleInAtMs: 700 });
  });

  it('reads no page at all with maxPages 0 (N means N: MAX_DESCRIBE_SCALING_ACTIVITIES_PAGES=0 makes no call)', async () => {
    // Prepare
    const served: number[] = [];

    // Act
    const times = await lastScaleTimesFromActivities(pagesOf(pages, served), {
      maxPages: 0,
      wantScaleOut: true,
      wantScaleIn: true,
    });

    // Assess
    expect(times).toEqual({});
    expect(served).toEqual([]);
  });

  it('looks only for the directions that are enabled', async () => {
    // Prepare
    const served: number[] = [];

    // Act
    const none = await lastScaleTimesFromActivities(pagesOf(pages, served), {
      maxPages: undefined,
      wantScaleOut: false,
      wantScaleIn: false,
    });
    const outOnly = await lastScaleTimesFromActivities(pagesOf(pages, []), {
      maxPages: undefined,
      wantScaleOut: true,
      wantScaleIn: false,
    });

    // Assess
    expect(none).toEqual({});
    expect(served).toEqual([]);
    expect(outOnly).toEqual({ lastScaleOutAtMs: 600 });
  });

  it('finds a drain (TerminateInstanceInAutoScalingGroup with a decrement) as a scale-in', async () => {
    // Prepare: SCALE_IN_STRATEGY=drain scales in by terminating instances, never by setting the desired capacity
    const drained = [
      [
        activity(
          950,
          'At 2026-11-23T11:59:00Z instance i-0abc was taken out of service in response to a user request, shrinking the capacity from 3 to 2.',
        ),
        activity(
          940,
          'At 2026-11-23T11:58:00Z instance i-0def was moved to standby in response to a user request, shrinking the capacity from 4 to 3.',
        ),
      ],
      ...pages,
    ];

    // Act
    const times = await lastScaleTimesFromActivities(pagesOf(drained, []), {
      maxPages: undefined,
      wantScaleOut: true,
      wantScaleIn: true,
      drains: true,
    });
    const withBuildkiteStrategy = await lastScaleTimesFromActivities(pagesOf(drained, []), {
      maxPages: undefined,
      wantScaleOut: true,
      wantScaleIn: true,
    });

    // Assess: the drain's time, not the older set-desired scale-in (700); an operator's standby is no scale-in; the
    // set-desired strategy matches only what Buildkite's scaler matches
    expect(times).toEqual({ lastScaleInAtMs: 950, lastScaleOutAtMs: 600 });
    expect(withBuildkiteStrategy).toEqual({ lastScaleInAtMs: 700, lastScaleOutAtMs: 600 });
  });

  it('counts a drain still held by the termination lifecycle hook (the capacity shrank when it began)', async () => {
    // Prepare: lifecycled drains the agent for as long as its job runs; the activity stays in progress meanwhile
    const cause = (id: string) =>
      `At 2026-11-23T11:59:00Z instance ${id} was taken out of service in response to a user request, shrinking the capacity from 3 to 2.`;
    const draining = [
      [activity(990, cause('i-failed'), 'Failed'), activity(980, cause('i-draining'), 'MidLifecycleAction')],
      ...pages,
    ];

    // Act
    const times = await lastScaleTimesFromActivities(pagesOf(draining, []), {
      maxPages: undefined,
      wantScaleOut: true,
      wantScaleIn: true,
      drains: true,
    });

    // Assess: the drain in progress counts; the failed one shrank nothing
    expect(times).toEqual({ lastScaleInAtMs: 980, lastScaleOutAtMs: 600 });
  });
});

describe('Function: createSsmStateStore', () => {
  /** `nowMs` after every time a test stores: a time ahead of the clock is refused. */
  function store(parameterStore = new FakeParameterStore(), nowMs = 10_000_000_000_000) {
    const clock = new FakeClock(nowMs);
    const group = new FakeAutoScaling('agents', { desired: 1 });
    const warnings: string[] = [];
    return {
      parameterStore,
      group,
      warnings,
      stateStore: createSsmStateStore({
        parameterStore,
        parameterName: '/scaler/state',
        clock,
        onWarning: (message) => warnings.push(message),
        activityScan: {
          autoScaling: group,
          groupName: 'agents',
          timeoutMs: 1_000,
          maxPages: undefined,
          wantScaleOut: true,
          wantScaleIn: true,
          clock,
        },
      }),
    };
  }

  it('round-trips a state and writes only when it changed', async () => {
    // Prepare
    const { stateStore, parameterStore } = store();

    // Act
    await stateStore.save({ lastScaleOutAtMs: 5, throttleTokens: 1.5 });
    await stateStore.save({ lastScaleOutAtMs: 5, throttleTokens: 1.5 });
    const loaded = await stateStore.load();
    await stateStore.save({ lastScaleOutAtMs: 6, throttleTokens: 1.5 });

    // Assess
    expect(loaded).toEqual({ lastScaleOutAtMs: 5, throttleTokens: 1.5 });
    expect(parameterStore.writes).toHaveLength(2);
  });

  /** A state at the bound: every slot at the encoding's largest peak, every cohort and sample taken. */
  function stateAtTheBound(): ScalerState {
    const history = emptyDemandHistory();
    history.lastSlot = 99_999_999_999;
    history.peaks.fill(64 ** 3 - 1);
    history.recentPeak = 64 ** 3 - 1;
    history.recentSinceMs = 9_999_999_999_999;
    // The recurrence score's sums at their bound: the largest peak over one minus the per-slot decay (0.98).
    history.predicted = 50 * (64 ** 3 - 1);
    history.confirmed = 50 * (64 ** 3 - 1);
    const waitingMemory: WaitingMemory = {
      ...emptyWaitingMemory(),
      waiting: 4_294_967_295,
      cohorts: Array.from({ length: MAX_COHORTS }, () => [9_999_999_999_999, 4_294_967_295, 1]).flat(),
      blockSec: new Array(MAX_SAMPLES).fill(9_999_999),
    };
    return {
      lastScaleOutAtMs: 9_999_999_999_999,
      lastScaleInAtMs: 9_999_999_999_999,
      throttleTokens: 1_000_000.123456789,
      throttleUpdatedAtMs: 9_999_999_999_999,
      demandHistory: history,
      waitingMemory,
    };
  }

  it('round-trips the learned memories, and stays within a Standard parameter (4 KB) at their bound', async () => {
    // Prepare
    const { stateStore, parameterStore, warnings } = store();
    const state = stateAtTheBound();

    // Act
    await stateStore.save(state);
    const loaded = await stateStore.load();

    // Assess
    const text = parameterStore.values.get('/scaler/state') as string;
    expect(text.length).toBeLessThanOrEqual(4096);
    expect(loaded).toEqual(state);
    expect(warnings).toEqual([]);
  });

  it('drops a demand history that does not parse with one warning and keeps the rest of the state', async () => {
    // Prepare
    const { stateStore, parameterStore, group, warnings } = store();
    const text = serializeScalerState(stateAtTheBound(), 1);
    const history = JSON.parse(text).demandHistory as string;
    parameterStore.values.set(
      '/scaler/state',
      JSON.stringify({ ...JSON.parse(text), demandHistory: history.slice(0, 1000), waitingMemory: { version: 0 } }),
    );

    // Act
    const loaded = await stateStore.load();

    // Assess
    expect(loaded).toEqual({
      lastScaleOutAtMs: 9_999_999_999_999,
      lastScaleInAtMs: 9_999_999_999_999,
      throttleTokens: 1_000_000.123456789,
      throttleUpdatedAtMs: 9_999_999_999_999,
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/the demand history and the waiting-job memory did not parse/);
    expect(group.calls).toEqual([]);
  });

  it('rebuilds from activities, with one warning, when the parameter was cut short', async () => {
    // Prepare
    const { stateStore, parameterStore, group, warnings } = store();
    parameterStore.values.set('/scaler/state', serializeScalerState(stateAtTheBound(), 1).slice(0, 2000));

    // Act
    const state = await stateStore.load();

    // Assess
    expect(state).toEqual({});
    expect(warnings).toHaveLength(1);
    expect(group.calls).toEqual(['describeScalingActivities']);
  });

  it('wraps a failing read or write in StateStoreError', async () => {
    // Prepare
    const parameterStore = new FakeParameterStore();
    parameterStore.getString = async () => {
      throw new Error('AccessDeniedException');
    };
    parameterStore.putString = async () => {
      throw new Error('AccessDeniedException');
    };
    const { stateStore } = store(parameterStore);

    // Act / Assess
    await expect(stateStore.load()).rejects.toBeInstanceOf(StateStoreError);
    await expect(stateStore.save({ lastScaleInAtMs: 1 })).rejects.toBeInstanceOf(StateStoreError);
  });

  it('keeps the scale events another container wrote after this one loaded (scheduled and webhook passes without a lease)', async () => {
    // Prepare: both containers load the same state; the scheduled pass then scales out and writes first
    const shared = new FakeParameterStore();
    shared.values.set(
      '/scaler/state',
      serializeScalerState({ lastScaleInAtMs: 1_000, throttleTokens: 3, throttleUpdatedAtMs: 1_000 }, 1_000),
    );
    const scheduled = store(shared);
    const webhook = store(shared);
    const seenByScheduled = await scheduled.stateStore.load();
    const seenByWebhook = await webhook.stateStore.load();
    await scheduled.stateStore.save({
      ...seenByScheduled,
      lastScaleOutAtMs: 5_000,
      throttleTokens: 1,
      throttleUpdatedAtMs: 5_000,
    });
    const waitingMemory: WaitingMemory = { ...emptyWaitingMemory(), waiting: 3, cohorts: [4_000, 3, 0] };

    // Act: the webhook pass held, and writes what it learned on the state it loaded before that scale-out
    await webhook.stateStore.save({ ...seenByWebhook, waitingMemory });

    // Assess: the scale-out (its cooldown, the throttle it spent) survives, and so does what the webhook learned
    expect(await store(shared).stateStore.load()).toEqual({
      lastScaleOutAtMs: 5_000,
      lastScaleInAtMs: 1_000,
      throttleTokens: 1,
      throttleUpdatedAtMs: 5_000,
      waitingMemory,
    });
  });

  it('keeps the later of two scale events of one direction, whichever container wrote it', async () => {
    // Prepare
    const shared = new FakeParameterStore();
    const first = store(shared);
    const second = store(shared);
    await first.stateStore.load();
    await second.stateStore.load();
    await first.stateStore.save({ lastScaleInAtMs: 7_000 });

    // Act: an older event must not replace a newer one either
    await second.stateStore.save({ lastScaleInAtMs: 6_000, lastScaleOutAtMs: 2_000 });

    // Assess
    expect(await store(shared).stateStore.load()).toEqual({ lastScaleInAtMs: 7_000, lastScaleOutAtMs: 2_000 });
  });

  it.each([
    'not json',
    '[]',
    'null',
    '{"lastScaleInAtMs": -5}',
    '{"throttleTokens": -0.5}',
    '{"lastScaleOutAtMs": 10000000060001}',
    '{"throttleUpdatedAtMs": 10000000060001}',
  ])('rebuilds from activities when the parameter holds %j', async (text) => {
    // Prepare
    const { stateStore, parameterStore, group } = store();
    parameterStore.values.set('/scaler/state', text);

    // Act
    const state = await stateStore.load();

    // Assess
    expect(state).toEqual({});
    expect(group.calls).toEqual(['describeScalingActivities']);
  });
});

describe('Function: createActivityDerivedStateStore', () => {
  it('holds scale-in after a failed scan and retries the scan on the next load', async () => {
    // Prepare
    const clock = new FakeClock(5_000_000);
    const group = new FakeAutoScaling('agents', {
      desired: 1,
      activities: [[activity(4_000_000, `${USER_SET} 1 to 2. … increasing the capacity from 1 to 2.`)]],
    });
    const pages = group.scalingActivityPages.bind(group);
    let failures = 1;
    group.scalingActivityPages = async function* () {
      if (failures-- > 0) throw new Error('Throttling');
      yield* pages();
    } as typeof group.scalingActivityPages;
    const warnings: string[] = [];
    const store = createActivityDerivedStateStore({
      autoScaling: group,
      groupName: 'agents',
      timeoutMs: 1_000,
      maxPages: undefined,
      wantScaleOut: true,
      wantScaleIn: true,
      clock,
      onWarning: (message) => warnings.push(message),
    });

    // Act
    const afterFailure = await store.load();
    const afterSuccess = await store.load();
    const cached = await store.load();

    // Assess
    expect(afterFailure).toEqual({ lastScaleInAtMs: 5_000_000 });
    expect(warnings).toHaveLength(1);
    expect(afterSuccess).toEqual({ lastScaleOutAtMs: 4_000_000 });
    expect(cached).toBe(afterSuccess);
  });
});
