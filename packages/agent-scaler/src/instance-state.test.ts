import { AGENT_STATE_TAG, formatIdleSinceTag, IDLE_SINCE_TAG } from '@elastic-ci/agent-instance/instance-state-tags';
import { planScaleIn } from '@elastic-ci/scaler-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readInstanceAgentState, toInstanceView } from './instance-state';
import type { GroupInstance } from './ports';

const NOW_MS = Date.UTC(2026, 11, 7, 1, 0, 0);
const HOUR_MS = 3_600_000;
const idle: GroupInstance = { id: 'i-idle', lifecycleState: 'InService', protectedFromScaleIn: false };

describe('Function: readInstanceAgentState', () => {
  it('reads the idle time the instance side writes (one writer, one reader)', () => {
    // Prepare: the tag exactly as agent-instance's job-finished writes it
    const idleSince = NOW_MS - 25 * 60_000;
    const tags = { [IDLE_SINCE_TAG]: formatIdleSinceTag(idleSince), [AGENT_STATE_TAG]: 'running' };

    // Act
    const state = readInstanceAgentState(tags);

    // Assess
    expect(state).toEqual({ speaksContract: true, idleSinceMs: idleSince, agentRunning: true });
  });

  it('reads no idle time and no running agent from instances without the tags or with bad values', () => {
    expect(readInstanceAgentState({})).toEqual({ speaksContract: false, idleSinceMs: undefined, agentRunning: false });
    expect(readInstanceAgentState({ [IDLE_SINCE_TAG]: 'yesterday', [AGENT_STATE_TAG]: 'Running!' })).toEqual({
      speaksContract: true,
      idleSinceMs: undefined,
      agentRunning: false,
    });
    expect(readInstanceAgentState({ [AGENT_STATE_TAG]: 'stopped' }).agentRunning).toBe(false);
  });
});

describe('Function: toInstanceView', () => {
  it('gives an idle instance its idle time from the tag', () => {
    // Act
    const view = toInstanceView(
      idle,
      { launchedAtMs: NOW_MS - HOUR_MS, tags: { [IDLE_SINCE_TAG]: formatIdleSinceTag(NOW_MS - 60_000) } },
      NOW_MS,
      2,
    );

    // Assess
    expect(view).toEqual({
      id: 'i-idle',
      launchedAtMs: NOW_MS - HOUR_MS,
      lifecycleState: 'InService',
      busyAgents: 0,
      idleAgents: 2,
      idleSinceMs: NOW_MS - 60_000,
    });
  });

  it('counts an unprotected instance that speaks the contract but has no idle tag as busy (a job runs)', () => {
    // Prepare: protection switched off or not yet applied, but the first job removed the idle tag
    const details = { launchedAtMs: NOW_MS - HOUR_MS, tags: { [AGENT_STATE_TAG]: 'running' } };

    // Act
    const view = toInstanceView(idle, details, NOW_MS, 1);

    // Assess
    expect(Number.isNaN(view.busyAgents)).toBe(true);
    expect(view.idleSinceMs).toBeUndefined();
    expect(planScaleIn([view], { count: 1, nowMs: NOW_MS })).toEqual([]);
  });

  it('judges an instance without any contract tag by protection alone, with no idle time', () => {
    // Act
    const view = toInstanceView(idle, { launchedAtMs: NOW_MS - HOUR_MS, tags: {} }, NOW_MS, 1);

    // Assess
    expect(view.busyAgents).toBe(0);
    expect(view.idleSinceMs).toBeUndefined();
    expect(planScaleIn([view], { count: 1, nowMs: NOW_MS, minIdleSec: 60 })).toEqual([]);
  });

  it('counts an idle time in the future (a skewed instance clock) from now', () => {
    // Act
    const view = toInstanceView(
      idle,
      { launchedAtMs: NOW_MS - HOUR_MS, tags: { [IDLE_SINCE_TAG]: formatIdleSinceTag(NOW_MS + HOUR_MS) } },
      NOW_MS,
      1,
    );

    // Assess
    expect(view.idleSinceMs).toBe(NOW_MS);
  });

  it('never lets a protected instance or one without a launch time be drained, whatever its tags (property)', () => {
    const tagValue = fc.oneof(
      fc.constant(undefined),
      fc.string(),
      fc.integer({ min: NOW_MS - 48 * HOUR_MS, max: NOW_MS + HOUR_MS }).map((ms) => formatIdleSinceTag(ms)),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(true, undefined),
        fc.option(fc.integer({ min: NOW_MS - 48 * HOUR_MS, max: NOW_MS }), { nil: undefined }),
        tagValue,
        fc.constantFrom(undefined, 'running', 'stopped', 'bogus'),
        fc.boolean(),
        (protectedFromScaleIn, launchedAtMs, idleSince, agentState, dropLaunch) => {
          const tags: Record<string, string> = {};
          if (idleSince !== undefined) tags[IDLE_SINCE_TAG] = idleSince;
          if (agentState !== undefined) tags[AGENT_STATE_TAG] = agentState;
          const instance = { id: 'i-x', lifecycleState: 'InService', protectedFromScaleIn };
          const busy = toInstanceView(instance, { launchedAtMs, tags }, NOW_MS, 1);
          const unknownLaunch = toInstanceView(
            { ...instance, protectedFromScaleIn: false },
            dropLaunch ? undefined : { launchedAtMs: undefined, tags },
            NOW_MS,
            1,
          );
          expect(planScaleIn([busy, unknownLaunch], { count: 2, nowMs: NOW_MS, order: 'longest-idle-first' })).toEqual(
            [],
          );
        },
      ),
    );
  });
});
