import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { parseDurationMs } from './duration';
import { ConfigError } from './errors';
import { INSTANCE_BROKER_URL_MAX_LENGTH, isInstanceBrokerUrl } from './instance-broker';
import { parseTags } from './tags';

/** Everything the daemon needs, parsed once from flags and `LIFECYCLED_*` variables. */
export interface LifecycledConfig {
  /** How to start the handler: the executable and the arguments that precede the notice's arguments. */
  handler: { command: string; args: string[]; description: string };
  instanceId: string | undefined;
  snsTopicArn: string | undefined;
  queueTags: Record<string, string> | undefined;
  spotListener: boolean;
  lifecycleStateListener: boolean;
  json: boolean;
  debug: boolean;
  cloudwatchGroup: string | undefined;
  cloudwatchStream: string | undefined;
  spotListenerIntervalMs: number;
  lifecycleStateIntervalMs: number;
  heartbeatIntervalMs: number;
  autoscalingGroupName: string | undefined;
  lifecycleHookName: string | undefined;
  handlerKillTimeoutMs: number;
  sqsWaitTimeSeconds: number;
  imdsEndpoint: string;
  imdsTimeoutMs: number;
  /** Where the last settled target lifecycle state is remembered across restarts; none when unset. */
  stateDir: string | undefined;
  /** Heartbeats and completion go through the stack's instance broker at this URL; none: Auto Scaling directly. */
  instanceBrokerUrl: string | undefined;
}

export type ParsedCommandLine = { kind: 'run'; config: LifecycledConfig } | { kind: 'help' } | { kind: 'version' };

type FlagKind = 'string' | 'boolean';
interface FlagDefinition {
  kind: FlagKind;
  default?: string;
  help: string;
}

/** Flags in Buildkite lifecycled's spelling; each also reads `LIFECYCLED_<NAME_IN_UPPER_SNAKE>`. */
export const FLAGS = {
  handler: { kind: 'string', help: 'executable run on each notice (default: the bundled stop-agent-gracefully)' },
  'instance-id': { kind: 'string', help: 'this instance (default: instance metadata instance-id)' },
  'sns-topic': { kind: 'string', help: 'lifecycle-hook SNS topic ARN; enables the SQS listener' },
  tags: { kind: 'string', default: '', help: 'tags for the per-instance SQS queue, k=v,k2=v2' },
  'no-spot': { kind: 'boolean', default: 'false', help: 'disable the spot interruption/rebalance listener' },
  'no-lifecycle-state': {
    kind: 'boolean',
    default: 'false',
    help: 'disable the autoscaling/target-lifecycle-state listener',
  },
  json: { kind: 'boolean', default: 'false', help: 'log JSON lines (text otherwise)' },
  debug: { kind: 'boolean', default: 'false', help: 'log debug lines' },
  'cloudwatch-group': { kind: 'string', help: 'also ship logs to this CloudWatch Logs group' },
  'cloudwatch-stream': { kind: 'string', help: 'CloudWatch Logs stream (default: instance ID)' },
  'spot-listener-interval': { kind: 'string', default: '5s', help: 'spot/rebalance metadata poll interval' },
  'lifecycle-state-interval': { kind: 'string', default: '5s', help: 'target-lifecycle-state poll interval' },
  'autoscaling-heartbeat-interval': {
    kind: 'string',
    default: '10s',
    help: 'RecordLifecycleActionHeartbeat interval while the handler runs',
  },
  'autoscaling-group-name': { kind: 'string', help: 'group of this instance (default: looked up)' },
  'lifecycle-hook-name': { kind: 'string', help: 'termination hook to complete (default: the group’s only one)' },
  'handler-kill-timeout': {
    kind: 'string',
    default: '10s',
    help: 'on daemon stop, time between SIGTERM and SIGKILL for the handler',
  },
  'sqs-wait-time': { kind: 'string', default: '20s', help: 'SQS long-poll wait (1s to 20s)' },
  'imds-timeout': { kind: 'string', default: '2s', help: 'per-request instance metadata timeout' },
  'state-dir': {
    kind: 'string',
    help: 'directory (on a tmpfs such as /run/lifecycled) where the last target lifecycle state is kept across restarts',
  },
  'instance-broker-url': {
    kind: 'string',
    help: "function URL of the stack's instance broker: heartbeats and completion go through it (default: Auto Scaling directly)",
  },
} as const satisfies Record<string, FlagDefinition>;

type FlagName = keyof typeof FLAGS;

export const envName = (flag: string) => `LIFECYCLED_${flag.toUpperCase().replaceAll('-', '_')}`;
const label = (flag: string) => `--${flag} (${envName(flag)})`;

const TRUTHY = new Set(['1', 'y', 'yes', 't', 'true', 'on']);
const FALSY = new Set(['0', 'n', 'no', 'f', 'false', 'off', '']);

export interface ConfigDependencies {
  /** Throws when `path` is not an executable regular file. */
  assertExecutable?: (path: string) => void;
  /** The handler used when none is given. */
  defaultHandler?: LifecycledConfig['handler'];
  /** Directory a relative `--handler` is resolved against. @default process.cwd() */
  cwd?: string;
}

