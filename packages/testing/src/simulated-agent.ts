#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseSimulatedAgentArgs, SimulatedAgentUsageError } from './simulated-agent-options';
import { createSimulatedAgentProcess } from './simulated-agent-worker';

/**
 * `elastic-ci-simulated-agent`: one OS process standing in for `buildkite-agent start` on a simulated instance, so the
 * real `stop-agent-gracefully` can signal it through `STOP_AGENT_PID_FILE`. SIGTERM drains, a second SIGTERM or
 * SIGQUIT cancels running jobs. Exit codes: 0 disconnected, 1 could not register or was refused, 2 bad flags.
 */
async function main(): Promise<number> {
  let options: ReturnType<typeof parseSimulatedAgentArgs>;
  try {
    options = parseSimulatedAgentArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof SimulatedAgentUsageError) {
      process.stderr.write(`elastic-ci-simulated-agent: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (options.pidFile) writeFileSync(options.pidFile, `${process.pid}\n`);

  const agent = createSimulatedAgentProcess(options, {
    fetch: globalThis.fetch,
    log: (line) => process.stdout.write(`${line}\n`),
    runHook: (command, env) =>
      new Promise((resolveHook, rejectHook) => {
        const child = spawn('sh', ['-c', command], {
          env: { ...process.env, ...env },
          stdio: ['ignore', 'inherit', 'inherit'],
        });
        child.once('error', rejectHook);
        child.once('exit', (code, signal) => resolveHook(code ?? (signal ? 128 : 1)));
      }),
    sleep: (ms, signal) =>
      sleep(ms, undefined, signal ? { signal } : {}).catch((error: Error) => {
        if (error.name !== 'AbortError') throw error;
      }),
    monotonicMs: () => performance.now(),
    timestamp: () => new Date().toISOString().replace('T', ' ').slice(0, 19),
  });
  process.on('SIGTERM', () => agent.stopGracefully());
  process.on('SIGINT', () => agent.stopGracefully());
  process.on('SIGQUIT', () => agent.stopNow());

  try {
    return await agent.run();
  } finally {
    if (options.pidFile) removeOwnPidFile(options.pidFile);
  }
}

/** Removes the pid file only if it still names this process (a successor may have written its own). */
function removeOwnPidFile(path: string): void {
  try {
    if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path, { force: true });
  } catch {
    // Already gone: nothing to clean up.
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`elastic-ci-simulated-agent: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
