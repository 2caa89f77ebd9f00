import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listProcesses, stillRunning } from '../faults/process-tree';
import { SANDBOX_RUN_ID_VARIABLE } from '../run-label';

// Test support for the CLI process tests (bad-input*.test.ts, interrupted-demo.int.test.ts): not part of the build.

const packageDir = fileURLToPath(new URL('../..', import.meta.url));

export interface DemoCliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunningDemoCli {
  readonly pid: number | undefined;
  /** Sends `signal` to the CLI process alone (as Ctrl-C in a terminal reaches the demo). */
  kill(signal: NodeJS.Signals): void;
  /** Resolves once the CLI exited and its output is read. */
  readonly finished: Promise<DemoCliResult>;
  /** True once the CLI process exited. */
  exited(): boolean;
}

/**
 * Starts `elastic-ci-sandbox demo` from source as `make demo` would, labelled `runId`: the sandbox takes the label from
 * its environment (`ELASTIC_CI_SANDBOX_RUN_ID`) and gives it to every process it starts.
 */
export function startDemoCli(
  args: readonly string[],
  runId: string,
  env: Readonly<Record<string, string>> = {},
): RunningDemoCli {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/bin/sandbox.ts', 'demo', ...args], {
    cwd: packageDir,
    env: { ...process.env, ...env, [SANDBOX_RUN_ID_VARIABLE]: runId },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  child.once('exit', () => {
    exited = true;
  });
  const finished = new Promise<DemoCliResult>((resolveRun, rejectRun) => {
    child.once('error', rejectRun);
    child.once('close', (code) => resolveRun({ code, stdout, stderr }));
  });
  return {
    pid: child.pid,
    kill: (signal) => child.kill(signal),
    finished,
    exited: () => exited,
  };
}

/** Runs `elastic-ci-sandbox demo` to its end (see `startDemoCli`). */
export function runDemoCli(
  args: readonly string[],
  runId: string,
  env: Readonly<Record<string, string>> = {},
): Promise<DemoCliResult> {
  return startDemoCli(args, runId, env).finished;
}

/** A short demo (the first 10 world minutes of the bundled trace) whose logs and chart stay in `dir`. */
export function shortDemoArgs(dir: string): string[] {
  return ['--duration', '10m', '--log-dir', join(dir, 'logs'), '--chart', join(dir, 'c.svg')];
}

/** A live process of a run: its pid and command line. */
export interface RunProcess {
  readonly pid: number;
  readonly command: string;
}

/** Processes still alive (zombies aside) whose environment carries the run's label `runId`. */
export function processesOfRun(runId: string): RunProcess[] {
  const label = `${SANDBOX_RUN_ID_VARIABLE}=${runId}`;
  const labelled = listProcesses().filter(({ pid }) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(label);
    } catch {
      // Exited while being read, or not ours to read.
      return false;
    }
  });
  return stillRunning(labelled).map(({ pid, command }) => ({ pid, command }));
}

/** `processesOfRun` as lines (`pid: command`), for assertions whose failure shows what was left. */
export function processesOfRunListed(runId: string): string[] {
  return processesOfRun(runId).map(({ pid, command }) => `${pid}: ${command}`);
}
