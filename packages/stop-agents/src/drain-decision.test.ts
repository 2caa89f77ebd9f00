import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DrainInput,
  decideDrainStep,
  type GroupSnapshot,
  MAX_STOP_COMMANDS,
  MIN_WAIT_MS,
  RESEND_AFTER_MS,
  TICK_ALLOWANCE_MS,
} from './drain-decision';

const NOW = 1_000_000;

function group(states: string[], sizes: { min?: number; desired?: number } = {}): GroupSnapshot {
  return {
    exists: true,
    minSize: sizes.min ?? 0,
    maxSize: 10,
    desiredCapacity: sizes.desired ?? 0,
    instances: states.map((lifecycleState, index) => ({ instanceId: `i-${index}`, lifecycleState })),
  };
}

function input(overrides: Partial<DrainInput>): DrainInput {
  return {
    now: NOW,
    drainDeadlineAt: NOW + 3_000_000,
    invocationDeadlineAt: NOW + 800_000,
    pollIntervalMs: 15_000,
    group: group(['InService']),
    commands: [],
    invocations: [],
    ...overrides,
  };
}

describe('Function: decideDrainStep', () => {
  it('first zeroes the group, then tells every agent to stop, then waits one poll interval', () => {
    const step = decideDrainStep(input({ group: group(['InService', 'InService'], { min: 1, desired: 2 }) }));

    expect(step).toEqual({
      kind: 'in-progress',
      actions: [
        { kind: 'zero-capacity' },
        { kind: 'send-stop-command', uncoveredInstanceIds: ['i-0', 'i-1'], targetInstanceIds: ['i-0', 'i-1'] },
      ],
      next: { kind: 'wait', ms: 15_000 },
      remainingInstanceIds: ['i-0', 'i-1'],
      reason: '2 instance(s) still draining; 2 not yet told to stop',
    });
  });

  it('finishes drained when the group is gone', () => {
    expect(decideDrainStep(input({ group: { exists: false } }))).toMatchObject({
      kind: 'finished',
      outcome: 'drained',
    });
  });

  it('finishes drained when only terminated instances are listed', () => {
    expect(decideDrainStep(input({ group: group(['Terminated']) }))).toMatchObject({
      kind: 'finished',
      outcome: 'drained',
    });
  });

  it('gives up at the drain deadline naming what is left, and does nothing to it', () => {
    const step = decideDrainStep(input({ drainDeadlineAt: NOW, group: group(['InService', 'Terminating:Wait']) }));

    expect(step).toEqual({
      kind: 'finished',
      outcome: 'deadline',
      remainingInstanceIds: ['i-0', 'i-1'],
      reason: '2 instance(s) still running at the drain deadline: i-0, i-1',
    });
  });

  it('only waits while the agents that were told finish their jobs', () => {
    const step = decideDrainStep(
      input({
        group: group(['InService', 'Terminating:Wait']),
        commands: [{ commandId: 'c-1', sentAt: NOW - 1_000 }],
        invocations: [{ commandId: 'c-1', instanceId: 'i-0', status: 'Success' }],
      }),
    );

    expect(step).toMatchObject({ kind: 'in-progress', actions: [], next: { kind: 'wait', ms: 15_000 } });
  });

  it('re-sends for an instance the first command missed, once SSM had time to list it', () => {
    const base = {
      group: group(['InService', 'InService']),
      invocations: [
        { commandId: 'c-1', instanceId: 'i-0', status: 'Success' },
        { commandId: 'c-1', instanceId: 'i-1', status: 'Failed' },
      ],
    };

    const tooSoon = decideDrainStep(
      input({ ...base, commands: [{ commandId: 'c-1', sentAt: NOW - RESEND_AFTER_MS + 1 }] }),
    );
    const due = decideDrainStep(input({ ...base, commands: [{ commandId: 'c-1', sentAt: NOW - RESEND_AFTER_MS }] }));

    expect(tooSoon).toMatchObject({ actions: [] });
    expect(due).toMatchObject({ actions: [{ kind: 'send-stop-command', uncoveredInstanceIds: ['i-1'] }] });
  });

  it('tells an instance that came into service after every command at once, without waiting for SSM to list it', () => {
    // i-1 was Pending when c-1 went out (not among its targets); now it runs an agent that could take jobs.
    const base = {
      group: group(['InService', 'InService']),
      invocations: [{ commandId: 'c-1', instanceId: 'i-0', status: 'Success' }],
    };
    const late = decideDrainStep(
      input({ ...base, commands: [{ commandId: 'c-1', sentAt: NOW - 5_000, targetInstanceIds: ['i-0'] }] }),
    );
    expect(late).toMatchObject({
      actions: [{ kind: 'send-stop-command', uncoveredInstanceIds: ['i-1'], targetInstanceIds: ['i-0', 'i-1'] }],
    });
    // A target SSM has not listed yet waits, as before; so does state saved before targets were recorded.
    const targetedNotListed = decideDrainStep(
      input({ ...base, commands: [{ commandId: 'c-1', sentAt: NOW - 5_000, targetInstanceIds: ['i-0', 'i-1'] }] }),
    );
    const olderState = decideDrainStep(input({ ...base, commands: [{ commandId: 'c-1', sentAt: NOW - 5_000 }] }));
    expect(targetedNotListed).toMatchObject({ actions: [] });
    expect(olderState).toMatchObject({ actions: [] });
  });

  it('does not tell instances without a running agent (pending, terminating) to stop', () => {
    const step = decideDrainStep(
      input({
        group: group(['Pending', 'Terminating:Wait', 'Warmed:Stopped']),
        commands: [{ commandId: 'c-1', sentAt: NOW - 10 * RESEND_AFTER_MS }],
      }),
    );

    expect(step).toMatchObject({ kind: 'in-progress', actions: [] });
  });

  it('stops re-sending after the maximum number of commands', () => {
    const commands = Array.from({ length: MAX_STOP_COMMANDS }, (_, index) => ({
      commandId: `c-${index}`,
      sentAt: NOW - 10 * RESEND_AFTER_MS,
    }));

    expect(decideDrainStep(input({ commands }))).toMatchObject({ actions: [] });
  });

  it('waits what this invocation has left, and hands over when under a second is left', () => {
    const fits = decideDrainStep(input({ invocationDeadlineAt: NOW + 15_000 + TICK_ALLOWANCE_MS }));
    const shortened = decideDrainStep(input({ invocationDeadlineAt: NOW + 4_000 + TICK_ALLOWANCE_MS }));
    const doesNotFit = decideDrainStep(input({ invocationDeadlineAt: NOW + MIN_WAIT_MS - 1 + TICK_ALLOWANCE_MS }));

    expect(fits).toMatchObject({ next: { kind: 'wait', ms: 15_000 } });
    expect(shortened).toMatchObject({ next: { kind: 'wait', ms: 4_000 } });
    expect(doesNotFit).toMatchObject({ next: { kind: 'continue' } });
  });

  it('never waits past the drain deadline', () => {
    expect(decideDrainStep(input({ drainDeadlineAt: NOW + 4_000 }))).toMatchObject({
      next: { kind: 'wait', ms: 4_000 },
    });
  });
});

