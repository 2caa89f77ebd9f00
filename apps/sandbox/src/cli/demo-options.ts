import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { DurationFormatError, parseWorldDuration, parseWorldOffset } from '../replay/world-duration';

/**
 * Defaults that keep `make demo` within 3 minutes on a loaded 2-core machine: the first hour of the bundled
 * steady-trickle trace (25 jobs) at 60× — 60 s of replay, plus the sandbox's start-up (~35 s measured under load) and
 * the fleet's wind-down. (90 minutes took 2 min 34 s at a load average of 30: too close to the budget.)
 */
export const DEMO_DEFAULTS = {
  policy: 'elastic-ci',
  speed: 60,
  duration: '60m',
  seed: 1,
  chart: join(tmpdir(), 'elastic-ci-demo-sandbox.svg'),
  progressEverySec: 5,
} as const;

/** Fastest world the product's timings still fit: above this the scaler's 10 s poll would be under 1/60 s. */
export const MAX_SPEED = 600;

export const DEMO_USAGE = `Usage: elastic-ci-sandbox demo [options]

Runs the real elastic-ci control plane (agent-scaler, lifecycled, stop-agent-gracefully) against moto and a
Buildkite API stand-in on this machine, replays a CI trace into it on a compressed clock, prints live progress, and
ends with the measured figures beside the simulator's prediction for the same trace cut and policy.

Options:
  --trace FILE          JSONL trace (default: the simulator's bundled steady-trickle)
  --policy NAME|FILE    simulator preset or JSON policy file (default: ${DEMO_DEFAULTS.policy})
  --speed X             world seconds per real second, 0 < X ≤ ${MAX_SPEED} (default: ${DEMO_DEFAULTS.speed})
  --duration D          replay D of the trace: 90m, 2h, 1h30m, 5400 (default: ${DEMO_DEFAULTS.duration})
  --from T              start the replay T into the trace, e.g. 32h40m for an imported week whose first build
                        comes on Tuesday morning (default: 0, its start)
  --queue NAME          the trace's queue the fleet serves (default: the trace's only queue)
  --seed N              seed of the simulator's prediction (default: ${DEMO_DEFAULTS.seed})
  --chart FILE          measured-vs-predicted chart, .svg or .html (default: ${DEMO_DEFAULTS.chart})
  --log-dir DIR         where every process's log goes (default: a new temporary directory)
  --moto-port PORT      moto listens on 127.0.0.1:PORT, to look at the stack's resources while the demo runs
                        (credentials testing/testing; default: a free port)
  --json                the final report as JSON on stdout (progress goes to stderr)
  -h, --help            this help

Exit codes: 0 done with no job interrupted, 1 a job was interrupted or an internal error, 2 bad input (options,
trace, policy) or the sandbox could not start (moto missing, port in use) — every process it started is stopped.`;

export interface DemoOptions {
  readonly tracePath: string | undefined;
  readonly policy: string;
  readonly speed: number;
  readonly durationSec: number;
  /** Where in the trace the replayed window starts (world seconds). */
  readonly fromSec: number;
  readonly queue: string | undefined;
  readonly seed: number;
  readonly chartPath: string;
  readonly logDir: string | undefined;
  /** moto's loopback port; undefined = a free one. */
  readonly motoPort: number | undefined;
  readonly json: boolean;
}

/** Bad command line: the message lists every problem, one per line, each naming the option and the fix. */
export class DemoUsageError extends Error {
  override name = 'DemoUsageError';
}

const text = (option: string, example: string) =>
  z.string({ error: `--${option} needs a value, e.g. --${option} ${example}` }).min(1, `--${option} is empty`);

/** A world time option (`90m`, `1h30m`, seconds), its format error named after the option. */
const worldTime = (option: string, example: string, parse: (value: string) => number) =>
  text(option, example).transform((value, context) => {
    try {
      return parse(value);
    } catch (error) {
      if (!(error instanceof DurationFormatError)) throw error;
      context.addIssue({ code: 'custom', message: `--${option}: ${error.message}` });
      return z.NEVER;
    }
  });

const optionsSchema = z.strictObject({
  trace: text('trace', 'traces/steady-trickle.jsonl').optional(),
  policy: text('policy', 'elastic-ci').default(DEMO_DEFAULTS.policy),
  speed: text('speed', '60')
    .transform((value, context) => {
      const speed = Number(value);
      if (!Number.isFinite(speed) || speed <= 0 || speed > MAX_SPEED) {
        context.addIssue({
          code: 'custom',
          message: `--speed must be a number of world seconds per real second in (0, ${MAX_SPEED}], e.g. 60; got "${value}"`,
        });
        return z.NEVER;
      }
      return speed;
    })
    .optional(),
  duration: worldTime('duration', '90m', parseWorldDuration).optional(),
  from: worldTime('from', '32h40m', parseWorldOffset).optional(),
  queue: text('queue', 'default').optional(),
  seed: text('seed', '1').regex(/^\d+$/, '--seed must be a non-negative integer, e.g. 1').transform(Number).optional(),
  chart: text('chart', 'demo.svg')
    .refine((path) => ['.svg', '.html'].includes(extname(path).toLowerCase()), {
      message: '--chart must name a .svg or .html file, e.g. --chart demo.svg',
    })
    .optional(),
  'log-dir': text('log-dir', '/tmp/demo-logs').optional(),
  'moto-port': text('moto-port', '5000')
    .regex(/^\d+$/, '--moto-port must be a TCP port number from 1 to 65535, e.g. 5000')
    .transform(Number)
    .refine((port) => port >= 1 && port <= 65_535, '--moto-port must be a TCP port number from 1 to 65535, e.g. 5000')
    .optional(),
  json: z.boolean({ error: '--json takes no value' }).default(false),
  help: z.boolean({ error: '--help takes no value' }).default(false),
});

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `--${key}: unknown option (see --help)`).join('\n  ');
  }
  return issue.message;
}

/** `argv` after the `demo` subcommand. `undefined` means `--help` was asked for. */
export function parseDemoOptions(argv: readonly string[]): DemoOptions | undefined {
  const { values, positionals } = parseArgs({
    args: [...argv],
    strict: false,
    allowPositionals: true,
    options: {
      trace: { type: 'string' },
      policy: { type: 'string' },
      speed: { type: 'string' },
      duration: { type: 'string' },
      from: { type: 'string' },
      queue: { type: 'string' },
      seed: { type: 'string' },
      chart: { type: 'string' },
      'log-dir': { type: 'string' },
      'moto-port': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const problems: string[] = positionals.map((value) => `unexpected argument "${value}" (options start with --)`);
  const result = optionsSchema.safeParse(values);
  if (!result.success) problems.push(...result.error.issues.map(describe));
  if (problems.length > 0 || !result.success) {
    throw new DemoUsageError(`bad options:\n  ${problems.join('\n  ')}`);
  }
  const parsed = result.data;
  if (parsed.help) return undefined;
  return {
    tracePath: parsed.trace,
    policy: parsed.policy,
    speed: parsed.speed ?? DEMO_DEFAULTS.speed,
    durationSec: parsed.duration ?? parseWorldDuration(DEMO_DEFAULTS.duration),
    fromSec: parsed.from ?? 0,
    queue: parsed.queue,
    seed: parsed.seed ?? DEMO_DEFAULTS.seed,
    chartPath: parsed.chart ?? DEMO_DEFAULTS.chart,
    logDir: parsed['log-dir'],
    motoPort: parsed['moto-port'],
    json: parsed.json,
  };
}
