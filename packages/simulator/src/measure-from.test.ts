import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparePolicies } from './compare.js';
import { formatDurationArg, parseDurationArg } from './duration-arg.js';
import { UsageError } from './errors.js';
import { parsePolicy } from './policy.js';
import { PRESETS } from './presets.js';
import { buildReport, formatReport } from './report.js';
import { runCli } from './run-cli.js';
import { ScalerCorePolicy, scalerConfigOf } from './scaler-core-policy.js';
import { type SimulationResult, simulate } from './simulation.js';
import { controlOf, fixed, fleetOf, type JobSpec, ReactivePolicy, traceOf } from './test-support.js';

const HAND_FLEET = { bootSec: fixed(100), agentRegistrationSec: 0, shutdownSec: 20, idleTimeoutSec: 600 };
const EVERY_TEN_SECONDS = { scheduleSec: 60, pollIntervalSec: 10, invocationTimeoutSec: 60 };

function run(jobs: readonly JobSpec[], measureFromSec?: number): SimulationResult {
  return simulate({
    trace: traceOf(jobs),
    fleet: fleetOf(HAND_FLEET),
    control: controlOf(EVERY_TEN_SECONDS),
    policy: new ReactivePolicy(),
    seed: 1,
    queue: 'default',
    recordStarts: true,
    ...(measureFromSec === undefined ? {} : { measureFromSec }),
  });
}

describe('Function: parseDurationArg', () => {
  it.each([
    ['3600s', 3600],
    ['3600', 3600],
    ['90m', 5400],
    ['36h', 129_600],
    ['1d', 86_400],
    ['1.5h', 5400],
    ['0', 0],
  ])('reads %s as %d s', (text, sec) => {
    expect(parseDurationArg(text, '--measure-from')).toBe(sec);
  });

  it.each(['', '1w', '-1d', 'd', '1 d', 'one day', '1e3'])('rejects "%s" naming the option and the forms', (text) => {
    expect(() => parseDurationArg(text, '--measure-from')).toThrow(UsageError);
    expect(() => parseDurationArg(text, '--measure-from')).toThrow(/--measure-from must be a duration such as 3600s/);
  });

  it('spells a duration back in its largest exact unit', () => {
    expect([86_400, 129_600, 5400, 45, 0].map(formatDurationArg)).toEqual(['1d', '36h', '90m', '45s', '0s']);
  });
});

