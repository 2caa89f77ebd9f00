import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

/** How the stop handler finds and stops the agent (adapters: systemd unit or PID file). */
export interface AgentPort {
  readonly description: string;
  /** The agent's main process, or `undefined` when it is not running. */
  mainPid(): Promise<number | undefined>;
  isAlive(pid: number): boolean;
  /** The graceful stop: the agent gets exactly one SIGTERM, however many parties ask for the stop. */
  stopGracefully(pid: number): Promise<void>;
  /** SIGQUIT to the agent's main process: it cancels its running jobs (spot deadline). */
  cancelJobs(pid: number): Promise<void>;
}

/** Runs `systemctl` with these arguments and resolves with its stdout (rejects on a non-zero exit). */
export type Systemctl = (args: readonly string[]) => Promise<string>;

/**
 * `systemctl` ran but failed (a non-zero exit, or killed): on a loaded host that is typically a D-Bus timeout, gone
 * a moment later, so the caller tries again. Not thrown when it could not run at all (missing, not executable).
 */
export class TransientAgentError extends Error {
  override name = 'TransientAgentError';
}

function ranButFailed(error: unknown): boolean {
  const { code, signal } = (error ?? {}) as { code?: unknown; signal?: unknown };
  return typeof code === 'number' || (typeof signal === 'string' && signal !== '');
}

/** `systemctl` whose run-but-failed rejections are {@link TransientAgentError}s (the message keeps systemctl's). */
function classified(systemctl: Systemctl): Systemctl {
  return async (args) => {
    try {
      return await systemctl(args);
    } catch (error) {
      if (!ranButFailed(error)) throw error;
      throw new TransientAgentError(`systemctl ${args[0] ?? ''} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  };
}

const execFileAsync = promisify(execFile);

/** The host's `systemctl`, looked up on the given environment's PATH. */
export function execSystemctl(env: NodeJS.ProcessEnv = process.env): Systemctl {
  return async (args) => (await execFileAsync('systemctl', [...args], { env })).stdout;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else (still running).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function positivePid(text: string): number | undefined {
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * The agent as a systemd unit. The graceful stop is the unit's stop job, never a signal of our own: stop-agents'
 * Run Command (`systemctl stop buildkite-agent`) may ask for the same stop, and systemd runs one stop job per unit
 * however many stop requests arrive, so the agent gets one SIGTERM (KillSignal, to the main process: KillMode=mixed).
 * A SIGTERM sent beside systemd's would be the second one, which makes the agent cancel its running job.
 */
export function systemdAgent(unit: string, runSystemctl: Systemctl = execSystemctl()): AgentPort {
  const systemctl = classified(runSystemctl);
  return {
    description: `systemd unit ${unit}`,
    async mainPid() {
      return positivePid(await systemctl(['show', '--property=MainPID', '--value', unit]));
    },
    isAlive,
    async stopGracefully() {
      // --no-block: queue the stop job and return; the handler polls the main process until the job has finished.
      await systemctl(['stop', '--no-block', unit]);
    },
    async cancelJobs() {
      await systemctl(['kill', '--kill-who=main', '--signal=SIGQUIT', unit]);
    },
  };
}

/**
 * The agent as a PID file (non-systemd hosts, tests). A missing file means the agent is not running. Nothing else may
 * stop an agent run this way: its one SIGTERM is this handler's (a marker keeps a restarted handler from a second).
 */
export function pidFileAgent(path: string): AgentPort {
  return {
    description: `pid file ${path}`,
    async mainPid() {
      try {
        return positivePid(await readFile(path, 'utf8'));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    isAlive,
    async stopGracefully(pid) {
      process.kill(pid, 'SIGTERM');
    },
    async cancelJobs(pid) {
      process.kill(pid, 'SIGQUIT');
    },
  };
}
