/**
 * One line per event on stderr (which systemd sends to the journal and cloud-init to its output log). Plain text by
 * default; one JSON object per line with `--json`. Callers never pass secrets: the logger cannot tell them apart.
 */
export interface Logger {
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

export interface LoggerOptions {
  readonly json: boolean;
  readonly write: (line: string) => void;
  readonly now?: () => Date;
  readonly program?: string;
}

export function createLogger(options: LoggerOptions): Logger {
  const now = options.now ?? (() => new Date());
  const program = options.program ?? 'elastic-ci-instance';
  const emit = (level: 'info' | 'error', message: string, fields: Readonly<Record<string, unknown>> = {}) => {
    if (options.json) {
      options.write(`${JSON.stringify({ time: now().toISOString(), level, program, message, ...fields })}\n`);
      return;
    }
    const extra = Object.entries(fields)
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(' ');
    options.write(`${program}: ${level === 'error' ? 'ERROR: ' : ''}${message}${extra ? ` ${extra}` : ''}\n`);
  };
  return { info: (m, f) => emit('info', m, f), error: (m, f) => emit('error', m, f) };
}
