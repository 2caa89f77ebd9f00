import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import * as z from 'zod';
import type { Clock } from './clock';
import type { HandlerInvocation } from './decide';
import type { Logger } from './logger';

export interface HandlerCommand {
  command: string;
  args: string[];
  description: string;
}

export interface HandlerOutcome {
  ok: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  durationMs: number;
  /** Set when the handler could not be started at all. */
  error?: Error;
}

/** Runs the handler for one invocation; the port the daemon uses (tests may pass a fake). */
export type HandlerRunner = (invocation: HandlerInvocation, signal: AbortSignal) => Promise<HandlerOutcome>;

/**
 * Spawns the handler with the daemon's environment plus the invocation's, logs each output line as a structured
 * entry, and on `signal` sends it SIGTERM, then SIGKILL after `killTimeoutMs`.
 */
export function processHandlerRunner(options: {
  handler: HandlerCommand;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  clock: Clock;
  killTimeoutMs: number;
}): HandlerRunner {
  return (invocation, signal) =>
    new Promise((resolveOutcome) => {
      const startedAt = options.clock.now();
      const logger = options.logger.child({ transition: invocation.transition });
      const child = spawn(options.handler.command, [...options.handler.args, ...invocation.args], {
        env: { ...options.env, ...invocation.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      for (const [stream, name] of [
        [child.stdout, 'stdout'],
        [child.stderr, 'stderr'],
      ] as const) {
        createInterface({ input: stream }).on('line', (line) => logHandlerLine(logger, line, name));
      }
      let killTimer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        logger.warn('Stopping the handler (SIGTERM)');
        child.kill('SIGTERM');
        killTimer = setTimeout(() => {
          logger.warn('Handler still running, sending SIGKILL');
          child.kill('SIGKILL');
        }, options.killTimeoutMs);
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      let spawnError: Error | undefined;
      child.once('error', (error) => {
        spawnError = error;
      });
      child.once('close', (exitCode, exitSignal) => {
        signal.removeEventListener('abort', onAbort);
        clearTimeout(killTimer);
        resolveOutcome({
          ok: spawnError === undefined && exitCode === 0,
          exitCode,
          signal: exitSignal,
          durationMs: options.clock.now() - startedAt,
          ...(spawnError ? { error: spawnError } : {}),
        });
      });
    });
}

const structuredLine = z
  .object({ msg: z.string(), level: z.enum(['debug', 'info', 'warn', 'error']).optional() })
  .catchall(z.unknown());

/** A handler that logs JSON lines (ours does) keeps its fields; any other line becomes the message. */
function logHandlerLine(logger: Logger, line: string, stream: 'stdout' | 'stderr'): void {
  let parsed: unknown;
  try {
    parsed = line.startsWith('{') ? JSON.parse(line) : undefined;
  } catch {
    parsed = undefined;
  }
  const structured = structuredLine.safeParse(parsed);
  if (!structured.success) {
    logger.info(line, { handlerOutput: stream });
    return;
  }
  const { msg, level, time: _time, ...fields } = structured.data;
  logger[level ?? 'info'](msg, { ...fields, handlerOutput: stream });
}
