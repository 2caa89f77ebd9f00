import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextStopStep, type StopSituation } from './stop-agent-plan';

const base: StopSituation = {
  nowMs: 0,
  deadlineMs: undefined,
  agentRunning: true,
  sigtermSent: false,
  sigquitSent: false,
  sigquitLeadMs: 20_000,
  pollMs: 1_000,
};

describe('Function: nextStopStep', () => {
  it('sends SIGTERM first, then waits for the agent without a deadline', () => {
    // Act
    const first = nextStopStep(base);
    const then = nextStopStep({ ...base, sigtermSent: true, nowMs: 10_000_000 });

    // Assess
    expect(first).toEqual({ kind: 'sigterm' });
    expect(then).toEqual({ kind: 'wait', ms: 1_000 });
  });

  it('sends SIGQUIT 20 s before a spot deadline and wakes up exactly then', () => {
    // Prepare
    const spot = { ...base, sigtermSent: true, deadlineMs: 120_000 };

    // Act
    const early = nextStopStep({ ...spot, nowMs: 99_500 });
    const due = nextStopStep({ ...spot, nowMs: 100_000 });
    const after = nextStopStep({ ...spot, nowMs: 101_000, sigquitSent: true });

    // Assess
    expect(early).toEqual({ kind: 'wait', ms: 500 });
    expect(due).toEqual({ kind: 'sigquit' });
    expect(after).toEqual({ kind: 'wait', ms: 1_000 });
  });

  it('is done as soon as the agent has exited', () => {
    // Act
    const step = nextStopStep({ ...base, agentRunning: false });

    // Assess
    expect(step).toEqual({ kind: 'done', reason: 'agent-stopped' });
  });

  it('never repeats SIGTERM, never sends SIGQUIT without a deadline or before its time, never waits 0 ms', () => {
    fc.assert(
      fc.property(
        fc.record({
          nowMs: fc.integer({ min: 0, max: 1e9 }),
          deadlineMs: fc.option(fc.integer({ min: 0, max: 1e9 }), { nil: undefined }),
          agentRunning: fc.boolean(),
          sigtermSent: fc.boolean(),
          sigquitSent: fc.boolean(),
          sigquitLeadMs: fc.integer({ min: 0, max: 60_000 }),
          pollMs: fc.integer({ min: 1, max: 10_000 }),
        }),
        (situation) => {
          const step = nextStopStep(situation);
          if (step.kind === 'sigterm') expect(situation.sigtermSent).toBe(false);
          if (step.kind === 'sigquit') {
            expect(situation.deadlineMs).toBeDefined();
            expect(situation.sigquitSent).toBe(false);
            expect(situation.nowMs).toBeGreaterThanOrEqual((situation.deadlineMs ?? 0) - situation.sigquitLeadMs);
          }
          if (step.kind === 'wait') {
            expect(step.ms).toBeGreaterThan(0);
            expect(step.ms).toBeLessThanOrEqual(situation.pollMs);
          }
          if (!situation.agentRunning) expect(step.kind).toBe('done');
        },
      ),
    );
  });
});
