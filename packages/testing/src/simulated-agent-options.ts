/** The flags of `elastic-ci-simulated-agent`, parsed and checked; every problem is reported at once. */
export interface SimulatedAgentOptions {
  /** The agent API root, e.g. `http://127.0.0.1:1234/v3`. */
  endpoint: string;
  /** The agent registration token. */
  token: string;
  /** Agent name; `%spawn` becomes the spawn number, else `-<n>` is appended when `spawn` > 1. */
  name: string;
  /** `queue=q,k=v`; the queue defaults to `default`. */
  tags: string[];
  spawn: number;
  pidFile?: string;
  /** World seconds per real second: a 300 s job sleeps 10 s at 30. */
  timeScale: number;
  /** Real milliseconds between pings; default: the `ping_interval` the API sends at registration. */
  pingIntervalMs?: number;
  /** World seconds all agents must be idle before they disconnect and the process exits 0; 0 = never. */
  disconnectAfterIdleTimeoutSec: number;
  onJobStarted?: string;
  onJobFinished?: string;
}

export class SimulatedAgentUsageError extends Error {
  override name = 'SimulatedAgentUsageError';
}

const USAGE =
  'usage: elastic-ci-simulated-agent --endpoint URL --token T [--name N] [--tags queue=q,k=v] [--spawn N] ' +
  '[--pid-file F] [--time-scale X] [--ping-interval-ms MS] [--disconnect-after-idle-timeout SEC] ' +
  '[--on-job-started CMD] [--on-job-finished CMD]';

const FLAGS = new Set([
  'endpoint',
  'token',
  'name',
  'tags',
  'spawn',
  'pid-file',
  'time-scale',
  'ping-interval-ms',
  'disconnect-after-idle-timeout',
  'on-job-started',
  'on-job-finished',
]);

/**
 * Parses `--flag value` and `--flag=value`. The token may also come from `BUILDKITE_AGENT_TOKEN` so it need not
 * appear in a process listing. Throws {@link SimulatedAgentUsageError} naming every bad flag and its fix.
 */
export function parseSimulatedAgentArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): SimulatedAgentOptions {
  const values = new Map<string, string>();
  const problems: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] as string;
    if (!argument.startsWith('--')) {
      problems.push(`unexpected argument "${argument}": every option is a --flag`);
      continue;
    }
    const [flag, inline] = splitOnce(argument.slice(2), '=');
    if (!FLAGS.has(flag)) {
      problems.push(`unknown flag --${flag}`);
      continue;
    }
    const value = inline ?? argv[index + 1];
    if (inline === undefined) index += 1;
    if (value === undefined) {
      problems.push(`--${flag} needs a value`);
      continue;
    }
    values.set(flag, value);
  }

  const endpoint = values.get('endpoint') ?? env.BUILDKITE_AGENT_ENDPOINT ?? '';
  if (!/^https?:\/\/[^/]+/.test(endpoint)) {
    problems.push('--endpoint must be the agent API URL, e.g. --endpoint http://127.0.0.1:8080/v3');
  }
  const token = values.get('token') ?? env.BUILDKITE_AGENT_TOKEN ?? '';
  if (token === '') problems.push('--token (or BUILDKITE_AGENT_TOKEN) is required: the agent registration token');

  const number = (flag: string, fallback: number, check: (value: number) => boolean, fix: string) => {
    const text = values.get(flag);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || !check(value)) {
      problems.push(`--${flag} ${JSON.stringify(text)} is invalid: ${fix}`);
      return fallback;
    }
    return value;
  };
  const spawn = number('spawn', 1, (value) => Number.isInteger(value) && value >= 1 && value <= 64, 'use 1 – 64');
  const timeScale = number('time-scale', 1, (value) => value > 0, 'use a number > 0 (world seconds per real second)');
  const pingIntervalMs = values.has('ping-interval-ms')
    ? number('ping-interval-ms', 1000, (value) => Number.isInteger(value) && value >= 10, 'use whole milliseconds ≥ 10')
    : undefined;
  const disconnectAfterIdleTimeoutSec = number(
    'disconnect-after-idle-timeout',
    0,
    (value) => value >= 0,
    'use world seconds ≥ 0 (0 = never)',
  );

  const tags = (values.get('tags') ?? 'queue=default')
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '');
  for (const tag of tags) {
    if (!/^[^=\s]+=.*$/.test(tag)) problems.push(`--tags entry "${tag}" must be key=value, e.g. --tags queue=builders`);
  }
  if (!tags.some((tag) => tag.startsWith('queue='))) tags.unshift('queue=default');

  if (problems.length > 0) {
    throw new SimulatedAgentUsageError(`${problems.join('\n')}\n${USAGE}`);
  }
  const pidFile = values.get('pid-file');
  const onJobStarted = values.get('on-job-started');
  const onJobFinished = values.get('on-job-finished');
  return {
    endpoint: endpoint.replace(/\/+$/, ''),
    token,
    name: values.get('name') ?? 'simulated-agent',
    tags,
    spawn,
    timeScale,
    disconnectAfterIdleTimeoutSec,
    ...(pidFile ? { pidFile } : {}),
    ...(pingIntervalMs === undefined ? {} : { pingIntervalMs }),
    ...(onJobStarted ? { onJobStarted } : {}),
    ...(onJobFinished ? { onJobFinished } : {}),
  };
}

/** Go's `time.Duration` text (`10m0s`, `45s`, `1h0m0s`), which the real agent prints in its idle line. */
export function goDuration(seconds: number): string {
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  return hours > 0 ? `${hours}h${minutes}m${rest}s` : `${minutes}m${rest}s`;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const index = text.indexOf(separator);
  return index < 0 ? [text, undefined] : [text.slice(0, index), text.slice(index + 1)];
}
