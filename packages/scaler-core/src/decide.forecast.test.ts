import { describe, expect, it } from 'vitest';
import { parseScalerConfig, type ScalerConfigInput } from './config.js';
import { decide, poolBreakEvenSec } from './decide.js';
import {
  type DemandHistory,
  emptyDemandHistory,
  forecast,
  isDemandHistory,
  MIN_RECURRENCE_FOR_TWO_SIGHTINGS,
  ONE_SIGHTING_TRUSTED_AGENTS,
  recordDemand,
} from './forecast.js';
import { input } from './test-fixtures.js';
import { emptyWaitingMemory, recordWaiting, type WaitingMemory } from './waiting-release.js';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** Monday 2026-11-02 00:00 UTC. */
const DAY1_MS = Date.UTC(2026, 10, 2);

/** Days of 200 agents from 02:00 to 02:20 (else 1), recorded minute by minute, then today until `untilMinute`. */
function burstHistory(burstDays: number, untilMinute: number): DemandHistory {
  let history = emptyDemandHistory();
  for (let day = 0; day < burstDays; day++) {
    for (let minute = 0; minute < 24 * 60; minute++) {
      const demand = minute >= 120 && minute < 140 ? 200 : 1;
      history = recordDemand(history, DAY1_MS + day * DAY_MS + minute * MINUTE_MS, demand);
    }
  }
  for (let minute = 0; minute <= untilMinute; minute++) {
    history = recordDemand(history, DAY1_MS + burstDays * DAY_MS + minute * MINUTE_MS, 1);
  }
  return history;
}

const POOL = { enabled: true, prepareForWaitingJobs: true } as const;

function at(dayIndex: number, minute: number, seconds = 0): number {
  return DAY1_MS + dayIndex * DAY_MS + minute * MINUTE_MS + seconds * 1000;
}

/**
 * A decision with the forecast on (or `config`): `running` jobs (1 unless given), each on its own in-service
 * instance, and `history` stored.
 */
function decideRunning(
  nowMs: number,
  history: DemandHistory,
  {
    config = { forecast: { enabled: true }, warmPool: POOL },
    max = 500,
    running = 1,
  }: { config?: ScalerConfigInput; max?: number; running?: number } = {},
) {
  return decide(
    input({
      config,
      nowMs,
      metrics: { runningJobs: running, busyAgents: running, totalAgents: running },
      group: { desired: running, inService: running, max },
      state: { demandHistory: history },
    }),
  );
}

