import { describe, expect, it } from 'vitest';
import { comparePolicies, fleetWithOverrides, runSetupOf } from './compare.js';
import { resolvePolicy } from './resolve-policy.js';
import { runCli } from './run-cli.js';
import { fleetOf, traceOf } from './test-support.js';

const TRACE = [
  '{"trace":"one","start":"2026-11-02T00:00:00Z","spanSec":600,"description":"one job"}',
  '{"job":"a","build":"b1","queue":"default","createdAt":305,"durationSec":60,"dependsOn":[]}',
].join('\n');

// Every boot 100 s, every resume 20 s, the agent takes jobs at once; the pooled one has one instance stopped in it.
const COLD = JSON.stringify({
  name: 'cold',
  extends: 'buildkite-tuned',
  fleet: { bootSec: { kind: 'fixed', sec: 100 }, agentRegistrationSec: 0 },
});
const POOLED = JSON.stringify({
  name: 'pooled',
  extends: 'buildkite-tuned',
  fleet: {
    bootSec: { kind: 'fixed', sec: 100 },
    agentRegistrationSec: 0,
    warmPool: { minSize: 1, resumeSec: { kind: 'fixed', sec: 20 } },
  },
});
const FILES: Record<string, string> = { 'one.jsonl': TRACE, 'cold.json': COLD, 'pooled.json': POOLED };

interface PolicyFigures {
  readonly waitSec: { readonly p95: number };
  readonly instanceHours: number;
  readonly cost: { readonly compute: number; readonly volume: number };
}

/** The CLI's JSON report for `argv`: its exit code, stderr and each policy's figures (none when it failed). */
function runJson(argv: string[]): { code: number; stderr: string; policies: PolicyFigures[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runCli([...argv, '--json'], {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    readTextFile: (path) => {
      const text = FILES[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
    readFileChunks: (path) => {
      throw new Error(`ENOENT: ${path}`);
    },
    writeTextFile: () => undefined,
  });
  const policies = code === 0 ? (JSON.parse(out.join('')) as { policies: PolicyFigures[] }).policies : [];
  return { code, stderr: err.join(''), policies };
}

function waitsP95(argv: string[]): { code: number; stderr: string; p95: number[] } {
  const { policies, ...result } = runJson(argv);
  return { ...result, p95: policies.map((policy) => policy.waitSec.p95) };
}

describe('Function: runCli — --boot-sec and --resume-sec', () => {
  it('sets the median cold boot and warm resume of every policy', () => {
    // The job appears at 305 s, the poll at 310 s launches: 5 s + boot; the pooled fleet resumes its instance (booted
    // into the pool at the start) instead: 5 s + resume.
    expect(waitsP95(['one.jsonl', '-p', 'cold.json,pooled.json']).p95).toEqual([105, 25]);
    expect(waitsP95(['one.jsonl', '-p', 'cold.json,pooled.json', '--boot-sec', '60']).p95).toEqual([65, 25]);
    expect(waitsP95(['one.jsonl', '-p', 'cold.json,pooled.json', '--resume-sec', '45']).p95).toEqual([105, 50]);
  });

  it.each(['0', '-5', 'fast', ''])('exits 2 for --boot-sec "%s"', (value) => {
    const result = waitsP95(['one.jsonl', '-p', 'cold.json', `--boot-sec=${value}`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--boot-sec must be a positive number of seconds, got "${value}"`);
  });
});

describe('Function: fleetWithOverrides', () => {
  it('leaves a fleet without a warm pool without one, and changes nothing without overrides', () => {
    const fleet = fleetOf({});
    expect(fleetWithOverrides(fleet, {})).toBe(fleet);
    expect(fleetWithOverrides(fleet, { resumeMedianSec: 45 }).warmPool).toBeNull();
    expect(fleetWithOverrides(fleet, { bootMedianSec: 180 }).bootSec).toMatchObject({ medianSec: 180, minSec: 81 });
  });

  it('applies to every policy compared', () => {
    const trace = traceOf([{ id: 'a', at: 305, duration: 60 }]);
    const policies = ['cold.json', 'pooled.json'].map((file) => resolvePolicy(file, (path) => FILES[path] ?? ''));
    const runs = comparePolicies({ trace, policies, seed: 1, bootMedianSec: 30 });
    expect(runs.map((run) => run.result.waitsSec[0])).toEqual([35, 25]);
  });
});

describe('Function: runCli — --instance-price and --volume-price', () => {
  type Cost = { compute: number; volume: number; instanceHours: number };
  function costs(argv: string[]): { code: number; stderr: string; costs: Cost[] } {
    const { policies, ...result } = runJson(argv);
    return { ...result, costs: policies.map((policy) => ({ ...policy.cost, instanceHours: policy.instanceHours })) };
  }

  it('prices every policy with the given compute and volume prices', () => {
    const own = costs(['one.jsonl', '-p', 'cold.json,pooled.json']).costs;
    const priced = costs([
      'one.jsonl',
      '-p',
      'cold.json,pooled.json',
      '--instance-price',
      '2.5',
      '--volume-price',
      '0',
    ]).costs;

    expect(priced).toHaveLength(2);
    for (const [index, cost] of priced.entries()) {
      const before = own[index] as Cost;
      // The same fleet behaviour (instance-hours), priced at 2.5 $/h instead of the presets' 0.17 $/h.
      expect(cost.instanceHours).toBe(before.instanceHours);
      expect(before.compute).toBeCloseTo(before.instanceHours * 0.17, 2);
      expect(cost.compute).toBeCloseTo(cost.instanceHours * 2.5, 2);
      expect(before.volume).toBeGreaterThan(0);
      expect(cost.volume).toBe(0);
    }
  });

  it('sizes the scaler from the same prices (its costs come from the fleet)', () => {
    const policy = resolvePolicy('elastic-ci', () => '');
    const { config } = runSetupOf(policy, { instancePricePerHour: 0.5, volumePricePerHour: 0.01 });

    expect(config.costs).toMatchObject({ instanceHour: 0.5, volumeHour: 0.01 });
  });

  it.each([
    ['--instance-price', '0', '--instance-price must be a positive price in $ per instance-hour, got "0"'],
    ['--instance-price', 'cheap', '--instance-price must be a positive price in $ per instance-hour, got "cheap"'],
    ['--volume-price', '-1', '--volume-price must be a non-negative number, got "-1"'],
  ])('exits 2 for %s %s', (option, value, message) => {
    const result = costs(['one.jsonl', '-p', 'cold.json', `${option}=${value}`]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
