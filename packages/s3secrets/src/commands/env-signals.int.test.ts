import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, requireCommands } from '../test-support/cli-harness';
import { type S3StandIn, startS3StandIn } from '../test-support/s3-stand-in';

// A job cancelled while its environment hook runs sends the hook (and s3secrets) SIGTERM. moto cannot hold a read
// open on demand, so the stand-in keeps one env file hanging while the SSH key has already been loaded.
const BUCKET = 'signal-secrets';
let cli: string;
let work: string;
let privateKey: string;
let standIn: S3StandIn | undefined;
let child: ChildProcess | undefined;

beforeAll(async () => {
  await requireCommands(['ssh-agent', 'ssh-add', 'ssh-keygen']);
  cli = await buildCli();
  work = await mkdtemp(join(tmpdir(), 's3secrets-signals-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'deploy', '-f', join(work, 'id')]);
  privateKey = await readFile(join(work, 'id'), 'utf8');
});

afterEach(async () => {
  child?.kill('SIGKILL');
  child = undefined;
  await standIn?.close();
  standIn = undefined;
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Polls (bounded only to catch a hang) until `check` holds. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting until ${what}`);
}

/**
 * A PATH directory whose `ssh-agent` runs the real one with its socket at `socket`, so the test knows where to look
 * (ssh-agent puts its socket under /tmp whatever TMPDIR says).
 */
async function agentWithKnownSocket(directory: string, socket: string): Promise<string> {
  const real = execFileSync('bash', ['-c', 'command -v ssh-agent']).toString('utf8').trim();
  const bin = join(directory, 'bin');
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, 'ssh-agent'), `#!/bin/sh\nexec ${real} -a ${socket} "$@"\n`);
  await chmod(join(bin, 'ssh-agent'), 0o755);
  return bin;
}

/** How many keys the agent at `socket` holds (`ssh-add -l` exits 1 when it holds none). */
function keysIn(socket: string): number {
  try {
    const listing = execFileSync('ssh-add', ['-l'], { env: { PATH: process.env.PATH, SSH_AUTH_SOCK: socket } });
    return listing.toString('utf8').trim().split('\n').length;
  } catch {
    return 0;
  }
}

describe('Command: s3secrets env (stopped by a signal)', () => {
  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)(
    'stops the ssh-agent it started when %s ends the run before the script is printed',
    async (signal) => {
      // Prepare
      standIn = await startS3StandIn(BUCKET, {
        'GET web/private_ssh_key': { kind: 'object', body: privateKey },
        'GET web/env': { kind: 'hang' },
      });
      const directory = await mkdtemp(join(work, 'run-'));
      const socket = join(directory, 'agent.sock');
      const bin = await agentWithKnownSocket(directory, socket);
      child = spawn(process.execPath, [cli, 'env'], {
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          HOME: work,
          AWS_ENDPOINT_URL: standIn.endpoint,
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
          AWS_REGION: 'us-east-1',
          BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: BUCKET,
          BUILDKITE_PIPELINE_SLUG: 'web',
          BUILDKITE_PLUGIN_S3_SECRETS_DEADLINE_SECONDS: '600',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
      });
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      const exited = new Promise<number | null>((resolve) => child?.once('close', (code) => resolve(code)));
      await eventually(async () => existsSync(socket), 'the ssh-agent has started');
      await eventually(async () => keysIn(socket) === 1, 'the agent holds the key');

      // Act
      child.kill(signal);
      const code = await exited;

      // Assess: the run failed as a signal's end (128 + its number), printed no script, said why, and the agent
      // holding the key is gone with its socket.
      expect(code).toBe(128 + constants.signals[signal]);
      expect(stdout).toBe('');
      expect(stderr).toContain(`stopped by ${signal} before the job's secrets were loaded`);
      await eventually(async () => !existsSync(socket), 'the ssh-agent has stopped');
    },
  );
});
