import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { renderChart } from './chart.js';
import { chooseQueue, comparePolicies, type PhysicsOverrides } from './compare.js';
import { parseDurationArg } from './duration-arg.js';
import { UsageError } from './errors.js';
import { formatFrontier, frontierSettings, runFrontier } from './frontier.js';
import { checkGenerateOptions, generateTrace, TRACE_SHAPES, type TraceShape } from './generate.js';
import { countOf, importBuildkiteBuilds } from './import-buildkite.js';
import { MAX_SPOT_INTERRUPTIONS_PER_HOUR } from './policy.js';
import { PRESET_NAMES, PRESETS } from './presets.js';
import { buildReport, formatReport } from './report.js';
import { type ReadTextFile, resolvePolicy } from './resolve-policy.js';
import { parseTrace } from './trace.js';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readTextFile: ReadTextFile;
  /** A file's bytes chunk by chunk, for inputs larger than a string holds (Buildkite exports). */
  readonly readFileChunks: (path: string) => Iterable<Uint8Array>;
  readonly writeTextFile: (path: string, text: string) => void;
}

export const DEFAULT_POLICIES = ['buildkite-default', 'buildkite-tuned', 'elastic-ci'] as const;

/** The trace shipped in the package, used when no trace is given (users may not have `../shared/traces`). */
export function bundledTracePath(): string {
  // dist/cli.js and src/run-cli.ts both sit one level below the package root.
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'traces', 'steady-trickle.jsonl');
}

export const GENERATE_USAGE = `Usage: elastic-ci-sim generate --shape ${TRACE_SHAPES.join('|')} [--days N] [--seed N] [--out FILE]`;

export const IMPORT_USAGE = 'Usage: elastic-ci-sim import [--name NAME] [--out FILE] BUILDS.json...';

export const FRONTIER_USAGE =
  'Usage: elastic-ci-sim frontier [--queue NAME] [--seed N] [--measure-from DURATION] [--json] [physics options] [TRACE.jsonl]';

const SUBCOMMAND_USAGES = new Map([
  ['generate', GENERATE_USAGE],
  ['import', IMPORT_USAGE],
  ['frontier', FRONTIER_USAGE],
]);

export const USAGE = `Usage: elastic-ci-sim [options] [TRACE.jsonl]
       ${GENERATE_USAGE.slice('Usage: '.length)}
       ${IMPORT_USAGE.slice('Usage: '.length)}
       ${FRONTIER_USAGE.slice('Usage: '.length)}

Simulates a CI agent fleet under each scaling policy on the same trace and prints job wait and fleet cost side by
side. Without TRACE, the bundled steady-trickle trace (one day, ~700 jobs) is used.

Options:
  -p, --policy NAME|FILE  policy to compare; repeat or comma-separate
                          (default: ${DEFAULT_POLICIES.join(',')}; presets: ${PRESET_NAMES.join(', ')};
                          FILE: a JSON policy, optionally {"extends": "<preset>", ...overrides})
  -b, --baseline NAME     policy the ratios compare against (default: the first)
  -s, --seed N            random seed, a non-negative integer (default: 1)
  -q, --queue NAME        queue to simulate (default: the trace's only queue)
      --spot-rate X       spot interruptions per instance-hour for every policy, at most 10 (default: each
                          policy's own)
      --boot-sec N        median cold boot in seconds for every policy (default: each policy's own, 100)
      --resume-sec N      median warm-pool resume in seconds for every policy with a pool (default: 25)
      --instance-price X  compute $ per instance-hour for every policy: your instance type's (default: each
                          policy's own, 0.17 in the presets)
      --volume-price X    root volume $ per instance-hour for every policy (default: each policy's own, 0.0274:
                          250 GB gp3)
      --measure-from DURATION
                          count only jobs created from then on (e.g. 1d, 36h, 3600s): earlier jobs run and teach
                          every policy alike, but their waits and the fleet's cost before then are not counted
      --json              print the report as JSON instead of a table
      --chart FILE        write a chart of demand, capacity and wait over time (.svg or .html)
      --list-policies     print the preset names and what they do
      --print-policy NAME|FILE
                          print a policy with every default filled in (a starting point for a policy file)
  -h, --help              print this help

generate writes a synthetic trace in the same format (deterministic per seed; default 3 days from a Monday, seed 1,
to stdout): nightly-burst (hundreds of long jobs every night at 02:00 UTC + light daytime load), release-storm
(irregular large fan-outs with dependencies), follow-the-sun (load moving across three time zones, never quiet).

import turns builds exported from Buildkite's REST API (pages of GET /v2/organizations/{org}/builds, each a JSON
array with the jobs embedded) into a trace of your own workload (to stdout, or FILE); only ids, queues and timings
are kept.

frontier simulates the elastic-ci preset with ${frontierSettings().length} settings of the three that trade job wait for cost
(when capacity for jobs behind a step comes, whether it waits stopped in the warm pool, how long idle agents are
kept) beside the Buildkite variants, and prints the settings no other beats on both p95 wait and cost, with what
each costs against the cheapest variant: the wait you can buy on your own workload, and what to deploy for it. The
physics options (--spot-rate, --boot-sec, --resume-sec, --instance-price, --volume-price) apply there too.

Exit codes: 0 done, 1 internal error, 2 bad usage or bad input (trace, policy file).`;

