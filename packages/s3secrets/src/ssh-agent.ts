import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { SshAgentExports } from './env-script';
import { SshAgentError } from './errors';
import { addIdentityMessage, agentIdentityFor, isPassphraseProtected } from './ssh-private-key';

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

export interface PrivateKey {
  /** Where the key came from (`bucket/key`): the key's comment in the agent and the name in errors. */
  label: string;
  body: Uint8Array;
}

/**
 * Loads private keys into the agent without writing them to disk. Keys in the formats `agentIdentityFor` reads go over
 * the agent's socket in one connection (no process per key); any other key goes through `ssh-add -` on stdin, which
 * also words the error for an encrypted one.
 * @throws SshAgentError naming the first key the agent or ssh-add refused
 */
export async function addKeys(agent: SshAgentExports, keys: readonly PrivateKey[]): Promise<void> {
  const protectedKey = keys.find((key) => isPassphraseProtected(key.body));
  if (protectedKey) {
    // ssh-add without a terminal fails on these with an empty message: say what is wrong instead.
    throw new SshAgentError(
      `${protectedKey.label} is protected by a passphrase, which s3secrets cannot enter: upload the key without one ` +
        "(s3secrets put refuses such a key; remove the passphrase with ssh-keygen -p -N '' -f FILE)",
    );
  }
  const identities = keys.map((key) => ({ key, identity: agentIdentityFor(key.body, key.label) }));
  const direct = identities.flatMap(({ key, identity }) => (identity.status === 'parsed' ? [{ key, identity }] : []));
  const viaSshAdd = identities.flatMap(({ key, identity }) => (identity.status === 'parsed' ? [] : [key]));
  await Promise.all([
    direct.length === 0
      ? undefined
      : sendToAgent(
          agent.socket,
          direct.map(({ identity }) => addIdentityMessage(identity.body)),
        ).then((accepted) => {
          const refused = direct.find((_entry, index) => !accepted[index]);
          if (refused) {
            throw new SshAgentError(
              `ssh-agent refused ${refused.key.label} (${refused.identity.keyType}). ` +
                'Upload an unencrypted OpenSSH or PEM private key.',
            );
          }
        }),
    ...viaSshAdd.map((key) => addKeyWithSshAdd(agent, key.body, key.label)),
  ]);
}

const SSH_AGENT_SUCCESS = 6;
const AGENT_TIMEOUT_MS = 5_000;

/**
 * Sends framed requests over one connection to the agent and reads one reply per request (the agent answers in
 * order). Resolves with whether each request succeeded.
 */
export function sendToAgent(socketPath: string, requests: readonly Buffer[]): Promise<boolean[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let received = Buffer.alloc(0);
    const replies: boolean[] = [];
    const fail = (reason: string) => {
      socket.destroy();
      reject(new SshAgentError(`cannot load keys into ssh-agent at ${socketPath}: ${reason}`));
    };
    socket.setTimeout(AGENT_TIMEOUT_MS, () => fail(`no answer within ${AGENT_TIMEOUT_MS / 1000} s`));
    socket.on('error', (error) => fail(error.message));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      while (received.byteLength >= 4 && received.byteLength >= 4 + received.readUInt32BE(0)) {
        const length = received.readUInt32BE(0);
        replies.push(length >= 1 && received[4] === SSH_AGENT_SUCCESS);
        received = received.subarray(4 + length);
      }
      if (replies.length === requests.length) {
        socket.end();
        resolve(replies);
      }
    });
    socket.on('close', () => {
      if (replies.length < requests.length) fail(`the agent closed the connection after ${replies.length} replies`);
    });
    socket.write(Buffer.concat(requests));
  });
}

/**
 * Loads one private key through `ssh-add -` on stdin: the key never touches the disk.
 * @throws SshAgentError when ssh-add refuses the key (wrong format, passphrase-protected).
 */
async function addKeyWithSshAdd(agent: SshAgentExports, key: Uint8Array, label: string): Promise<void> {
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
