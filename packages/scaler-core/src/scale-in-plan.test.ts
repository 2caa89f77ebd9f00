import { describe, expect, it } from 'vitest';
import { isDrainable, planScaleIn } from './scale-in-plan.js';
import { instance, MINUTE_MS, NOW_MS } from './test-fixtures.js';

const fleet = [
  instance({ id: 'i-b', launchedAtMs: NOW_MS - 60 * MINUTE_MS, idleSinceMs: NOW_MS - 5 * MINUTE_MS }),
  instance({ id: 'i-a', launchedAtMs: NOW_MS - 90 * MINUTE_MS, idleSinceMs: NOW_MS - 1 * MINUTE_MS }),
  instance({ id: 'i-busy', launchedAtMs: NOW_MS - 500 * MINUTE_MS, busyAgents: 1, idleAgents: 0 }),
  instance({ id: 'i-c', launchedAtMs: NOW_MS - 30 * MINUTE_MS, idleSinceMs: NOW_MS - 20 * MINUTE_MS }),
];

describe('Function: planScaleIn', () => {
  it('drains the oldest idle instances first by default, never the busy one', () => {
    expect(planScaleIn(fleet, { count: 2, nowMs: NOW_MS })).toEqual(['i-a', 'i-b']);
    expect(planScaleIn(fleet, { count: 10, nowMs: NOW_MS })).toEqual(['i-a', 'i-b', 'i-c']);
  });

  it('never drains an instance listed twice, nor counts its idle slots twice', () => {
    // Prepare: i-a listed twice (once idle, once busy), i-b listed twice identically
    const listedTwice = [
      instance({ id: 'i-a', launchedAtMs: NOW_MS - 90 * MINUTE_MS }),
      instance({ id: 'i-a', launchedAtMs: NOW_MS - 90 * MINUTE_MS, busyAgents: 1, idleAgents: 0 }),
      instance({ id: 'i-b', launchedAtMs: NOW_MS - 80 * MINUTE_MS, idleAgents: 2 }),
      instance({ id: 'i-b', launchedAtMs: NOW_MS - 80 * MINUTE_MS, idleAgents: 2 }),
      instance({ id: 'i-c', launchedAtMs: NOW_MS - 70 * MINUTE_MS, idleAgents: 2 }),
      instance({ id: 'i-d', launchedAtMs: NOW_MS - 60 * MINUTE_MS, idleAgents: 2 }),
    ];

    // Act / Assess: 1 + 2 + 2 + 2 idle slots, not 1 + 2 + 2 + 2 + 2; a floor of 5 leaves room for one drain
    expect(planScaleIn(listedTwice, { count: 4, nowMs: NOW_MS })).toEqual(['i-c', 'i-d']);
    expect(planScaleIn(listedTwice, { count: 4, nowMs: NOW_MS, idleFloorSlots: 5 })).toEqual(['i-c']);
  });

  it('drains the newest first, or the longest idle first, when configured', () => {
    expect(planScaleIn(fleet, { count: 2, nowMs: NOW_MS, order: 'newest-first' })).toEqual(['i-c', 'i-b']);
    expect(planScaleIn(fleet, { count: 2, nowMs: NOW_MS, order: 'longest-idle-first' })).toEqual(['i-c', 'i-b']);
  });

  it('breaks launch-time ties by id and puts instances without an idle time last', () => {
    const twins = [
      instance({ id: 'i-2', launchedAtMs: 0 }),
      instance({ id: 'i-1', launchedAtMs: 0 }),
      instance({ id: 'i-10', launchedAtMs: 0 }),
    ];
    const unknownIdle = { ...instance({ id: 'i-unknown', launchedAtMs: 0 }), idleSinceMs: undefined } as never;
    const unknownIdleNewer = { ...instance({ id: 'i-unknown-2', launchedAtMs: 1 }), idleSinceMs: undefined } as never;

    expect(planScaleIn(twins, { count: 3, nowMs: NOW_MS })).toEqual(['i-1', 'i-10', 'i-2']);
    expect(
      planScaleIn([unknownIdleNewer, unknownIdle, instance({ id: 'i-known' }), instance({ id: 'i-known-2' })], {
        count: 4,
        nowMs: NOW_MS,
        order: 'longest-idle-first',
      }),
    ).toEqual(['i-known', 'i-known-2', 'i-unknown', 'i-unknown-2']);
  });

  it('respects the minimum running time and the minimum idle time', () => {
    expect(planScaleIn(fleet, { count: 3, nowMs: NOW_MS, minRunningTimeSec: 45 * 60 })).toEqual(['i-a', 'i-b']);
    expect(planScaleIn(fleet, { count: 3, nowMs: NOW_MS, minIdleSec: 10 * 60 })).toEqual(['i-c']);
  });

  it('keeps the idle floor of job slots on the instances left running', () => {
    // Prepare: 3 idle slots in service; a floor of 2 allows draining only one
    expect(planScaleIn(fleet, { count: 3, nowMs: NOW_MS, idleFloorSlots: 2 })).toEqual(['i-a']);
  });

  it('skips an instance whose slots would break the floor but takes a smaller one', () => {
    const mixed = [
      instance({ id: 'i-big', idleAgents: 4, launchedAtMs: 0 }),
      instance({ id: 'i-small', idleAgents: 1 }),
    ];

    expect(planScaleIn(mixed, { count: 2, nowMs: NOW_MS, idleFloorSlots: 3 })).toEqual(['i-small']);
  });

  it('returns nothing for a non-positive count', () => {
    expect(planScaleIn(fleet, { count: 0, nowMs: NOW_MS })).toEqual([]);
  });
});

describe('Function: isDrainable', () => {
  it.each([
    ['pending', instance({ id: 'i', lifecycleState: 'Pending' }), false],
    ['warmed', instance({ id: 'i', lifecycleState: 'Warmed:Running' }), false],
    ['busy', instance({ id: 'i', busyAgents: 2 }), false],
    ['of unknown busyness', instance({ id: 'i', busyAgents: Number.NaN }), false],
    ['idle and old', instance({ id: 'i', idleAgents: Number.NaN }), true],
  ])('answers for an instance %s', (_name, candidate, expected) => {
    expect(isDrainable(candidate, NOW_MS, 0, 0)).toBe(expected);
  });

  it('needs an idle-since time when a minimum idle time is set', () => {
    const { idleSinceMs: _dropped, ...withoutIdleSince } = instance({ id: 'i' });

    expect(isDrainable(withoutIdleSince, NOW_MS, 0, 60)).toBe(false);
    expect(isDrainable(instance({ id: 'i' }), NOW_MS, 0, 60)).toBe(true);
  });
});