describe('decide with forecast.enabled', () => {
  it('sizes the warm pool a boot ahead of a burst seen yesterday, not earlier, and says what it counted', () => {
    const decideAt = (minute: number) => decideRunning(at(1, minute), burstHistory(1, minute));
    // Ten minutes ahead (beyond the 120 s boot): only the recent agent and two of headroom.
    const early = decideAt(110);
    const aBootAhead = decideAt(119);

    expect(early.warmPoolMinSize).toBe(2);
    expect(aBootAhead.warmPoolMinSize).toBe(199);
    expect(aBootAhead.desired).toBe(1);
    expect(aBootAhead.reasons).toContain(
      "warm pool: forecast expects 200 agent(s) (200 seen at this time on earlier days, within a boot; the rest the recent peak, given back gradually within a stopped instance's break-even, plus headroom) → pool min size 199",
    );
  });

  it('does not prepare for a burst seen once when yesterday did not come again lately, but for one seen twice', () => {
    // Day 1 with its burst at 02:00; day 2 without it (scored as a miss at 02:30), then 12:00–12:20 on day 1 only.
    let history = emptyDemandHistory();
    for (let minute = 0; minute < 24 * 60 + 12 * 60 - 1; minute++) {
      const burstAt = minute >= 120 && minute < 140 ? 200 : minute >= 12 * 60 && minute < 12 * 60 + 20 ? 100 : 1;
      history = recordDemand(history, DAY1_MS + minute * MINUTE_MS, minute < 24 * 60 ? burstAt : 1);
    }
    const decision = decideRunning(at(1, 12 * 60 - 1), history);

    expect(forecast(history, at(1, 12 * 60 - 1), 120).expected).toBe(100);
    expect(decision.warmPoolMinSize).toBe(2); // the running agent's peak + 2 of headroom − the 1 running
    const notRecurring =
      /^forecast: only \d+% of yesterday's load came again lately → of 100 agent\(s\) seen once only 2 are prepared for, 0 seen twice are$/;
    expect(decision.reasons.filter((reason) => notRecurring.test(reason))).toHaveLength(1);

    const twice = decideRunning(at(2, 119), burstHistory(2, 119));

    expect(twice.warmPoolMinSize).toBe(199);
  });

  it("still holds back a storm seen once twelve hours after yesterday's morning storm failed to come again", () => {
    // Release storms land at random times. Day 1: 3 agents from 06:00 to 22:00, storms of 300 agents at 06:00 and
    // 200 at 18:00; day 2: the same 3 agents, no storm at 06:00. At 17:59 the 18:00 storm was seen once: the morning's
    // miss must still count (with a score halving in 1.6 hours it was forgotten, and 200 instances were prepared).
    const demandAt = (minuteOfDay: number, storms: boolean): number => {
      if (storms && minuteOfDay >= 6 * 60 && minuteOfDay < 6 * 60 + 20) return 300;
      if (storms && minuteOfDay >= 18 * 60 && minuteOfDay < 18 * 60 + 20) return 200;
      return minuteOfDay >= 6 * 60 && minuteOfDay < 22 * 60 ? 3 : 0;
    };
    let history = emptyDemandHistory();
    for (let minute = 0; minute < 24 * 60 + 18 * 60 - 1; minute++) {
      history = recordDemand(history, DAY1_MS + minute * MINUTE_MS, demandAt(minute % (24 * 60), minute < 24 * 60));
    }
    const nowMs = at(1, 18 * 60 - 1);
    const decision = decideRunning(nowMs, history, { running: 3 });

    const ahead = forecast(history, nowMs, 120);
    expect(ahead.expected).toBe(200);
    expect(ahead.recurrence).toBeLessThan(0.7);
    expect(decision.warmPoolMinSize).toBe(2); // the 3 running agents' peak + 2 − 3 running, not the 200 seen once
  });

  it('still prepares for a lone job seen once when the storms did not recur (a wrong guess costs a boot)', () => {
    // Day 1: a storm of 300 agents at 06:00 and one job at 10:00; day 2: no storm, nothing else until 09:59.
    let history = emptyDemandHistory();
    for (let minute = 0; minute < 24 * 60 + 10 * 60 - 1; minute++) {
      const minuteOfDay = minute % (24 * 60);
      const storm = minute < 24 * 60 && minuteOfDay >= 6 * 60 && minuteOfDay < 6 * 60 + 20;
      const loneJob = minute < 24 * 60 && minuteOfDay >= 10 * 60 && minuteOfDay < 10 * 60 + 5;
      history = recordDemand(history, DAY1_MS + minute * MINUTE_MS, storm ? 300 : loneJob ? 1 : 0);
    }
    const nowMs = at(1, 10 * 60 - 1);

    expect(forecast(history, nowMs, 120)).toMatchObject({ expected: 1, confident: 0 });
    expect(forecast(history, nowMs, 120).recurrence).toBeLessThan(0.7);
    expect(decideRunning(nowMs, history, { running: 0 }).warmPoolMinSize).toBe(1);

    // A storm seen once (06:00 yesterday; yesterday's 03:00 storm did not come again): only
    // ONE_SIGHTING_TRUSTED_AGENTS of it, with the reason.
    let stormDay = emptyDemandHistory();
    for (let minute = 0; minute < 24 * 60 + 6 * 60 - 1; minute++) {
      const minuteOfDay = minute % (24 * 60);
      const storm = minute < 24 * 60 && [3, 6].some((hour) => minuteOfDay >= hour * 60 && minuteOfDay < hour * 60 + 20);
      stormDay = recordDemand(stormDay, DAY1_MS + minute * MINUTE_MS, storm ? 300 : 0);
    }
    const beforeStorm = decideRunning(at(1, 6 * 60 - 1), stormDay, { running: 0 });
    expect(beforeStorm.warmPoolMinSize).toBe(ONE_SIGHTING_TRUSTED_AGENTS);
    expect(beforeStorm.reasons).toContain(
      "forecast: only 0% of yesterday's load came again lately → of 300 agent(s) seen once only 2 are prepared for, 0 seen twice are",
    );
  });

  it('trusts a sighting only while most of yesterday recurs: 60% is not enough', () => {
    // Day 1: 5 agents all day and 100 from 12:00 to 12:20; day 2: 3 agents (60% of day 1) until 11:59.
    let history = emptyDemandHistory();
    for (let minute = 0; minute < 24 * 60 + 12 * 60 - 1; minute++) {
      const demand = minute >= 24 * 60 ? 3 : minute >= 12 * 60 && minute < 12 * 60 + 20 ? 100 : 5;
      history = recordDemand(history, DAY1_MS + minute * MINUTE_MS, demand);
    }
    const nowMs = at(1, 12 * 60 - 1);
    const decision = decideRunning(nowMs, history, { running: 3 });

    expect(forecast(history, nowMs, 120)).toMatchObject({ expected: 100, recurrence: expect.closeTo(0.6, 1) });
    expect(decision.warmPoolMinSize).toBe(2); // the 3 running agents' peak + 2 − 3 running, not the 100 seen once
  });

  it("does not prepare a Saturday for Friday's office hours, while a quieter weekday still is (two sightings)", () => {
    // Office hours 09:00–17:00 at 30 agents on two days (`officeDays`, from Wednesday), then a third day at
    // `thirdDay` agents until 13:59. Thursday and Friday busy, Saturday empty: at 13:59 Saturday, 14:00 was seen on
    // two days, but nothing of Friday came again today. Before, two sightings were always trusted: 28 instances
    // stood stopped all Saturday afternoon.
    const officeHistory = (firstDay: number, thirdDay: number) => {
      let history = emptyDemandHistory();
      for (let minute = 0; minute < 2 * 24 * 60 + 14 * 60 - 1; minute++) {
        const minuteOfDay = minute % (24 * 60);
        const office = minuteOfDay >= 9 * 60 && minuteOfDay < 17 * 60;
        const demand = !office ? 0 : minute < 2 * 24 * 60 ? 30 : thirdDay;
        history = recordDemand(history, at(firstDay, minute), demand);
      }
      return history;
    };

    const saturday = officeHistory(3, 0);
    const saturdayAt1359 = at(5, 14 * 60 - 1);
    const ahead = forecast(saturday, saturdayAt1359, 120);
    expect(ahead).toMatchObject({ expected: 30, confident: 30 });
    expect(ahead.recurrence).toBeLessThan(MIN_RECURRENCE_FOR_TWO_SIGHTINGS);
    const weekend = decideRunning(saturdayAt1359, saturday, { running: 0 });
    expect(weekend.warmPoolMinSize).toBe(ONE_SIGHTING_TRUSTED_AGENTS);
    expect(weekend.reasons).toContain(
      `forecast: only ${Math.round(ahead.recurrence * 100)}% of yesterday's load came again lately (below 50%: a weekend, a holiday) → of 30 agent(s) seen on earlier days, 30 of them on two, only 2 are prepared for`,
    );

    // Wednesday and Thursday busy, Friday at 18 agents (60 % of Thursday): a quieter day, not a broken pattern.
    const quietFriday = officeHistory(2, 18);
    const fridayAt1359 = at(4, 14 * 60 - 1);
    const recurrence = forecast(quietFriday, fridayAt1359, 120).recurrence;
    expect(recurrence).toBeGreaterThan(MIN_RECURRENCE_FOR_TWO_SIGHTINGS);
    expect(recurrence).toBeLessThan(0.7);
    expect(decideRunning(fridayAt1359, quietFriday, { running: 18 }).warmPoolMinSize).toBe(12); // 30 seen on two days − 18 running
  });

  it('keeps the recent peak plus two agents of headroom stopped, giving it back gradually over the break-even', () => {
    // A peak of 42 agents, then 2 running. The window is the default costs' break-even: 120 s × 0.17 $ / 0.0274 $
    // ≈ 745 s. The excess of 40 falls linearly to half of it at the window's end, then to none.
    let history = emptyDemandHistory();
    history = recordDemand(history, at(0, 600), 42, 0.5, 745);
    const decideAt = (seconds: number) => decideRunning(at(0, 600, seconds), history, { running: 2 }).warmPoolMinSize;

    expect(decideAt(0)).toBe(42); // 42 + 2 − 2 running
    expect(decideAt(373)).toBe(32); // 2 + 40 × (1 − 373/1490) = 31.99, + 2 → 34 instances − 2 running
    expect(decideAt(744)).toBe(23); // 2 + 40 × (1 − 744/1490) = 22.03, + 2 → 25 instances − 2 running
    expect(decideAt(800)).toBe(2); // past the break-even: the 2 running, + 2, − 2 running
  });

  it("follows the team's wall clock across a daylight-saving change with forecast.timezone, where UTC slots miss", () => {
    // New York leaves daylight saving time on Sunday 2026-11-01. Saturday's 09:00–09:20 burst of 50 agents was at
    // 13:00 UTC (EDT); Sunday's 09:00 is 14:00 UTC (EST). Every minute from Saturday 00:00 UTC to Sunday 08:58 EST
    // is a decision with that demand, carrying the state as the agent-scaler does.
    const saturdayMs = Date.UTC(2026, 9, 31);
    const sundayAt0858Ms = Date.UTC(2026, 10, 1, 13, 58);
    const decideSunday = (timezone: string) => {
      const config: ScalerConfigInput = { forecast: { enabled: true, timezone }, warmPool: POOL };
      let state = {};
      for (let nowMs = saturdayMs; nowMs < sundayAt0858Ms; nowMs += MINUTE_MS) {
        const hourUtc = new Date(nowMs).getUTCHours();
        const minuteUtc = new Date(nowMs).getUTCMinutes();
        const demand = nowMs < saturdayMs + DAY_MS && hourUtc === 13 && minuteUtc < 20 ? 50 : 0;
        const metrics = { runningJobs: demand, busyAgents: demand, totalAgents: demand };
        const group = { desired: demand, inService: demand, max: 500 };
        state = decide(input({ config, nowMs, metrics, group, state })).nextState;
      }
      return decide(input({ config, nowMs: sundayAt0858Ms, group: { max: 500 }, state }));
    };

    expect(decideSunday('America/New_York').warmPoolMinSize).toBe(50);
    // Slotted in UTC, Saturday's burst sits at 13:00 and Sunday's 09:00 at 14:00: nothing expected a boot ahead.
    expect(decideSunday('UTC').warmPoolMinSize).toBe(0);
  });

  it('keeps the pool within the room below the group max', () => {
    const decision = decideRunning(at(1, 119), burstHistory(1, 119), { max: 50 });

    expect(decision.warmPoolMinSize).toBe(49);
  });

  it('shrinks the pool to its floor when nothing is expected, and says so', () => {
    const history = burstHistory(1, 110);
    const decision = decide(
      input({
        config: { forecast: { enabled: true }, warmPool: { ...POOL, minSize: 1 } },
        nowMs: at(2, 12 * 60),
        state: { demandHistory: recordDemand(emptyDemandHistory(), at(1, 600), 0) },
      }),
    );

    expect(history.lastSlot).toBeGreaterThan(0);
    expect(decision.warmPoolMinSize).toBe(1);
    expect(decision.reasons).toContain('warm pool: forecast expects no demand within 745s → pool min size 1');
  });

  it('lets a stated warm-pool schedule win over the forecast and the waiting jobs (the last matching one)', () => {
    const decision = decide(
      input({
        config: {
          forecast: { enabled: true },
          warmPool: {
            ...POOL,
            schedules: [
              { cron: '* 1 * * *', minSize: 7 },
              { cron: '* 1-2 * * *', timezone: 'Europe/Berlin', minSize: 3 },
              { cron: '* 9 * * *', minSize: 50 },
            ],
          },
        },
        nowMs: at(1, 110),
        metrics: { waitingJobs: 20 },
        state: { demandHistory: burstHistory(1, 110) },
      }),
    );

    expect(decision.warmPoolMinSize).toBe(3);
    expect(decision.reasons).toContain(
      'warm pool: schedule warmPool.schedules[1] matches → pool min size 3 (a stated schedule wins)',
    );
  });

  it('records the demand into the next state on every decision, a hold included, and never on stale metrics', () => {
    const state = { lastScaleOutAtMs: 5 };
    const decision = decide(input({ config: { forecast: { enabled: true } }, metrics: { runningJobs: 0 }, state }));

    expect(decision.action).toBe('hold');
    expect(decision.nextState).not.toBe(state);
    expect(decision.nextState.lastScaleOutAtMs).toBe(5);
    expect(isDemandHistory(decision.nextState.demandHistory)).toBe(true);

    const again = decide(
      input({ config: { forecast: { enabled: true } }, state: decision.nextState, metrics: { runningJobs: 0 } }),
    );

    expect(again.nextState).toBe(decision.nextState);
  });

  it('drops an unreadable history with a reason and starts a new one', () => {
    const decision = decide(
      input({
        config: { forecast: { enabled: true } },
        metrics: { runningJobs: 2 },
        state: { demandHistory: 'v0:3,4' as unknown as DemandHistory },
      }),
    );

    expect(decision.reasons[0]).toBe('demand history in the state is unreadable: dropped, starting a new one');
    expect(isDemandHistory(decision.nextState.demandHistory)).toBe(true);
    expect(forecast(decision.nextState.demandHistory as DemandHistory, decision.inputs.nowMs, 60).recent).toBe(2);
  });
});