describe('Function: decideDrainStep properties', () => {
  const lifecycleState = fc.constantFrom(
    'Pending',
    'InService',
    'Standby',
    'Terminating',
    'Terminating:Wait',
    'Terminating:Proceed',
    'Terminated',
  );
  const arbitraryInput = fc.record({
    now: fc.integer({ min: 0, max: 10_000_000 }),
    drainIn: fc.integer({ min: -100_000, max: 4_000_000 }),
    invocationIn: fc.integer({ min: 0, max: 900_000 }),
    pollIntervalMs: fc.integer({ min: 5_000, max: 300_000 }),
    exists: fc.boolean(),
    minSize: fc.nat(5),
    desiredCapacity: fc.nat(10),
    states: fc.array(lifecycleState, { maxLength: 12 }),
    sentAgo: fc.array(fc.nat(600_000), { maxLength: MAX_STOP_COMMANDS + 2 }),
    statuses: fc.array(fc.constantFrom('Pending', 'InProgress', 'Success', 'Failed', 'TimedOut', 'Cancelled'), {
      maxLength: 12,
    }),
  });

  type Sample = typeof arbitraryInput extends fc.Arbitrary<infer T> ? T : never;

  function build(sample: Sample): DrainInput {
    const instances = sample.states.map((state, index) => ({ instanceId: `i-${index}`, lifecycleState: state }));
    return {
      now: sample.now,
      drainDeadlineAt: sample.now + sample.drainIn,
      invocationDeadlineAt: sample.now + sample.invocationIn,
      pollIntervalMs: sample.pollIntervalMs,
      group: sample.exists
        ? { exists: true, minSize: sample.minSize, maxSize: 10, desiredCapacity: sample.desiredCapacity, instances }
        : { exists: false },
      commands: sample.sentAgo.map((ago, index) => ({ commandId: `c-${index}`, sentAt: sample.now - ago })),
      invocations: sample.statuses.map((status, index) => ({ commandId: 'c-0', instanceId: `i-${index}`, status })),
    };
  }

  it('finishes drained exactly when nothing but terminated instances is left', () => {
    fc.assert(
      fc.property(arbitraryInput, (sample) => {
        const decision = build(sample);
        const step = decideDrainStep(decision);
        const left = decision.group.exists
          ? decision.group.instances.filter((instance) => instance.lifecycleState !== 'Terminated').length
          : 0;
        expect(step.kind === 'finished' && step.outcome === 'drained').toBe(left === 0);
      }),
    );
  });

  it('gives up only at or after the drain deadline, and keeps going before it', () => {
    fc.assert(
      fc.property(arbitraryInput, (sample) => {
        const decision = build(sample);
        const step = decideDrainStep(decision);
        if (step.kind === 'finished' && step.outcome === 'deadline') {
          expect(decision.now).toBeGreaterThanOrEqual(decision.drainDeadlineAt);
          expect(step.remainingInstanceIds.length).toBeGreaterThan(0);
        }
        if (step.kind === 'in-progress') expect(decision.now).toBeLessThan(decision.drainDeadlineAt);
      }),
    );
  });

  it('keeps capacity at zero, sends at most the maximum of commands, and never sleeps past a deadline', () => {
    fc.assert(
      fc.property(arbitraryInput, (sample) => {
        const decision = build(sample);
        const step = decideDrainStep(decision);
        if (step.kind !== 'in-progress' || !decision.group.exists) return;
        const zeroes = step.actions.some((action) => action.kind === 'zero-capacity');
        expect(zeroes).toBe(decision.group.minSize > 0 || decision.group.desiredCapacity > 0);
        const sends = step.actions.filter((action) => action.kind === 'send-stop-command').length;
        expect(decision.commands.length + sends).toBeLessThanOrEqual(
          Math.max(MAX_STOP_COMMANDS, decision.commands.length),
        );
        if (decision.commands.length === 0) expect(sends).toBe(1);
        if (step.next.kind === 'wait') {
          expect(step.next.ms).toBeGreaterThanOrEqual(MIN_WAIT_MS);
          expect(step.next.ms).toBeLessThanOrEqual(decision.pollIntervalMs);
          expect(decision.now + step.next.ms).toBeLessThanOrEqual(decision.drainDeadlineAt);
          expect(decision.now + step.next.ms + TICK_ALLOWANCE_MS).toBeLessThanOrEqual(decision.invocationDeadlineAt);
        }
      }),
    );
  });
});