function runGenerate(argv: readonly string[], io: CliIo): void {
  const { values } = parseCommandArgs(argv, false, {
    shape: { type: 'string' },
    days: { type: 'string' },
    seed: { type: 'string', short: 's' },
    out: { type: 'string', short: 'o' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout(`${GENERATE_USAGE}\n`);
    return;
  }
  if (values.shape === undefined) throw new UsageError(`--shape is required: one of ${TRACE_SHAPES.join(', ')}`);
  const options = {
    shape: values.shape as TraceShape,
    days: values.days === undefined ? 3 : parseNonNegativeInteger(values.days, '--days'),
    seed: values.seed === undefined ? 1 : parseNonNegativeInteger(values.seed, '--seed'),
  };
  checkGenerateOptions(options);
  const text = generateTrace(options);
  if (values.out === undefined) {
    io.stdout(text);
    return;
  }
  writeOutput(io, values.out, text);
  const jobs = text.split('\n').length - 2;
  io.stderr(
    `trace ${options.shape}: ${jobs} jobs over ${options.days} days (seed ${options.seed}) written to ${values.out}\n`,
  );
}

function runImport(argv: readonly string[], io: CliIo): void {
  const { values, positionals } = parseCommandArgs(argv, true, {
    name: { type: 'string' },
    out: { type: 'string', short: 'o' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout(`${IMPORT_USAGE}\n`);
    return;
  }
  if (positionals.length === 0) throw new UsageError('import needs at least one exported builds file');
  const name = values.name ?? 'imported';
  if (name.trim() === '') throw new UsageError('--name must not be empty');
  const sources = positionals.map((path) => ({ name: path, chunks: readableChunks(io, path) }));
  const { text, summary } = importBuildkiteBuilds(sources, name);
  const described =
    `trace ${name}: ${countOf(summary.jobs, 'job')} from ${countOf(summary.builds, 'build')}, queues ${summary.queues.join(', ')}` +
    `; never ran, left out: ${summary.notRun}; created when they became runnable: ${summary.createdWhenRunnable}`;
  if (values.out === undefined) {
    io.stdout(text);
    io.stderr(`${described}\n`);
    return;
  }
  writeOutput(io, values.out, text);
  io.stderr(`${described}, written to ${values.out}\n`);
}

function runFrontierCommand(argv: readonly string[], io: CliIo): void {
  const { values, positionals } = parseCommandArgs(argv, true, {
    queue: { type: 'string', short: 'q' },
    seed: { type: 'string', short: 's' },
    'measure-from': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    ...PHYSICS_OPTIONS,
  });
  if (values.help) {
    io.stdout(`${FRONTIER_USAGE}\n`);
    return;
  }
  if (positionals.length > 1) {
    throw new UsageError(`expected at most one trace file, got ${positionals.length}: ${positionals.join(' ')}`);
  }
  const seed = values.seed === undefined ? 1 : parseNonNegativeInteger(values.seed, '--seed');
  const measureFrom = values['measure-from'];
  const measureFromSec = measureFrom === undefined ? 0 : parseDurationArg(measureFrom, '--measure-from');
  const { trace, queue } = readTrace(positionals[0], values.queue, io);
  io.stderr(`simulating ${frontierSettings().length} settings and the Buildkite variants on ${trace.name}…\n`);
  const physics = physicsOverridesOf(values);
  const result = runFrontier({ trace, queue, seed, measureFromSec, ...physics });
  if (values.json) {
    io.stdout(`${JSON.stringify({ trace: trace.name, queue, seed, measureFromSec, physics, ...result }, null, 2)}\n`);
    return;
  }
  const heading = { trace: trace.name, queue, seed, physics, ...(measureFromSec > 0 ? { measureFrom } : {}) };
  io.stdout(`${formatFrontier(result, heading)}\n`);
}

/** The run-wide physics options, the same for the comparison and `frontier`. */
const PHYSICS_OPTIONS = {
  'spot-rate': { type: 'string' },
  'boot-sec': { type: 'string' },
  'resume-sec': { type: 'string' },
  'instance-price': { type: 'string' },
  'volume-price': { type: 'string' },
} as const;

type PhysicsValues = { readonly [option in keyof typeof PHYSICS_OPTIONS]?: string | undefined };

/** The physics options given, validated: only those set appear. */
function physicsOverridesOf(values: PhysicsValues): PhysicsOverrides {
  const given = <T>(option: keyof typeof PHYSICS_OPTIONS, parse: (value: string, option: string) => T) => {
    const value = values[option];
    return value === undefined ? undefined : parse(value, `--${option}`);
  };
  const overrides = {
    spotRate: given('spot-rate', parseSpotRate),
    bootMedianSec: given('boot-sec', parsePositive),
    resumeMedianSec: given('resume-sec', parsePositive),
    instancePricePerHour: given('instance-price', parsePrice),
    volumePricePerHour: given('volume-price', parseRate),
  };
  return Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
}

/** A subcommand's arguments, strictly parsed; anything unknown or malformed is a usage error. */
function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: readonly string[],
  allowPositionals: boolean,
  options: T,
) {
  try {
    return parseArgs({ args: [...argv], allowPositionals, strict: true, options });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/** Reads and parses a trace (the bundled one without a path) and picks its queue. */
function readTrace(path: string | undefined, queueOption: string | undefined, io: CliIo) {
  const tracePath = path ?? bundledTracePath();
  let text: string;
  try {
    text = io.readTextFile(tracePath);
  } catch (error) {
    throw new UsageError(`cannot read trace ${tracePath}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const trace = parseTrace(text, tracePath);
  return { trace, queue: chooseQueue(trace, queueOption) };
}

/** A file's chunks, read as the import consumes them; a failure to read is a usage error naming the path. */
function* readableChunks(io: CliIo, path: string): Generator<Uint8Array> {
  try {
    yield* io.readFileChunks(path);
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/** Writes a subcommand's output file; a failure is a usage error naming the path. */
function writeOutput(io: CliIo, path: string, text: string): void {
  try {
    io.writeTextFile(path, text);
  } catch (error) {
    throw new UsageError(`cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

function parseNonNegativeInteger(value: string, option: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${option} must be a non-negative integer, got "${value}"`);
  }
  return Number(value);
}

function parseRate(value: string, option: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0) {
    throw new UsageError(`${option} must be a non-negative number, got "${value}"`);
  }
  return parsed;
}

function parseSpotRate(value: string, option: string): number {
  const rate = parseRate(value, option);
  if (rate > MAX_SPOT_INTERRUPTIONS_PER_HOUR) {
    throw new UsageError(
      `${option} must be at most ${MAX_SPOT_INTERRUPTIONS_PER_HOUR} interruptions per running instance-hour (a rate, not a percentage: 0.05 is one reclaim in 20 instance-hours), got "${value}"`,
    );
  }
  return rate;
}

function parsePrice(value: string, option: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed <= 0) {
    throw new UsageError(`${option} must be a positive price in $ per instance-hour, got "${value}"`);
  }
  return parsed;
}

function parsePositive(value: string, option: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed <= 0) {
    throw new UsageError(`${option} must be a positive number of seconds, got "${value}"`);
  }
  return parsed;
}

function run(argv: readonly string[], io: CliIo): void {
  if (argv[0] === 'generate') {
    runGenerate(argv.slice(1), io);
    return;
  }
  if (argv[0] === 'import') {
    runImport(argv.slice(1), io);
    return;
  }
  if (argv[0] === 'frontier') {
    runFrontierCommand(argv.slice(1), io);
    return;
  }
  let parsed: ReturnType<typeof parseCliArgs>;
  try {
    parsed = parseCliArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return;
  }
  if (values['list-policies']) {
    for (const name of PRESET_NAMES) io.stdout(`${name}\n  ${PRESETS[name]?.description ?? ''}\n`);
    return;
  }
  if (values['print-policy'] !== undefined) {
    const { extends: _extends, ...policy } = resolvePolicy(values['print-policy'], io.readTextFile);
    io.stdout(`${JSON.stringify(policy, null, 2)}\n`);
    return;
  }
  if (positionals.length > 1) {
    throw new UsageError(`expected at most one trace file, got ${positionals.length}: ${positionals.join(' ')}`);
  }
  const seed = values.seed === undefined ? 1 : parseNonNegativeInteger(values.seed, '--seed');
  const physics = physicsOverridesOf(values);
  const measureFromSec =
    values['measure-from'] === undefined ? 0 : parseDurationArg(values['measure-from'], '--measure-from');
  const chartPath = values.chart;
  if (chartPath !== undefined && !['.svg', '.html'].includes(extname(chartPath).toLowerCase())) {
    throw new UsageError(`--chart must name a .svg or .html file, got "${chartPath}"`);
  }
  const specs = (values.policy ?? [...DEFAULT_POLICIES])
    .flatMap((value) => value.split(','))
    .map((spec) => spec.trim())
    .filter((spec) => spec !== '');
  if (specs.length === 0) throw new UsageError('--policy needs at least one policy name or file');
  const policies = specs.map((spec) => resolvePolicy(spec, io.readTextFile));
  const names = policies.map((policy) => policy.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) {
    // A file without a "name" of its own takes the name of the preset it extends.
    const sharing = specs.filter((_spec, index) => names[index] === duplicate);
    throw new UsageError(
      `policy "${duplicate}" is given twice (${sharing.join(', ')}): names must be unique; give each policy file its own "name"`,
    );
  }
  if (values.baseline !== undefined && !names.includes(values.baseline)) {
    throw new UsageError(`--baseline "${values.baseline}" is not one of the compared policies: ${names.join(', ')}`);
  }

  const { trace, queue } = readTrace(positionals[0], values.queue, io);
  const runs = comparePolicies({
    trace,
    policies,
    seed,
    queue,
    measureFromSec,
    ...physics,
  });
  const report = buildReport(
    trace,
    queue,
    seed,
    runs.map((entry) => entry.summary),
    values.baseline,
    measureFromSec,
  );
  if (values.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout(`${formatReport(report)}\n`);

  if (chartPath !== undefined) {
    const chart = renderChart(
      {
        title: `${trace.name}: ${runs.map((entry) => entry.policy.name).join(' vs ')} (seed ${seed})`,
        startEpochMs: trace.startEpochMs,
        series: runs.map((entry) => ({
          policy: entry.policy.name,
          waitP95Sec: entry.summary.waitSec.p95,
          instanceHours: entry.summary.instanceHours,
          timeline: entry.result.timeline,
        })),
      },
      extname(chartPath).toLowerCase() === '.html' ? 'html' : 'svg',
    );
    try {
      io.writeTextFile(chartPath, chart);
    } catch (error) {
      throw new UsageError(
        `cannot write chart ${chartPath}: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    }
    (values.json ? io.stderr : io.stdout)(`chart: ${chartPath}\n`);
  }
}

function parseCliArgs(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      policy: { type: 'string', short: 'p', multiple: true },
      baseline: { type: 'string', short: 'b' },
      seed: { type: 'string', short: 's' },
      queue: { type: 'string', short: 'q' },
      'measure-from': { type: 'string' },
      ...PHYSICS_OPTIONS,
      json: { type: 'boolean' },
      chart: { type: 'string' },
      'list-policies': { type: 'boolean' },
      'print-policy': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** Runs the CLI and returns its exit code: 0 done, 2 bad usage or input (message on stderr), 1 anything else. */
export function runCli(argv: readonly string[], io: CliIo): number {
  try {
    run(argv, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`elastic-ci-sim: ${error.message}\n`);
      // Bad files explain themselves; a bad command line also points at the help.
      if (error.name === 'UsageError') {
        const usage = SUBCOMMAND_USAGES.get(argv[0] ?? '');
        io.stderr(usage === undefined ? "Run 'elastic-ci-sim --help' for usage.\n" : `${usage}\n`);
      }
      return 2;
    }
    io.stderr(
      `elastic-ci-sim: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}
