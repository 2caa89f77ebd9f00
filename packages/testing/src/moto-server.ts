import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';

/** Where a running moto server listens and how to sign requests for it. */
export interface MotoEndpoint {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface RunningMotoServer extends MotoEndpoint {
  stop(): Promise<void>;
}

export interface StartMotoServerOptions {
  /** Path of the moto_server executable. @default `$ELASTIC_CI_MOTO_SERVER`, else `<repo>/.venv/bin/moto_server` */
  executable?: string;
  /** @default 'us-east-1' */
  region?: string;
  /** How long to wait for the server to answer before giving up. @default 30_000 */
  startupTimeoutMs?: number;
  /**
   * Loopback port to listen on (a user's choice, e.g. to look at moto while it runs); a port already in use rejects
   * with Node's `EADDRINUSE` error (`code`, `address`, `port`) before moto starts. @default a free loopback port
   */
  port?: number;
  /** Variables added to the server's environment (it inherits this process's), e.g. a caller's run label. */
  environment?: Readonly<Record<string, string>>;
}

/** Thrown when moto cannot be started; the message always says how to fix it. */
export class MotoUnavailableError extends Error {
  override name = 'MotoUnavailableError';
}

const FIX_HINT = 'run `make test` at the repository root: it creates .venv with the pinned moto[server]';

/** Walks up from `start` to the workspace root (the folder holding pnpm-workspace.yaml). */
export function findRepositoryRoot(start: string = process.cwd()): string {
  let current = resolve(start);
  for (;;) {
    if (existsSync(join(current, 'pnpm-workspace.yaml'))) return current;
    const parent = dirname(current);
    if (parent === current) {
      throw new MotoUnavailableError(`cannot find the repository root (pnpm-workspace.yaml) above ${start}`);
    }
    current = parent;
  }
}

export function defaultMotoExecutable(): string {
  return process.env.ELASTIC_CI_MOTO_SERVER ?? join(findRepositoryRoot(), '.venv', 'bin', 'moto_server');
}

/** Binds `port` (0: any free one) on loopback and releases it; rejects with the listen error (`EADDRINUSE`). */
async function claimLoopbackPort(port = 0): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolveDelay) => setTimeout(resolveDelay, ms));
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Starts moto's standalone server on a free loopback port (or `options.port`) and resolves once it answers HTTP.
 * @throws MotoUnavailableError when the executable is missing, exits early, or does not answer in time.
 */
export async function startMotoServer(options: StartMotoServerOptions = {}): Promise<RunningMotoServer> {
  const executable = options.executable ?? defaultMotoExecutable();
  const region = options.region ?? 'us-east-1';
  const startupTimeoutMs = options.startupTimeoutMs ?? 30_000;
  if (!existsSync(executable)) {
    throw new MotoUnavailableError(`moto server not found at ${executable}: ${FIX_HINT}`);
  }

  const port = await claimLoopbackPort(options.port);
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(executable, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...options.environment, PYTHONUNBUFFERED: '1' },
  });
  let stderrTail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-2_000);
  });
  // Set on 'close', not 'exit': 'exit' can come before the last stderr chunk is read, and that chunk is the reason
  // quoted in the error.
  let exitCode: number | null | undefined;
  child.once('close', (code) => {
    exitCode = code;
  });
  const spawnFailure = new Promise<Error>((resolveFailure) => child.once('error', resolveFailure));

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
    child.kill('SIGTERM');
    await Promise.race([exited, delay(3_000).then(() => child.kill('SIGKILL'))]);
  };

  const deadline = Date.now() + startupTimeoutMs;
  while (Date.now() < deadline) {
    const failure = await Promise.race([spawnFailure, delay(0).then(() => undefined)]);
    if (failure) throw new MotoUnavailableError(`cannot start ${executable}: ${failure.message}; ${FIX_HINT}`);
    if (exitCode !== undefined) {
      throw new MotoUnavailableError(
        `moto server exited with code ${exitCode} before answering: ${stderrTail.trim()}; ${FIX_HINT}`,
      );
    }
    if (await answers(`${endpoint}/moto-api/`)) {
      return {
        endpoint,
        region,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
        stop,
      };
    }
    await delay(100);
  }
  await stop();
  throw new MotoUnavailableError(
    `moto server did not answer on ${endpoint} within ${startupTimeoutMs} ms: ${stderrTail.trim()}; ${FIX_HINT}`,
  );
}

/** Drops every resource moto holds, so each test file starts from an empty account. */
export async function resetMoto(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`moto reset failed with HTTP ${response.status}`);
}
