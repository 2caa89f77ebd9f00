import { describe, expect, it } from 'vitest';
import { comparePolicies, runSetupOf } from './compare.js';
import { generateTrace, type TraceShape } from './generate.js';
import { parsePolicy } from './policy.js';
import { PRESETS } from './presets.js';
import { resolvePolicy } from './resolve-policy.js';
import { parseTrace } from './trace.js';

const noFiles = (path: string): string => {
  throw new Error(`no file ${path}`);
};
const DAY_SEC = 86_400;

function runOn(shape: TraceShape, policies: string[], days = 2) {
  const trace = parseTrace(generateTrace({ shape, days, seed: 1 }), shape);
  return comparePolicies({
    trace,
    policies: policies.map((name) =>
      name === 'elastic-ci-without-forecast'
        ? parsePolicy(
            {
              ...PRESETS['elastic-ci'],
              name,
              scaler: { ...PRESETS['elastic-ci']?.scaler, forecast: { enabled: false } },
            },
            name,
          )
        : resolvePolicy(name, noFiles),
    ),
    seed: 1,
    measureFromSec: DAY_SEC,
  }).map((run) => run.summary);
}

describe('Preset: elastic-ci on generated shapes (measured from the second day)', () => {
  it('predicts the nightly burst from its second occurrence: the forecast cuts the p95 wait to well under half', () => {
    const [withForecast, withoutForecast] = runOn('nightly-burst', ['elastic-ci', 'elastic-ci-without-forecast']);

    expect(withForecast?.interruptedJobs).toBe(0);
    expect(withForecast?.waitSec.p95).toBeLessThan(0.5 * (withoutForecast?.waitSec.p95 ?? 0));
  });

  it.each(['nightly-burst', 'release-storm', 'follow-the-sun'] as const)(
    'on %s: p95 wait ≤ 0.6× and instance-hours ≤ 1.0× of buildkite-tuned, no job interrupted',
    (shape) => {
      const [elasticCi, tuned] = runOn(shape, ['elastic-ci', 'buildkite-tuned']);

      expect(elasticCi?.interruptedJobs).toBe(0);
      expect(elasticCi?.unfinishedJobs).toBe(0);
      expect(elasticCi?.waitSec.p95).toBeLessThanOrEqual(0.6 * (tuned?.waitSec.p95 ?? 0));
      expect(elasticCi?.instanceHours).toBeLessThanOrEqual(tuned?.instanceHours ?? 0);
    },
  );
});

describe('Function: runSetupOf', () => {
  it('gives scaler-core the boot and resume times of the run, after --boot-sec and --resume-sec', () => {
    const policy = resolvePolicy('elastic-ci', noFiles);

    const own = runSetupOf(policy, {});
    const slower = runSetupOf(policy, { bootMedianSec: 180, resumeMedianSec: 60 });

    expect(slower.config.costs.bootSec).toBeGreaterThan(own.config.costs.bootSec + 70);
    expect(slower.config.costs.resumeSec).toBeGreaterThan(own.config.costs.resumeSec + 30);
    expect(slower.fleet.warmPool?.minSize).toBe(0);
  });
});
