import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

/** How the stop handler finds and signals the agent (adapters: systemd unit or PID file). */
export interface AgentPort {
  readonly description: string;
  /** The agent's main process, or `undefined` when it is not running. */
  mainPid(): Promise<number | undefined>;
  isAlive(pid: number): boolean;
  signal(pid: number, signal: 'SIGTERM' | 'SIGQUIT'): void;
}

const execFileAsync = promisify(execFile);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else (still running).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const signalProcess = (pid: number, signal: 'SIGTERM' | 'SIGQUIT') => {
  process.kill(pid, signal);
};

function positivePid(text: string): number | undefined {
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The agent as a systemd unit: its MainPID, the process `systemctl kill --kill-who=main` would signal. */
export function systemdAgent(unit: string): AgentPort {
  return {
    description: `systemd unit ${unit}`,
    async mainPid() {
      const { stdout } = await execFileAsync('systemctl', ['show', '--property=MainPID', '--value', unit]);
      return positivePid(stdout);
    },
    isAlive,
    signal: signalProcess,
  };
}

/** The agent as a PID file (non-systemd hosts, tests). A missing file means the agent is not running. */
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
    signal: signalProcess,
  };
}
