import { UsageError } from './errors.js';
import { createRandom, type Random } from './rng.js';

/**
 * Synthetic workload shapes the bundled traces do not cover, in the bundled traces' format (`traces/README` in
 * `../shared/traces`: a header line, then one job per line sorted by `createdAt`). Deterministic: the same shape,
 * days and seed give the same bytes.
 */
export const TRACE_SHAPES = ['nightly-burst', 'release-storm', 'follow-the-sun'] as const;
export type TraceShape = (typeof TRACE_SHAPES)[number];

export interface GenerateOptions {
  readonly shape: TraceShape;
  /** Whole days from Monday 00:00 UTC. */
  readonly days: number;
  readonly seed: number;
}

export const MAX_GENERATED_DAYS = 60;
/** t = 0 of every generated trace: a Monday 00:00 UTC, as the bundled traces. */
export const GENERATED_TRACE_START = '2026-11-02T00:00:00Z';

const DAY_SEC = 86_400;
const HOUR_SEC = 3600;

interface GeneratedJob {
  readonly job: string;
  readonly build: string;
  readonly queue: string;
  readonly createdAt: number;
  readonly durationSec: number;
  readonly dependsOn: readonly string[];
}

interface Build {
  readonly createdAt: number;
  readonly jobs: readonly GeneratedJob[];
}

const tenth = (value: number): number => Math.round(value * 10) / 10;

class Draws {
  constructor(private readonly random: Random) {}
  uniform(min: number, max: number): number {
    return min + (max - min) * this.random.next();
  }
  integer(min: number, max: number): number {
    return Math.floor(this.uniform(min, max + 1));
  }
  chance(probability: number): boolean {
    return this.random.next() < probability;
  }
  /** Job lengths have a long right tail: lognormal around the median, clamped to [min, max]. */
  duration(medianSec: number, sigma: number, minSec: number, maxSec: number): number {
    const drawn = medianSec * Math.exp(sigma * this.random.normal());
    return tenth(Math.min(maxSec, Math.max(minSec, drawn)));
  }
  /**
   * Arrival times of a Poisson process on [fromSec, toSec) whose rate (per second) follows `rate(t)` ≤ `peakRate`
   * (thinning).
   */
  arrivals(fromSec: number, toSec: number, peakRate: number, rate: (atSec: number) => number): number[] {
    const times: number[] = [];
    if (peakRate <= 0) return times;
    let at = fromSec;
    for (;;) {
      at += -Math.log(1 - this.random.next()) / peakRate;
      if (at >= toSec) return times;
      if (this.random.next() * peakRate < rate(at)) times.push(at);
    }
  }
}

/** Names builds `<prefix>000001`, … in creation order of the generator (not of time). */
class BuildFactory {
  private next = 1;
  readonly builds: Build[] = [];
  constructor(private readonly prefix: string) {}

  /**
   * One pipeline run created at `createdAt`: `steps` in order, each a group of parallel jobs that depends on every job
   * of the step before (a `wait` step between them).
   */
  add(createdAt: number, steps: readonly { name: string; durations: readonly number[] }[]): void {
    const build = `${this.prefix}${String(this.next).padStart(6, '0')}`;
    this.next += 1;
    const at = tenth(createdAt);
    const jobs: GeneratedJob[] = [];
    let previous: string[] = [];
    for (const step of steps) {
      const ids = step.durations.map((_, index) =>
        step.durations.length === 1
          ? `${build}-${step.name}`
          : `${build}-${step.name}-${String(index).padStart(3, '0')}`,
      );
      step.durations.forEach((durationSec, index) => {
        jobs.push({
          job: ids[index] as string,
          build,
          queue: 'default',
          createdAt: at,
          durationSec: tenth(durationSec),
          dependsOn: previous,
        });
      });
      previous = ids;
    }
    this.builds.push({ createdAt: at, jobs });
  }
}

const times = <T>(count: number, make: () => T): T[] => Array.from({ length: count }, make);