describe('decide with forecast.prelaunch', () => {
  const prelaunch: ScalerConfigInput = { forecast: { enabled: true, prelaunch: true }, warmPool: POOL };

  it('pre-launches for a burst recurring on two days, a resume ahead of it', () => {
    const decision = decideRunning(at(2, 119, 30), burstHistory(2, 119), { config: prelaunch });

    expect(decision).toMatchObject({ action: 'scale-out', desired: 200 });
    expect(decision.reasons).toContain(
      'forecast: 200 agent(s) recur within 40s (seen on two days) → pre-launch 200 instance(s)',
    );
  });

  it('does not pre-launch for a burst seen once, nor too early, and boots ahead without a warm pool', () => {
    const once = decide(
      input({ config: prelaunch, nowMs: at(1, 119, 30), state: { demandHistory: burstHistory(1, 119) } }),
    );
    const early = decide(
      input({ config: prelaunch, nowMs: at(2, 118), state: { demandHistory: burstHistory(2, 118) } }),
    );
    const booting = decide(
      input({
        config: { forecast: { enabled: true, prelaunch: true } },
        nowMs: at(2, 118, 30),
        group: { max: 500 },
        state: { demandHistory: burstHistory(2, 118) },
      }),
    );

    expect(once.desired).toBe(0);
    expect(early.desired).toBe(0);
    expect(booting.desired).toBe(200);
  });

  it('does not pre-launch when the demand is already within prelaunchMinAgents of the forecast', () => {
    const decision = decide(
      input({
        config: { ...prelaunch, forecast: { enabled: true, prelaunch: true, prelaunchMinAgents: 150 } },
        nowMs: at(2, 119, 30),
        metrics: { scheduledJobs: 60 },
        group: { max: 500 },
        state: { demandHistory: burstHistory(2, 119) },
      }),
    );

    expect(decision.desired).toBe(60);
  });
});

