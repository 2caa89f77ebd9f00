import type { RunnerLogger } from './handler';

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  message: string;
  attributes: Record<string, unknown>;
}

/** A RunnerLogger that keeps every record, so tests can assert on logs (and grep them for secrets). */
export class RecordingLogger implements RunnerLogger {
  readonly entries: LogEntry[] = [];

  info(message: string, ...extra: Record<string, unknown>[]): void {
    this.#record('info', message, extra);
  }

  warn(message: string, ...extra: Record<string, unknown>[]): void {
    this.#record('warn', message, extra);
  }

  error(message: string, ...extra: Record<string, unknown>[]): void {
    this.#record('error', message, extra);
  }

  /** Every record as one JSON line each, the way CloudWatch would hold them. */
  get text(): string {
    return this.entries.map((entry) => JSON.stringify(entry)).join('\n');
  }

  #record(level: LogEntry['level'], message: string, extra: Record<string, unknown>[]): void {
    this.entries.push({ level, message, attributes: Object.assign({}, ...extra) });
  }
}