function assertExecutableFile(path: string): void {
  if (!statSync(path).isFile()) throw new Error('not a regular file');
  accessSync(path, fsConstants.X_OK);
}

/** The `stop-agent-gracefully` bundled next to this file, run with the same Node so its mode bits do not matter. */
export function bundledHandler(): LifecycledConfig['handler'] {
  const here = dirname(fileURLToPath(import.meta.url));
  const script = join(here, import.meta.url.endsWith('.ts') ? 'stop-agent-gracefully.ts' : 'stop-agent-gracefully.js');
  const args = import.meta.url.endsWith('.ts') ? ['--import', 'tsx', script] : [script];
  return { command: process.execPath, args, description: `stop-agent-gracefully (${script})` };
}

const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

function duration(flag: FlagName, { minMs, maxMs }: { minMs: number; maxMs: number }) {
  return z.string().transform((text, context) => {
    const ms = parseDurationMs(text);
    if (ms === undefined || ms < minMs || ms > maxMs) {
      context.addIssue({
        code: 'custom',
        message: `${label(flag)}: "${text}" is not a duration between ${minMs}ms and ${maxMs / 1000}s (write e.g. 5s, 500ms, 1m30s)`,
      });
      return z.NEVER;
    }
    return ms;
  });
}

function boolean(flag: FlagName) {
  return z.string().transform((text, context) => {
    const normalised = text.trim().toLowerCase();
    if (TRUTHY.has(normalised)) return true;
    if (FALSY.has(normalised)) return false;
    context.addIssue({ code: 'custom', message: `${label(flag)}: "${text}" is not a boolean (use true or false)` });
    return z.NEVER;
  });
}

const optionalText = z
  .string()
  .optional()
  .transform((text) => (text === undefined || text.trim() === '' ? undefined : text.trim()));

function buildSchema(dependencies: Required<ConfigDependencies>) {
  return z
    .object({
      handler: optionalText.transform((path, context) => {
        if (path === undefined) return dependencies.defaultHandler;
        // Resolved once, so the file checked here is the file spawned: a bare NAME given to spawn() would be looked
        // up through PATH instead of in the working directory where it was checked.
        const resolved = resolve(dependencies.cwd, path);
        try {
          dependencies.assertExecutable(resolved);
        } catch (error) {
          const reason = error instanceof Error ? error.message.replace(/^[A-Z]+: /, '') : String(error);
          const shown = resolved === path ? `"${path}"` : `"${path}" (${resolved})`;
          context.addIssue({
            code: 'custom',
            message: `${label('handler')}: ${shown} is not an executable file (${reason}); chmod +x it or fix the path`,
          });
          return z.NEVER;
        }
        return { command: resolved, args: [], description: resolved };
      }),
      'instance-id': optionalText.refine((id) => id === undefined || INSTANCE_ID.test(id), {
        message: `${label('instance-id')}: expected an EC2 instance ID like i-0123456789abcdef0`,
      }),
      'sns-topic': optionalText.refine((arn) => arn === undefined || SNS_TOPIC_ARN.test(arn), {
        message: `${label('sns-topic')}: expected an SNS topic ARN like arn:aws:sns:us-east-1:123456789012:lifecycle`,
      }),
      tags: z.string().transform((text, context) => {
        const { tags, problems } = parseTags(text);
        for (const problem of problems) context.addIssue({ code: 'custom', message: `${label('tags')}: ${problem}` });
        return tags;
      }),
      'no-spot': boolean('no-spot'),
      'no-lifecycle-state': boolean('no-lifecycle-state'),
      json: boolean('json'),
      debug: boolean('debug'),
      'cloudwatch-group': optionalText,
      'cloudwatch-stream': optionalText,
      'spot-listener-interval': duration('spot-listener-interval', { minMs: 10, maxMs: 3_600_000 }),
      'lifecycle-state-interval': duration('lifecycle-state-interval', { minMs: 10, maxMs: 3_600_000 }),
      'autoscaling-heartbeat-interval': duration('autoscaling-heartbeat-interval', { minMs: 10, maxMs: 7_200_000 }),
      'autoscaling-group-name': optionalText,
      'lifecycle-hook-name': optionalText,
      'handler-kill-timeout': duration('handler-kill-timeout', { minMs: 0, maxMs: 3_600_000 }),
      'sqs-wait-time': duration('sqs-wait-time', { minMs: 1_000, maxMs: 20_000 }),
      'imds-timeout': duration('imds-timeout', { minMs: 10, maxMs: 60_000 }),
      'state-dir': optionalText.refine((path) => path === undefined || isAbsolute(path), {
        message: `${label('state-dir')}: expected an absolute path like /run/lifecycled`,
      }),
      // Never echoed: a URL with credentials in it is exactly what this refuses.
      'instance-broker-url': optionalText.refine((url) => url === undefined || isInstanceBrokerUrl(url), {
        message: `${label('instance-broker-url')}: expected an https:// function URL like https://<id>.lambda-url.<region>.on.aws/ without credentials, query or fragment (at most ${INSTANCE_BROKER_URL_MAX_LENGTH} characters; http:// only to a loopback address)`,
      }),
      imdsEndpoint: z.string().refine(
        (endpoint) => {
          try {
            return ['http:', 'https:'].includes(new URL(endpoint).protocol);
          } catch {
            return false;
          }
        },
        { message: 'AWS_EC2_METADATA_SERVICE_ENDPOINT: expected a URL like http://169.254.169.254' },
      ),
    })
    .transform(
      (raw): LifecycledConfig => ({
        handler: raw.handler,
        instanceId: raw['instance-id'],
        snsTopicArn: raw['sns-topic'],
        queueTags: raw.tags,
        spotListener: !raw['no-spot'],
        lifecycleStateListener: !raw['no-lifecycle-state'],
        json: raw.json,
        debug: raw.debug,
        cloudwatchGroup: raw['cloudwatch-group'],
        cloudwatchStream: raw['cloudwatch-stream'],
        spotListenerIntervalMs: raw['spot-listener-interval'],
        lifecycleStateIntervalMs: raw['lifecycle-state-interval'],
        heartbeatIntervalMs: raw['autoscaling-heartbeat-interval'],
        autoscalingGroupName: raw['autoscaling-group-name'],
        lifecycleHookName: raw['lifecycle-hook-name'],
        handlerKillTimeoutMs: raw['handler-kill-timeout'],
        sqsWaitTimeSeconds: Math.round(raw['sqs-wait-time'] / 1000),
        imdsEndpoint: raw.imdsEndpoint.replace(/\/+$/, ''),
        imdsTimeoutMs: raw['imds-timeout'],
        stateDir: raw['state-dir'],
        instanceBrokerUrl: raw['instance-broker-url'],
      }),
    );
}