/** Weekday (Monday = 0) of a time `offsetHours` from UTC, for t seconds after the Monday 00:00 UTC start. */
function localWeekday(atSec: number, offsetHours: number): number {
  const local = atSec + offsetHours * HOUR_SEC;
  return (((Math.floor(local / DAY_SEC) % 7) + 7) % 7) as number;
}

/** Local hour of day (fractional) of t for a zone `offsetHours` from UTC. */
function localHour(atSec: number, offsetHours: number): number {
  const local = atSec + offsetHours * HOUR_SEC;
  return (((local % DAY_SEC) + DAY_SEC) % DAY_SEC) / HOUR_SEC;
}

/** Office-hours intensity 0–1 for a zone: 09:00–18:00 local on local weekdays, peaking mid-day. */
function officeLoad(atSec: number, offsetHours: number): number {
  if (localWeekday(atSec, offsetHours) >= 5) return 0;
  const hour = localHour(atSec, offsetHours);
  if (hour < 9 || hour >= 18) return 0;
  return 0.35 + 0.65 * Math.sin((Math.PI * (hour - 9)) / 9);
}

/** A typical team pipeline: build → parallel tests → sometimes a deploy. */
function teamPipeline(draws: Draws, minTests: number, maxTests: number, deployChance: number) {
  const steps = [
    { name: 'build', durations: [draws.duration(180, 0.35, 45, 900)] },
    { name: 'test', durations: times(draws.integer(minTests, maxTests), () => draws.duration(300, 0.5, 30, 1800)) },
  ];
  if (draws.chance(deployChance)) steps.push({ name: 'deploy', durations: [draws.duration(150, 0.3, 30, 600)] });
  return steps;
}

/**
 * Hundreds of long jobs every night at the same minute (02:00 UTC: several nightly pipelines, no build step, each
 * finishing with a report job), and light office-hours load on weekdays.
 */
function nightlyBurst(draws: Draws, days: number): BuildFactory {
  const factory = new BuildFactory('n');
  for (let day = 0; day < days; day += 1) {
    const night = day * DAY_SEC + 2 * HOUR_SEC;
    const pipelines = draws.integer(4, 5);
    for (let pipeline = 0; pipeline < pipelines; pipeline += 1) {
      factory.add(night + draws.uniform(0, 59), [
        { name: 'suite', durations: times(draws.integer(60, 90), () => draws.duration(1500, 0.35, 600, 3600)) },
        { name: 'report', durations: [draws.duration(90, 0.3, 20, 300)] },
      ]);
    }
  }
  const rate = (atSec: number) => officeLoad(atSec, 0) / 600;
  for (const at of draws.arrivals(0, days * DAY_SEC, 1 / 600, rate)) factory.add(at, teamPipeline(draws, 2, 6, 0.2));
  return factory;
}

/**
 * A trickle of single jobs in office hours, and at irregular times (0–3 a day, any hour 06–22 UTC) a storm: one to
 * three release pipelines a few minutes apart, each build → 60–250 parallel tests → package → 3–8 deploys.
 */
function releaseStorm(draws: Draws, days: number): BuildFactory {
  const factory = new BuildFactory('r');
  for (let day = 0; day < days; day += 1) {
    const storms = draws.integer(0, 3);
    for (let storm = 0; storm < storms; storm += 1) {
      const startsAt = day * DAY_SEC + draws.uniform(6 * HOUR_SEC, 22 * HOUR_SEC);
      const pipelines = draws.integer(1, 3);
      for (let pipeline = 0; pipeline < pipelines; pipeline += 1) {
        factory.add(startsAt + draws.uniform(0, 600), [
          { name: 'build', durations: [draws.duration(480, 0.3, 180, 1200)] },
          { name: 'test', durations: times(draws.integer(60, 250), () => draws.duration(420, 0.5, 60, 1800)) },
          { name: 'package', durations: [draws.duration(240, 0.3, 60, 900)] },
          { name: 'deploy', durations: times(draws.integer(3, 8), () => draws.duration(180, 0.4, 30, 900)) },
        ]);
      }
    }
  }
  const rate = (atSec: number) => officeLoad(atSec, 0) / 600;
  for (const at of draws.arrivals(0, days * DAY_SEC, 1 / 600, rate)) {
    factory.add(at, [{ name: 'check', durations: [draws.duration(300, 0.4, 30, 1200)] }]);
  }
  return factory;
}

