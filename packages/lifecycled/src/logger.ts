export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

/** One structured log line. */
export interface LogEntry {
  time: string;
  level: LogLevel;
  msg: string;
  [field: string]: unknown;
}

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

/** Where formatted entries go (stderr, CloudWatch Logs, a test array). */
export type LogSink = (entry: LogEntry) => void;

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

function serialisable(value: unknown): unknown {
  if (value instanceof Error) {
    const cause = (value as { cause?: unknown }).cause;
    return { name: value.name, message: value.message, ...(cause === undefined ? {} : { cause: serialisable(cause) }) };
  }
  return value;
}

export function createLogger(options: {
  sinks: LogSink[];
  minimumLevel?: LogLevel;
  now?: () => number;
  fields?: LogFields;
}): Logger {
  const minimum = LEVEL_ORDER[options.minimumLevel ?? 'info'];
  const now = options.now ?? Date.now;
  const persistent = options.fields ?? {};
  const write = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    if (LEVEL_ORDER[level] < minimum) return;
    const entry: LogEntry = { time: new Date(now()).toISOString(), level, msg };
    for (const [key, value] of Object.entries({ ...persistent, ...fields })) entry[key] = serialisable(value);
    for (const sink of options.sinks) sink(entry);
  };
  return {
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    child: (fields) => createLogger({ ...options, fields: { ...persistent, ...fields } }),
  };
}

/** `{"time":…,"level":…,"msg":…,…}` — what `--json` prints and what CloudWatch Logs receives. */
export const formatJson = (entry: LogEntry): string => JSON.stringify(entry);

/** logfmt-like text for people reading a terminal. */
export function formatText(entry: LogEntry): string {
  const { time, level, msg, ...fields } = entry;
  const rest = Object.entries(fields)
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/\s|"/.test(value) ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${time} ${level.toUpperCase().padEnd(5)} ${msg}${rest ? ` ${rest}` : ''}`;
}

export function streamSink(stream: NodeJS.WritableStream, format: (entry: LogEntry) => string): LogSink {
  return (entry) => {
    stream.write(`${format(entry)}\n`);
  };
}
