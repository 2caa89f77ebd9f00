import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparePolicies } from './compare.js';
import { UsageError } from './errors.js';
import { GENERATED_TRACE_START, generateTrace, TRACE_SHAPES, type TraceShape } from './generate.js';
import { parsePolicy } from './policy.js';
import { PRESETS } from './presets.js';
import { runCli } from './run-cli.js';
import { parseTrace, type Trace } from './trace.js';

interface RawJob {
  job: string;
  build: string;
  queue: string;
  createdAt: number;
  durationSec: number;
  dependsOn: string[];
}

function lines(text: string): { header: Record<string, unknown>; jobs: RawJob[] } {
  const [header, ...jobs] = text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as unknown);
  return { header: header as Record<string, unknown>, jobs: jobs as RawJob[] };
}

const generated = new Map<string, string>();
/** Generating is deterministic (tested below), so the examples share one generation per shape, days and seed. */
function trace(shape: TraceShape, days: number, seed: number): string {
  const key = `${shape}/${days}/${seed}`;
  let text = generated.get(key);
  if (text === undefined) {
    text = generateTrace({ shape, days, seed });
    generated.set(key, text);
  }
  return text;
}

describe('Function: generateTrace — invariants of every shape', () => {
  it('writes a valid trace: header, jobs sorted by createdAt inside the span, dependencies on earlier lines of the same build, deterministic per seed', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TRACE_SHAPES),
        fc.constant(1),
        fc.integer({ min: 0, max: 1_000_000 }),
        (shape, days, seed) => {
          const text = trace(shape, days, seed);
          const { header, jobs } = lines(text);
          expect(header).toMatchObject({ trace: shape, start: GENERATED_TRACE_START, spanSec: days * 86_400 });
          expect(header.jobs).toBe(jobs.length);
          expect(jobs.length).toBeGreaterThan(0);
          const seen = new Map<string, RawJob>();
          let previousAt = 0;
          for (const job of jobs) {
            expect(job.createdAt).toBeGreaterThanOrEqual(previousAt);
            expect(job.createdAt).toBeLessThan(days * 86_400);
            expect(job.durationSec).toBeGreaterThan(0);
            expect(seen.has(job.job)).toBe(false);
            for (const dependency of job.dependsOn) {
              // Written before the job, in the same build, created with it: so acyclic and a real wait step.
              const before = seen.get(dependency);
              expect(before?.build).toBe(job.build);
              expect(before?.createdAt).toBe(job.createdAt);
            }
            seen.set(job.job, job);
            previousAt = job.createdAt;
          }
          // The simulator's own parser accepts it (ids, dependencies, cycles, header count).
          expect(() => parseTrace(text, shape)).not.toThrow();
          // Deterministic: generated again from scratch, the same bytes; another seed, another trace.
          expect(generateTrace({ shape, days, seed })).toBe(text);
          expect(generateTrace({ shape, days, seed: seed + 1 })).not.toBe(text);
        },
      ),
      { numRuns: 6 },
    );
  });

  it.each([
    [
      { shape: 'rush-hour' as TraceShape, days: 1, seed: 1 },
      /--shape must be one of nightly-burst, release-storm, follow-the-sun/,
    ],
    [{ shape: 'nightly-burst' as const, days: 0, seed: 1 }, /--days must be a whole number from 1 to 60, got 0/],
    [{ shape: 'nightly-burst' as const, days: 1.5, seed: 1 }, /--days must be a whole number/],
    [{ shape: 'nightly-burst' as const, days: 1, seed: -1 }, /--seed must be a non-negative integer/],
  ])('rejects %o naming the option', (options, message) => {
    expect(() => generateTrace(options)).toThrow(UsageError);
    expect(() => generateTrace(options)).toThrow(message);
  });
});

