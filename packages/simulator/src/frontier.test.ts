import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { comparePolicies } from './compare.js';
import {
  type FrontierFigures,
  type FrontierResult,
  formatFrontier,
  frontierSettings,
  paretoFrontier,
  policyWith,
  runFrontier,
} from './frontier.js';
import { parsePolicy } from './policy.js';
import { BUILDKITE_VARIANT_NAMES, PRESETS } from './presets.js';
import { resolvePolicy } from './resolve-policy.js';
import { parseTrace } from './trace.js';

const point = (waitP95Sec: number, cost: number, label = '') => ({ waitP95Sec, cost, label });
const beatenBy = (other: FrontierFigures, given: FrontierFigures) =>
  other.waitP95Sec <= given.waitP95Sec && other.cost <= given.cost;

describe('Function: paretoFrontier', () => {
  it('keeps the points nothing beats on both figures, cheapest first, and the first of equal points', () => {
    const points = [point(10, 5, 'a'), point(20, 4, 'b'), point(20, 6, 'c'), point(5, 5, 'd'), point(20, 4, 'e')];

    expect(paretoFrontier(points).map((p) => p.label)).toEqual(['b', 'd']);
    expect(paretoFrontier([])).toEqual([]);
  });

  it('returns exactly the points no other point beats, each beaten point covered by one it keeps', () => {
    const figures = fc.record({ waitP95Sec: fc.integer({ min: 0, max: 50 }), cost: fc.integer({ min: 0, max: 50 }) });
    fc.assert(
      fc.property(fc.array(figures, { maxLength: 40 }), (points) => {
        const frontier = paretoFrontier(points);
        for (const kept of frontier) {
          const strictlyBetter = points.some(
            (other) => beatenBy(other, kept) && (other.waitP95Sec < kept.waitP95Sec || other.cost < kept.cost),
          );
          expect(strictlyBetter).toBe(false);
        }
        for (const given of points) expect(frontier.some((kept) => beatenBy(kept, given))).toBe(true);
        for (let index = 1; index < frontier.length; index += 1) {
          const [before, after] = [frontier[index - 1], frontier[index]] as [FrontierFigures, FrontierFigures];
          expect(after.cost).toBeGreaterThanOrEqual(before.cost);
          expect(after.waitP95Sec).toBeLessThan(before.waitP95Sec);
        }
      }),
    );
  });
});

describe('Function: frontierSettings', () => {
  it('sweeps 36 distinct settings, the elastic-ci preset once and the README’s launch-for-them setting among them', () => {
    const settings = frontierSettings();
    const preset = parsePolicy(PRESETS['elastic-ci'], 'preset');

    expect(settings).toHaveLength(36);
    expect(new Set(settings.map((entry) => JSON.stringify(entry))).size).toBe(36);
    expect(settings.filter((entry) => isDeepStrictEqual(policyWith(entry, 'x').scaler, preset.scaler))).toHaveLength(1);
    expect(settings).toContainEqual({
      dependencies: { releaseQuantile: 0, minSamples: 1 },
      warmPool: { prepareForWaitingJobs: false },
      scaleIn: { minIdleSec: 10 },
    });
  });
});

describe('Function: runFrontier', () => {
  // Builds of a step then 20 tests behind it, every 20 minutes: jobs behind a step, where the three settings matter.
  const lines = ['{"trace":"storm","start":"2026-11-02T00:00:00Z","spanSec":14400,"description":"fan-outs"}'];
  for (let build = 0; build < 10; build += 1) {
    const createdAt = 600 + build * 1200;
    const id = `b${build}`;
    lines.push(
      `{"job":"${id}-build","build":"${id}","queue":"default","createdAt":${createdAt},"durationSec":${200 + ((build * 97) % 300)},"dependsOn":[]}`,
    );
    for (let test = 0; test < 20; test += 1) {
      const durationSec = 120 + ((build * 31 + test * 53) % 280);
      lines.push(
        `{"job":"${id}-t${test}","build":"${id}","queue":"default","createdAt":${createdAt},"durationSec":${durationSec},"dependsOn":["${id}-build"]}`,
      );
    }
  }
  const trace = parseTrace(lines.join('\n'), 'storm');
  const options = { trace, seed: 1, measureFromSec: 3600 };
  let result: FrontierResult;
  // 40 simulations of 210 jobs: about a second here, far more on a loaded CI machine.
  beforeAll(() => {
    result = runFrontier(options);
  }, 120_000);

  it('simulates every setting beside the four Buildkite variants and keeps the points no other beats', () => {
    expect(result.variants.map((variant) => variant.policy)).toEqual(BUILDKITE_VARIANT_NAMES);
    expect(result.points).toHaveLength(frontierSettings().length);
    expect(result.frontier.length).toBeGreaterThan(1);
    for (const kept of result.frontier) expect(kept.onFrontier).toBe(true);
    for (const given of result.points) {
      expect(result.frontier.some((kept) => beatenBy(kept, given))).toBe(true);
      const beats = result.variants.filter((variant) => beatenBy(given, variant)).map((variant) => variant.policy);
      expect(given.beats).toEqual(beats);
      expect(given.interruptedJobs).toBe(0);
    }
  });

  it('marks the preset, with the figures the preset gives on its own', () => {
    const presets = result.points.filter((entry) => entry.preset);
    const [alone] = comparePolicies({ ...options, policies: [parsePolicy(PRESETS['elastic-ci'], 'preset')] });

    expect(presets).toHaveLength(1);
    expect(presets[0]).toMatchObject({ waitP95Sec: alone?.summary.waitSec.p95, cost: alone?.summary.cost.total });
  });

  it('prints settings that reproduce their row as a policy file', () => {
    const cheapest = result.frontier[0];
    const fastest = result.frontier.at(-1);
    for (const row of [cheapest, fastest]) {
      if (row === undefined) throw new Error('the frontier is empty');
      const file = JSON.stringify({ extends: 'elastic-ci', name: 'from-the-row', scaler: row.settings });
      const policy = resolvePolicy('row.json', () => file);
      const [run] = comparePolicies({ ...options, policies: [policy] });

      expect({ waitP95Sec: run?.summary.waitSec.p95, cost: run?.summary.cost.total }).toEqual({
        waitP95Sec: row.waitP95Sec,
        cost: row.cost,
      });
    }
  });

  it('prints one row per frontier point and says where the preset stands', () => {
    const text = formatFrontier(result, { trace: 'storm', queue: 'default', seed: 1, measureFrom: '1h' });
    const rows = text.split('\n').filter((line) => /^\s*\d+\.\d s +\$/.test(line));

    expect(text).toContain('on storm (queue default, seed 1, measured from 1h): 36 settings simulated');
    expect(rows).toHaveLength(result.frontier.length);
    const preset = result.points.find((entry) => entry.preset);
    if (preset?.onFrontier) expect(text).toContain('(the elastic-ci preset)');
    else expect(text).toContain('The elastic-ci preset (');
  });
});
