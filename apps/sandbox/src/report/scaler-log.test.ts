import { describe, expect, it } from 'vitest';
import { countScalerPasses, medianScheduledPassGapMs, scalingActionsFromLogLines } from './scaler-log';

const record = (fields: Record<string, unknown>) =>
  JSON.stringify({ level: 'INFO', message: 'scaling decision', timestamp: '2026-12-07T03:00:10.000Z', ...fields });

describe('scalingActionsFromLogLines', () => {
  it('counts the calls as the simulator does: set-desired changes, one terminate per drained instance, pool updates', () => {
    // Arrange: the sandbox started at 03:00:00.000 real time, at 60×.
    const startMs = Date.parse('2026-12-07T03:00:00.000Z');
    const lines = [
      'START RequestId: x',
      record({ previousDesired: 0, desired: 2, changed: true, drained: [] }),
      record({ previousDesired: 2, desired: 2, changed: false, drained: [] }),
      record({
        timestamp: '2026-12-07T03:00:20.000Z',
        previousDesired: 2,
        desired: 0,
        changed: true,
        drained: ['i-1', 'i-2'],
        warmPool: { status: 'updated', previousMinSize: 1, minSize: 0 },
      }),
      record({ previousDesired: 0, desired: 0, changed: true, drained: [], warmPool: { status: 'unchanged' } }),
      `2026-12-07T03:00:30Z\t${record({ message: 'scaling decision', previousDesired: 0, desired: 1, changed: true, drained: [] })}`,
      '{"message":"scaling decision", broken',
      JSON.stringify({ message: 'something else "scaling decision"' }),
    ];

    // Act
    const actions = scalingActionsFromLogLines(lines, (epochMs) => ((epochMs - startMs) / 1000) * 60);

    // Assess: 10 s real = 600 world s, 20 s real = 1200 world s.
    expect(actions).toEqual([
      { atSec: 600, kind: 'SetDesiredCapacity' },
      { atSec: 600, kind: 'SetDesiredCapacity' },
      { atSec: 1200, kind: 'TerminateInstanceInAutoScalingGroup' },
      { atSec: 1200, kind: 'TerminateInstanceInAutoScalingGroup' },
      { atSec: 1200, kind: 'PutWarmPool' },
    ]);
  });
});

describe('countScalerPasses', () => {
  it('counts one pass per decision record, whatever it decided', () => {
    expect(
      countScalerPasses([
        record({ changed: false }),
        record({ changed: true }),
        '{"message":"scaling lease held by another pass; no scaling action here"}',
        'END RequestId: x',
      ]),
    ).toBe(2);
  });
});

describe('medianScheduledPassGapMs', () => {
  it('takes the median gap between consecutive scheduled passes of each invocation, ignoring webhook passes', () => {
    // Arrange: invocation a at 0.0, 0.5, 1.5 s (gaps 500, 1000 ms); invocation b at 10.0, 10.7 s (gap 700 ms); a
    // webhook pass between them counts for neither; a pass of another invocation never makes a gap across the two.
    const at = (sec: number) => new Date(Date.parse('2026-12-07T03:00:00.000Z') + sec * 1000).toISOString();
    const lines = [
      record({ trigger: 'schedule', requestId: 'a', timestamp: at(1.5) }),
      record({ trigger: 'schedule', requestId: 'a', timestamp: at(0) }),
      record({ trigger: 'webhook', timestamp: at(0.2) }),
      record({ trigger: 'schedule', requestId: 'a', timestamp: at(0.5) }),
      record({ trigger: 'schedule', requestId: 'b', timestamp: at(10) }),
      record({ trigger: 'schedule', requestId: 'b', timestamp: at(10.7) }),
      '{"message":"scaling lease held by another pass; no scaling action here","trigger":"schedule"}',
    ];

    // Act / Assess: gaps 500, 700, 1000 ms → median 700 ms.
    expect(medianScheduledPassGapMs(lines)).toBe(700);
  });

  it('is undefined without two scheduled passes in one invocation', () => {
    expect(medianScheduledPassGapMs([record({ trigger: 'schedule', requestId: 'a' })])).toBeUndefined();
    expect(
      medianScheduledPassGapMs([
        record({ trigger: 'schedule', requestId: 'a' }),
        record({ trigger: 'schedule', requestId: 'b' }),
      ]),
    ).toBeUndefined();
  });
});
