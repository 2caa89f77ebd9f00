import { describe, expect, it } from 'vitest';
import { parsePolicy } from './policy.js';
import { buildReport, formatReport, summarize } from './report.js';
import type { ScalingPolicy } from './scaling-policy.js';
import { simulate } from './simulation.js';
import { controlOf, fixed, fleetOf, ReactivePolicy, ScriptedPolicy, traceOf } from './test-support.js';

const trace = traceOf([
  { id: 'a', at: 5, duration: 50 },
  { id: 'b', at: 5, duration: 50 },
]);

function summaryOf(name: string, policy: ScalingPolicy = new ReactivePolicy()) {
  const result = simulate({
    trace,
    fleet: fleetOf({ bootSec: fixed(100), agentRegistrationSec: 0 }),
    control: controlOf(),
    policy,
    seed: 1,
    queue: 'default',
  });
  return summarize(parsePolicy({ name, description: `${name} policy` }, name), result);
}

describe('Function: buildReport / formatReport', () => {
  it('computes percentiles, costs and ratios against the chosen baseline', () => {
    const reactive = summaryOf('reactive');
    const report = buildReport(trace, 'default', 1, [summaryOf('first'), reactive], 'reactive');
    expect(report.baseline).toBe('reactive');
    expect(reactive.waitSec).toEqual({ p50: 105, p95: 105, p99: 105, max: 105, mean: 105 });
    expect(reactive.cost.total).toBeCloseTo(reactive.cost.compute + reactive.cost.volume, 2);
    expect(report.ratios.map((ratio) => ratio.waitP95)).toEqual([1, 1]);
    expect(report.trace).toMatchObject({ name: 'micro', jobs: 2, queue: 'default' });
  });

  it('shows ∞ against a zero baseline and a row for jobs that never finished', () => {
    const idle = summaryOf('never', new ScriptedPolicy(() => ({ desired: 0 })));
    const report = buildReport(trace, 'default', 1, [idle, summaryOf('reactive')]);
    expect(report.ratios[1]?.instanceHours).toBeNull();
    const table = formatReport(report);
    expect(table).toMatch(/jobs never finished\s+2\s+0/);
    expect(table).toMatch(/instance-hours vs never\s+1\.00×\s+∞/);
  });
});
