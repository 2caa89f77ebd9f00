import { describe, expect, it } from 'vitest';
import { comparePolicies } from './compare.js';
import { parsePolicy } from './policy.js';
import { BUILDKITE_VARIANT_NAMES, PRESETS } from './presets.js';
import { resolvePolicy } from './resolve-policy.js';
import { scalerConfigOf } from './scaler-core-policy.js';
import { traceOf } from './test-support.js';

const VARIANTS = [
  'buildkite-tuned-include-waiting',
  'buildkite-tuned-idle-300',
  'buildkite-tuned-include-waiting-idle-300',
] as const;

/**
 * A policy file extending the preset with hand-computable physics: every boot exactly 95 s (never ending on a poll), the agent takes jobs
 * the moment the instance is in service.
 */
function handPolicy(preset: string) {
  const file = JSON.stringify({
    name: `${preset}-hand`,
    extends: preset,
    fleet: { bootSec: { kind: 'fixed', sec: 95 }, agentRegistrationSec: 0 },
  });
  return resolvePolicy('hand.json', () => file);
}

// One build: a 217 s build step created at 5 s, then four 60 s tests behind a wait step.
const FAN_OUT = traceOf([
  { id: 'build', at: 5, duration: 217 },
  ...[1, 2, 3, 4].map((n) => ({ id: `test-${n}`, at: 5, duration: 60, dependsOn: ['build'] })),
]);

function runHand(preset: string) {
  const [run] = comparePolicies({ trace: FAN_OUT, policies: [handPolicy(preset)], seed: 1 });
  if (run === undefined) throw new Error('no run');
  return run.result;
}

describe('Buildkite variant presets', () => {
  it('lists buildkite-tuned and its three variants as the configurations the benchmarks compare with', () => {
    expect(BUILDKITE_VARIANT_NAMES).toEqual(['buildkite-tuned', ...VARIANTS]);
  });

  it.each(VARIANTS)('%s extends buildkite-tuned and changes only its own settings', (name) => {
    const tuned = parsePolicy(PRESETS['buildkite-tuned'], 'tuned');
    const variant = resolvePolicy(name, () => {
      throw new Error('no files');
    });
    expect(variant.extends).toBe('buildkite-tuned');
    const includeWaiting = name.includes('include-waiting');
    const idle300 = name.includes('idle-300');
    expect(scalerConfigOf(variant).includeWaiting).toBe(includeWaiting);
    expect(variant.fleet.idleTimeoutSec).toBe(idle300 ? 300 : 600);
    const { includeWaiting: _ignored, ...scalerRest } = variant.scaler;
    expect(scalerRest).toEqual(tuned.scaler);
    expect({ ...variant.fleet, idleTimeoutSec: 600 }).toEqual(tuned.fleet);
    expect(variant.control).toEqual(tuned.control);
  });

  it('buildkite-tuned boots for the tests only once the build step ends', () => {
    // Poll at 10 s launches one instance (in service at 105 s): the build waits 100 s and ends at 322 s; test-1 takes
    // its agent, the poll at 330 s launches 3 more (in service at 425 s). test-2 gets the first agent back at 382 s
    // (60 s), tests 3 and 4 wait for the boot (103 s) and the third new instance never runs a job.
    const result = runHand('buildkite-tuned');
    expect([...result.waitsSec]).toEqual([0, 60, 100, 103, 103]);
    // Billed, each + 600 s idle + 20 s shutdown: the first 10 → 442 s; two 330 → 485 s; the unused one 330 → 425 s.
    expect(result.instanceHours * 3600).toBeCloseTo(1052 + 2 * 775 + 715, 6);
    expect(result.coldLaunches).toBe(4);
  });

  it('buildkite-tuned-include-waiting boots for the waiting tests while the build step runs', () => {
    // Poll at 10 s: 1 scheduled + 4 waiting (> 0 running) → 5 instances, in service at 105 s; the tests start the
    // moment the build ends (322 s) on the build's agent and three that never ran a job; the fifth idles out at 705 s.
    const result = runHand('buildkite-tuned-include-waiting');
    expect([...result.waitsSec]).toEqual([0, 0, 0, 0, 100]);
    expect(result.instanceHours * 3600).toBeCloseTo(4 * 992 + 715, 6);
    expect(result.coldLaunches).toBe(5);
  });

  it('buildkite-tuned-idle-300 waits as buildkite-tuned but idles 300 s instead of 600 s', () => {
    const result = runHand('buildkite-tuned-idle-300');
    expect([...result.waitsSec]).toEqual([0, 60, 100, 103, 103]);
    expect(result.instanceHours * 3600).toBeCloseTo(752 + 2 * 475 + 415, 6);
  });

  it('buildkite-tuned-include-waiting-idle-300 boots ahead and the unused instance leaves after 300 s idle', () => {
    const result = runHand('buildkite-tuned-include-waiting-idle-300');
    expect([...result.waitsSec]).toEqual([0, 0, 0, 0, 100]);
    // Four instances 10 → 382 + 300 + 20; the fifth idle from 105 s, gone at 405 + 20 s.
    expect(result.instanceHours * 3600).toBeCloseTo(4 * 692 + 415, 6);
    expect(result.interruptedJobs).toBe(0);
  });
});