describe('Function: simulate — measured window', () => {
  it('counts neither the wait nor the billing of a job created and finished before the window', () => {
    // Prepare: "early" runs on an instance launched at 10 s and gone at 780 s; "late" at 5003 s launches at the poll
    // at 5010 s, waits 107 s, runs 50 s, idles 600 s and stops 20 s later.
    const jobs = [
      { id: 'early', at: 5, duration: 50 },
      { id: 'late', at: 5003, duration: 50 },
    ];

    // Act
    const measured = run(jobs, 3000);

    // Assess
    expect([...measured.waitsSec]).toEqual([107]);
    expect(measured.measuredJobs).toBe(1);
    expect(measured.jobs).toBe(2);
    expect(measured.instanceHours * 3600).toBeCloseTo(100 + 50 + 600 + 20, 6);
    expect(measured.idleInstanceHours * 3600).toBeCloseTo(600, 6);
    expect(measured.coldLaunches).toBe(1);
    expect(measured.peakInstances).toBe(1);
    // The whole run is unchanged: both jobs ran.
    expect([...measured.completionsPerJob]).toEqual([1, 1]);
    expect([...run(jobs).waitsSec]).toEqual([105, 107]);
  });

  it('counts what happens at t = 0 (MinSize launches) when the window starts at 0', () => {
    const result = simulate({
      trace: traceOf([{ id: 'only', at: 5, duration: 50 }]),
      fleet: fleetOf({ ...HAND_FLEET, minSize: 1 }),
      control: controlOf(EVERY_TEN_SECONDS),
      policy: new ReactivePolicy(),
      seed: 1,
      queue: 'default',
    });
    // The MinSize instance launches at 0 s, before any event: its agent takes the job at 100 s. At MinSize an idle
    // instance is replaced (idle exit at 750 s, then every 700 s): launches at 0, 750, 1450, 2150, 2850 and 3550 s
    // until the run stops an hour after the last job.
    expect(result.coldLaunches).toBe(6);
    expect(result.peakInstances).toBe(1);
    expect([...result.waitsSec]).toEqual([95]);
  });

  it('bills an instance that straddles the window start only from the start on', () => {
    // A 4000 s job on an instance launched at 10 s: busy until 4110 s, idle until 4710 s, stopped at 4730 s.
    const result = run(
      [
        { id: 'long', at: 5, duration: 4000 },
        { id: 'after', at: 3500, duration: 10 },
      ],
      3000,
    );
    // "after" launches a second instance at 3500 s (first busy): 100 s boot + 10 s + 600 s idle + 20 s.
    expect(result.instanceHours * 3600).toBeCloseTo(4730 - 3000 + (100 + 10 + 600 + 20), 6);
    expect(result.volumeCost).toBeCloseTo(((4730 - 3000 + 730) / 3600) * 0.0274, 9);
    // The long job's instance was already up at the window start: it is part of the peak.
    expect(result.peakInstances).toBe(2);
    expect(result.coldLaunches).toBe(1);
    expect([...result.waitsSec]).toEqual([100]);
  });

  it('changes only what is counted, never what happens: every preset, any window start', () => {
    const jobArbitrary = fc
      .array(fc.record({ at: fc.integer({ min: 0, max: 7200 }), duration: fc.integer({ min: 1, max: 900 }) }), {
        minLength: 1,
        maxLength: 40,
      })
      .map((specs) => specs.map((spec, index) => ({ id: `j${index}`, at: spec.at, duration: spec.duration })));
    fc.assert(
      fc.property(
        jobArbitrary,
        fc.constantFrom(...Object.keys(PRESETS)),
        fc.integer({ min: 0, max: 7200 }),
        (jobs, preset, measureFromSec) => {
          const policy = parsePolicy(PRESETS[preset], preset);
          const simulateFrom = (from: number) =>
            simulate({
              trace: traceOf(jobs, 7200),
              fleet: policy.fleet,
              control: policy.control,
              policy: new ScalerCorePolicy(scalerConfigOf(policy)),
              seed: 3,
              queue: 'default',
              recordStarts: true,
              measureFromSec: from,
            });
          const whole = simulateFrom(0);
          const windowed = simulateFrom(measureFromSec);
          // The same run: same starts at the same times on the same instances, same end.
          expect(windowed.starts).toEqual(whole.starts);
          expect(windowed.endSec).toBe(whole.endSec);
          // Only the waits of jobs created in the window are counted (starts record job ids and times).
          const createdAt = new Map(jobs.map((job) => [job.id, job.at]));
          const expectedWaits = jobs.filter((job) => job.at >= measureFromSec).length;
          expect(windowed.waitsSec).toHaveLength(expectedWaits);
          expect(windowed.measuredJobs).toBe(expectedWaits);
          expect(
            (whole.starts ?? []).filter((start) => (createdAt.get(start.job) as number) >= measureFromSec),
          ).toHaveLength(expectedWaits);
          // Counted amounts can only shrink.
          expect(windowed.instanceHours).toBeLessThanOrEqual(whole.instanceHours + 1e-9);
          expect(windowed.volumeCost).toBeLessThanOrEqual(whole.volumeCost + 1e-9);
          expect(windowed.idleInstanceHours).toBeLessThanOrEqual(whole.idleInstanceHours + 1e-9);
          expect(windowed.coldLaunches).toBeLessThanOrEqual(whole.coldLaunches);
          expect(windowed.decisions).toBeLessThanOrEqual(whole.decisions);
          expect(windowed.peakInstances).toBeLessThanOrEqual(whole.peakInstances);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('Function: comparePolicies — measured window', () => {
  const trace = traceOf([
    { id: 'early', at: 5, duration: 50 },
    { id: 'late', at: 90_000, duration: 50 },
  ]);
  const policies = ['buildkite-tuned', 'elastic-ci'].map((name) => parsePolicy(PRESETS[name], name));

  it('applies the same window to every policy and the report says so', () => {
    const runs = comparePolicies({ trace, policies, seed: 1, measureFromSec: 86_400 });
    expect(runs.map((entry) => entry.result.measureFromSec)).toEqual([86_400, 86_400]);
    expect(runs.map((entry) => entry.summary.jobs)).toEqual([1, 1]);
    const report = buildReport(
      trace,
      'default',
      1,
      runs.map((entry) => entry.summary),
      undefined,
      86_400,
    );
    expect(report.window).toEqual({ fromSec: 86_400, jobs: 1 });
    expect(formatReport(report)).toContain('measured from 1d: the 1 jobs created from then on;');
  });

  it('rejects a window that holds no job of the queue', () => {
    expect(() => comparePolicies({ trace, policies, seed: 1, measureFromSec: 90_001 })).toThrow(
      /--measure-from 90001s leaves no job to measure: the last job of queue "default" in trace micro is created at 90000 s/,
    );
  });
});

describe('Function: runCli — --measure-from', () => {
  const TRACE = [
    '{"trace":"two-days","start":"2026-11-02T00:00:00Z","spanSec":172800,"description":"one job a day"}',
    '{"job":"a","build":"b1","queue":"default","createdAt":3600,"durationSec":60,"dependsOn":[]}',
    '{"job":"b","build":"b2","queue":"default","createdAt":90000,"durationSec":60,"dependsOn":[]}',
  ].join('\n');

  function cli(argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = runCli(argv, {
      stdout: (text) => out.push(text),
      stderr: (text) => err.push(text),
      readTextFile: (path) => {
        if (path === 'two.jsonl') return TRACE;
        throw new Error(`ENOENT: ${path}`);
      },
      readFileChunks: (path) => {
        throw new Error(`ENOENT: ${path}`);
      },
      writeTextFile: () => undefined,
    });
    return { code, stdout: out.join(''), stderr: err.join('') };
  }

  it('reports the window in the table and in the JSON', () => {
    const table = cli(['two.jsonl', '--measure-from', '1d', '-p', 'buildkite-tuned']);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('measured from 1d: the 1 jobs created from then on');
    const json = cli(['two.jsonl', '--measure-from', '24h', '--json', '-p', 'buildkite-tuned,elastic-ci']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { window: unknown; policies: { jobs: number }[] };
    expect(report.window).toEqual({ fromSec: 86_400, jobs: 1 });
    expect(report.policies.map((policy) => policy.jobs)).toEqual([1, 1]);
  });

  it('exits 2 with the reason for a bad or empty window', () => {
    const bad = cli(['two.jsonl', '--measure-from', 'tomorrow']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--measure-from must be a duration such as 3600s, 90m, 36h or 1d');
    const empty = cli(['two.jsonl', '--measure-from', '2d']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--measure-from 2d leaves no job to measure');
  });
});