/** A memory that learned three 300 s waits and holds a cohort of `jobs` that appeared `ageSec` ago. */
function learned(nowMs: number, ageSec: number, jobs: number): WaitingMemory {
  let memory = emptyWaitingMemory();
  for (let build = 0; build < 3; build++) {
    const startMs = nowMs - (build + 2) * 3_600_000;
    memory = recordWaiting(memory, startMs, 10);
    memory = recordWaiting(memory, startMs + 300_000, 0);
  }
  return recordWaiting(memory, nowMs - ageSec * 1000, jobs);
}

describe('decide with dependencies.enabled', () => {
  const NOW = at(0, 600);

  it('starts capacity for waiting jobs a resume before their step typically ends, not earlier', () => {
    const config: ScalerConfigInput = { dependencies: { enabled: true }, warmPool: POOL };
    const early = decide(
      input({
        config,
        nowMs: NOW,
        metrics: { waitingJobs: 75, runningJobs: 1 },
        state: { waitingMemory: learned(NOW, 250, 75) },
      }),
    );
    const due = decide(
      input({
        config,
        nowMs: NOW,
        metrics: { waitingJobs: 75, runningJobs: 1 },
        state: { waitingMemory: learned(NOW, 260, 75) },
      }),
    );

    // The build step's agent takes one of the 75 when the step ends: 74 are prepared.
    expect(early).toMatchObject({ desired: 1, warmPoolMinSize: 74 });
    expect(due).toMatchObject({ action: 'scale-out', desired: 76, warmPoolMinSize: 0 });
    expect(due.reasons).toContain(
      'dependencies: 75 waiting job(s) expected to be scheduled within 40s (typical wait 300s) → counted as demand now',
    );
  });

  it('plans a cold boot ahead when the pool is not prepared for waiting jobs, and adds nothing over includeWaiting', () => {
    const metrics = { waitingJobs: 20, runningJobs: 1 };
    const state = { waitingMemory: learned(NOW, 180, 20) };
    const booting = decide(input({ config: { dependencies: { enabled: true } }, nowMs: NOW, metrics, state }));
    const withIncludeWaiting = decide(
      input({ config: { dependencies: { enabled: true }, includeWaiting: true }, nowMs: NOW, metrics, state }),
    );

    expect(booting.desired).toBe(21);
    expect(withIncludeWaiting.desired).toBe(20);
  });

  it('acts only after minSamples waits, and keeps the memory in the next state', () => {
    const decision = decide(
      input({
        config: { dependencies: { enabled: true, minSamples: 4 } },
        nowMs: NOW,
        metrics: { waitingJobs: 20 },
        state: { waitingMemory: learned(NOW, 1000, 20) },
      }),
    );

    expect(decision.desired).toBe(0);
    expect(decision.nextState.waitingMemory).toMatchObject({ waiting: 20, blockSec: [300, 300, 300] });
  });

  it('drops an unreadable memory with a reason and starts a new one', () => {
    const decision = decide(
      input({
        config: { dependencies: { enabled: true } },
        metrics: { waitingJobs: 4 },
        state: { waitingMemory: [1] as unknown as WaitingMemory },
      }),
    );

    expect(decision.reasons[0]).toBe('waiting-job memory in the state is unreadable: dropped, starting a new one');
    expect(decision.nextState.waitingMemory).toMatchObject({ waiting: 4, blockSec: [] });
  });
});

describe('Function: poolBreakEvenSec', () => {
  const costsOf = (costs: ScalerConfigInput['costs']) => parseScalerConfig({ costs }).costs;

  it('is the boot compute over the volume price, at least a boot and at most an hour', () => {
    expect(poolBreakEvenSec(costsOf({}))).toBe(745);
    expect(poolBreakEvenSec(costsOf({ instanceHour: 0.001 }))).toBe(120);
    expect(poolBreakEvenSec(costsOf({ volumeHour: 0 }))).toBe(3600);
    expect(poolBreakEvenSec(costsOf({ instanceHour: 5 }))).toBe(3600);
  });
});