/**
 * Three teams in Tokyo (UTC+9), Berlin (UTC+1) and Chicago (UTC−6), each with office-hours pipelines: the load moves
 * round the clock on weekdays; scheduled jobs every ~10 minutes keep it from ever going quiet.
 */
function followTheSun(draws: Draws, days: number): BuildFactory {
  const factory = new BuildFactory('f');
  const span = days * DAY_SEC;
  for (const offsetHours of [9, 1, -6]) {
    const rate = (atSec: number) => officeLoad(atSec, offsetHours) / 300;
    for (const at of draws.arrivals(0, span, 1 / 300, rate)) factory.add(at, teamPipeline(draws, 4, 12, 0.3));
  }
  for (const at of draws.arrivals(0, span, 1 / 600, () => 1 / 600)) {
    factory.add(at, [{ name: 'scheduled', durations: [draws.duration(240, 0.4, 30, 1200)] }]);
  }
  return factory;
}

const DESCRIPTIONS: Readonly<Record<TraceShape, string>> = {
  'nightly-burst':
    'hundreds of long jobs every night at 02:00 UTC (4-5 pipelines of 60-90 jobs of ~25 min) + light office-hours pipelines',
  'release-storm':
    'irregular release storms (0-3 a day: 1-3 pipelines of build -> 60-250 tests -> package -> deploys) + an office-hours trickle',
  'follow-the-sun':
    'office-hours pipelines in Tokyo, Berlin and Chicago (build -> 4-12 tests -> sometimes deploy) + scheduled jobs round the clock',
};

/** Checks the options, naming the bad one. */
export function checkGenerateOptions(options: GenerateOptions): void {
  if (!TRACE_SHAPES.includes(options.shape)) {
    throw new UsageError(`--shape must be one of ${TRACE_SHAPES.join(', ')}, got "${String(options.shape)}"`);
  }
  if (!Number.isInteger(options.days) || options.days < 1 || options.days > MAX_GENERATED_DAYS) {
    throw new UsageError(`--days must be a whole number from 1 to ${MAX_GENERATED_DAYS}, got ${options.days}`);
  }
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) {
    throw new UsageError(`--seed must be a non-negative integer, got ${options.seed}`);
  }
}

/** Generates a trace as JSONL text (header line, then jobs sorted by `createdAt`), ending with a newline. */
export function generateTrace(options: GenerateOptions): string {
  checkGenerateOptions(options);
  const draws = new Draws(createRandom(options.seed, `generate:${options.shape}`));
  const factory =
    options.shape === 'nightly-burst'
      ? nightlyBurst(draws, options.days)
      : options.shape === 'release-storm'
        ? releaseStorm(draws, options.days)
        : followTheSun(draws, options.days);
  // Stable: builds created at the same tenth of a second keep the order they were generated in.
  const builds = factory.builds
    .map((build, order) => ({ build, order }))
    .sort((a, b) => a.build.createdAt - b.build.createdAt || a.order - b.order)
    .map(({ build }) => build);
  const jobs = builds.flatMap((build) => build.jobs);
  const header = {
    trace: options.shape,
    start: GENERATED_TRACE_START,
    spanSec: options.days * DAY_SEC,
    description: `${DESCRIPTIONS[options.shape]}; elastic-ci-sim generate --shape ${options.shape} --days ${options.days} --seed ${options.seed}`,
    jobs: jobs.length,
  };
  return `${[header, ...jobs].map((line) => JSON.stringify(line)).join('\n')}\n`;
}
