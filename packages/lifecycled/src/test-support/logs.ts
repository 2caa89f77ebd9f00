import { createLogger, type LogEntry, type Logger } from '../logger';

/** A logger that keeps entries in memory for assertions. */
export function memoryLogger(minimumLevel: 'debug' | 'info' = 'debug'): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return { logger: createLogger({ sinks: [(entry) => entries.push(entry)], minimumLevel }), entries };
}
