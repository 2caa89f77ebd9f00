import { spawn } from 'node:child_process';
import type { SshAgentExports } from './env-script';
import { SshAgentError } from './errors';

interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  command: string,
  args: readonly string[],
  options: { input?: Uint8Array; env?: NodeJS.ProcessEnv },
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    // detached: no controlling terminal, so ssh-add can never stop to prompt for a passphrase.
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', (error) => reject(error));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => {
      // The child may exit before reading all of stdin; its exit status reports the failure.
    });
    child.stdin.end(options.input ? Buffer.from(options.input) : undefined);
  });
}

/** Reads `SSH_AUTH_SOCK=…; export SSH_AUTH_SOCK;` and `SSH_AGENT_PID=…;` from `ssh-agent -s` output. */
export function parseSshAgentOutput(output: string): SshAgentExports | undefined {
  const socket = /^SSH_AUTH_SOCK=([^;\n]+); export SSH_AUTH_SOCK;$/m.exec(output)?.[1];
  const pid = /^SSH_AGENT_PID=(\d+); export SSH_AGENT_PID;$/m.exec(output)?.[1];
  if (!socket || !pid) return undefined;
  return { socket, pid: Number(pid) };
}

/** Starts a fresh ssh-agent for this job (never adopts one from the environment, so keys never leak into it). */
export async function startSshAgent(): Promise<SshAgentExports> {
  const result = await run('ssh-agent', ['-s'], {}).catch((error: unknown) => {
    throw new SshAgentError(
      `cannot run ssh-agent: ${error instanceof Error ? error.message : String(error)}; install openssh-client`,
      {
        cause: error,
      },
    );
  });
  const agent = result.code === 0 ? parseSshAgentOutput(result.stdout) : undefined;
  if (!agent) throw new SshAgentError(`ssh-agent did not start (exit ${result.code}): ${result.stderr.trim()}`);
  return agent;
}

/**
 * Loads one private key into the agent through `ssh-add -` on stdin: the key never touches the disk.
 * @throws SshAgentError when ssh-add refuses the key (wrong format, passphrase-protected).
 */
export async function addKey(agent: SshAgentExports, key: Uint8Array, label: string): Promise<void> {
  const input = key.at(-1) === 0x0a ? key : Buffer.concat([key, Buffer.from('\n')]);
  const result = await run('ssh-add', ['-q', '-'], {
    input,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      SSH_AUTH_SOCK: agent.socket,
      SSH_AGENT_PID: String(agent.pid),
      SSH_ASKPASS: '/bin/false',
      SSH_ASKPASS_REQUIRE: 'force',
      DISPLAY: '',
    },
  });
  if (result.code !== 0) {
    throw new SshAgentError(
      `ssh-add refused ${label} (exit ${result.code}): ${result.stderr.trim()}. ` +
        'Upload an unencrypted OpenSSH or PEM private key.',
    );
  }
}

/** Stops an agent this process started (used when loading a key fails, so no agent is left behind). */
export function stopSshAgent(agent: SshAgentExports): void {
  try {
    process.kill(agent.pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
}