describe('Function: generateTrace — the shapes', () => {
  const createdPerMinute = (jobs: readonly RawJob[]) => {
    const counts = new Map<number, number>();
    for (const job of jobs)
      counts.set(Math.floor(job.createdAt / 60), (counts.get(Math.floor(job.createdAt / 60)) ?? 0) + 1);
    return counts;
  };

  it('nightly-burst: hundreds of long jobs created every night in the same minute, light load by day', () => {
    const { jobs } = lines(trace('nightly-burst', 3, 1));
    const perMinute = createdPerMinute(jobs);
    for (let day = 0; day < 3; day += 1) {
      const minute = day * 1440 + 120;
      expect(perMinute.get(minute) ?? 0).toBeGreaterThanOrEqual(200);
      const burst = jobs.filter((job) => Math.floor(job.createdAt / 60) === minute);
      const long = burst.filter((job) => job.durationSec >= 600);
      expect(long.length / burst.length).toBeGreaterThan(0.9);
    }
    // No other minute comes close: the daytime load is light.
    const others = [...perMinute.entries()].filter(([minute]) => minute % 1440 !== 120).map(([, count]) => count);
    expect(Math.max(...others)).toBeLessThan(30);
  });

  it('release-storm: large fan-outs behind a build step at irregular times', () => {
    const { jobs } = lines(trace('release-storm', 5, 1));
    const fanOuts = new Map<string, { at: number; size: number }>();
    for (const job of jobs) {
      if (job.dependsOn.length === 1 && job.dependsOn[0]?.endsWith('-build')) {
        const entry = fanOuts.get(job.build) ?? { at: job.createdAt, size: 0 };
        entry.size += 1;
        fanOuts.set(job.build, entry);
      }
    }
    const large = [...fanOuts.values()].filter((fanOut) => fanOut.size >= 60);
    expect(large.length).toBeGreaterThanOrEqual(3);
    // Irregular: not at one time of day.
    const hours = new Set(large.map((fanOut) => Math.floor((fanOut.at % 86_400) / 3600)));
    expect(hours.size).toBeGreaterThanOrEqual(3);
    // Deploys wait for the package step, which waits for every test.
    const pkg = jobs.find((job) => job.job.endsWith('-package'));
    expect(pkg?.dependsOn.length).toBeGreaterThanOrEqual(60);
  });

  it('follow-the-sun: never quiet, and the busiest hours move with the three time zones', () => {
    const { jobs } = lines(trace('follow-the-sun', 3, 1));
    const perHour = new Array<number>(72).fill(0);
    for (const job of jobs)
      perHour[Math.floor(job.createdAt / 3600)] = (perHour[Math.floor(job.createdAt / 3600)] ?? 0) + 1;
    // Every hour of the three weekdays has builds created.
    expect(perHour.every((count) => count > 0)).toBe(true);
    // Office hours by UTC: Tokyo 00–09, Berlin 08–17, Chicago 15–24: each zone's block has team pipelines (tests).
    const testsIn = (fromHour: number, toHour: number) =>
      jobs.filter((job) => {
        const hour = (job.createdAt % 86_400) / 3600;
        return job.job.includes('-test-') && hour >= fromHour && hour < toHour;
      }).length;
    for (const [from, to] of [
      [1, 7],
      [10, 14],
      [19, 23],
    ] as const) {
      expect(testsIn(from, to)).toBeGreaterThan(100);
    }
  });
});

describe('Function: simulate — generated shapes', () => {
  it.each(TRACE_SHAPES)(
    '%s runs every job once under the presets it compares, measured from the second day',
    (shape) => {
      const generatedTrace: Trace = parseTrace(trace(shape, 2, 1), shape);
      const policies = ['buildkite-tuned', 'buildkite-tuned-include-waiting-idle-300', 'elastic-ci'].map((name) =>
        parsePolicy(PRESETS[name], name),
      );
      const runs = comparePolicies({ trace: generatedTrace, policies, seed: 1, measureFromSec: 86_400 });
      const secondDay = generatedTrace.jobs.filter((job) => job.createdAtSec >= 86_400).length;
      for (const run of runs) {
        expect(run.result.unfinishedJobs).toBe(0);
        expect(run.result.interruptedJobs).toBe(0);
        expect([...run.result.completionsPerJob].every((count) => count === 1)).toBe(true);
        expect(run.result.waitsSec).toHaveLength(secondDay);
      }
    },
  );
});

describe('Function: runCli — generate', () => {
  function cli(argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const written: Record<string, string> = {};
    const code = runCli(argv, {
      stdout: (text) => out.push(text),
      stderr: (text) => err.push(text),
      readTextFile: () => {
        throw new Error('no reads');
      },
      readFileChunks: () => {
        throw new Error('no reads');
      },
      writeTextFile: (path, text) => {
        written[path] = text;
      },
    });
    return { code, stdout: out.join(''), stderr: err.join(''), written };
  }

  it('prints the trace to stdout, or writes it with --out', () => {
    const printed = cli(['generate', '--shape', 'release-storm', '--days', '1', '--seed', '4']);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toBe(generateTrace({ shape: 'release-storm', days: 1, seed: 4 }));
    const saved = cli(['generate', '--shape', 'nightly-burst', '--out', 'night.jsonl']);
    expect(saved.code).toBe(0);
    expect(saved.written['night.jsonl']).toBe(generateTrace({ shape: 'nightly-burst', days: 3, seed: 1 }));
    expect(saved.stderr).toMatch(/^trace nightly-burst: \d+ jobs over 3 days \(seed 1\) written to night\.jsonl\n$/);
  });

  it.each([
    [['generate'], '--shape is required'],
    [['generate', '--shape', 'tsunami'], '--shape must be one of'],
    [['generate', '--shape', 'follow-the-sun', '--days', 'two'], '--days must be a non-negative integer'],
    [['generate', '--shape', 'follow-the-sun', '--days', '61'], '--days must be a whole number from 1 to 60'],
    [['generate', '--shape', 'follow-the-sun', '--seed', '-3'], '--seed'],
    [['generate', '--shape', 'follow-the-sun', '--colour'], "Unknown option '--colour'"],
    [['generate', '--shape', 'follow-the-sun', 'extra'], 'extra'],
  ])('exits 2 for %j with the problem and the usage line on stderr', (argv, problem) => {
    const result = cli(argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(problem);
    expect(result.stderr).toContain(
      'Usage: elastic-ci-sim generate --shape nightly-burst|release-storm|follow-the-sun [--days N] [--seed N] [--out FILE]',
    );
  });
});