/** Reads flags like Buildkite's kingpin parser: `--name value`, `--name=value`, bare booleans; collects problems. */
function readArgv(argv: readonly string[]): { values: Partial<Record<FlagName, string>>; problems: string[] } {
  const values: Partial<Record<FlagName, string>> = {};
  const problems: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index] ?? '';
    if (!token.startsWith('--')) {
      problems.push(`unexpected argument "${token}" (every option is a --flag)`);
      continue;
    }
    const [rawName = '', inlineValue] = token.slice(2).split(/=(.*)/s, 2);
    if (!(rawName in FLAGS)) {
      problems.push(`unknown flag --${rawName} (see --help)`);
      continue;
    }
    const name = rawName as FlagName;
    if (FLAGS[name].kind === 'boolean') {
      values[name] = inlineValue ?? 'true';
    } else if (inlineValue !== undefined) {
      values[name] = inlineValue;
    } else if (index + 1 < argv.length && !(argv[index + 1] ?? '').startsWith('--')) {
      values[name] = argv[index + 1] ?? '';
      index++;
    } else {
      problems.push(`${label(name)}: needs a value`);
    }
  }
  return { values, problems };
}

/**
 * Parses the command line and environment once. Flags win over `LIFECYCLED_*` variables, which win over defaults.
 * @throws ConfigError naming every bad flag/variable and how to fix it.
 */
export function parseConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  dependencies: ConfigDependencies = {},
): ParsedCommandLine {
  if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help' };
  if (argv.includes('--version')) return { kind: 'version' };
  const { values, problems } = readArgv(argv);
  const raw: Record<string, string | undefined> = {};
  for (const [name, definition] of Object.entries(FLAGS) as [FlagName, FlagDefinition][]) {
    raw[name] = values[name] ?? env[envName(name)] ?? definition.default;
  }
  raw.imdsEndpoint =
    env.AWS_EC2_METADATA_SERVICE_ENDPOINT ??
    (env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE?.toLowerCase() === 'ipv6'
      ? 'http://[fd00:ec2::254]'
      : 'http://169.254.169.254');
  const result = buildSchema({
    assertExecutable: dependencies.assertExecutable ?? assertExecutableFile,
    defaultHandler: dependencies.defaultHandler ?? bundledHandler(),
    cwd: dependencies.cwd ?? process.cwd(),
  }).safeParse(raw);
  const allProblems = [...problems, ...(result.success ? [] : result.error.issues.map((issue) => issue.message))];
  if (allProblems.length > 0 || !result.success) {
    throw new ConfigError(
      `lifecycled: invalid configuration (${allProblems.length} problem${allProblems.length === 1 ? '' : 's'}):\n${allProblems.map((problem) => `  - ${problem}`).join('\n')}`,
      allProblems,
    );
  }
  return { kind: 'run', config: result.data };
}

export function usage(): string {
  const lines = Object.entries(FLAGS).map(([name, definition]: [string, FlagDefinition]) => {
    const flag = definition.kind === 'boolean' ? `--${name}` : `--${name}=VALUE`;
    const fallback = definition.default !== undefined && definition.default !== '' ? ` [${definition.default}]` : '';
    return `  ${flag.padEnd(40)} ${definition.help}${fallback}\n  ${' '.repeat(40)} env ${envName(name)}`;
  });
  return `usage: lifecycled [flags]\n\nDrains the Buildkite agent before this instance terminates.\n\n${lines.join('\n')}\n  --help, --version\n`;
}
