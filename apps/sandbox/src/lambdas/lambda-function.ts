import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LAMBDA_RUNTIME_SCRIPT } from './lambda-runtime-script';

export interface LambdaFunctionOptions {
  readonly functionName: string;
  readonly functionArn: string;
  /** The staged bundle (`…/asset.<hash>/scheduled.mjs`). */
  readonly bundlePath: string;
  /** `scheduled.handler` → export `handler`. */
  readonly handler: string;
  readonly timeoutSec: number;
  readonly memorySizeMb: number;
  /** At most this many invocations run at once (containers); more are throttled, as Lambda does. */
  readonly maxConcurrency: number;
  /**
   * The container's whole environment: the template's variables plus the sandbox endpoints and the sandbox's run label
   * (`ELASTIC_CI_SANDBOX_RUN_ID`, bookkeeping to find the container's process, no template variable); nothing inherited.
   */
  readonly environment: Readonly<Record<string, string>>;
  /** Where stdout and stderr of every container go (appended). */
  readonly logFile: string;
  /** Directory for the runtime script. */
  readonly workDir: string;
  /** Pids of started containers, so the sandbox can prove none survives `stop()`. */
  readonly onSpawn?: (child: ChildProcess) => void;
}

export type InvocationOutcome =
  | { readonly status: 'succeeded'; readonly requestId: string; readonly result: unknown; readonly durationMs: number }
  | { readonly status: 'failed'; readonly requestId: string; readonly error: { name: string; message: string } }
  /** The function's timeout passed: the container was killed, as Lambda does; the next invocation starts cold. */
  | { readonly status: 'timed-out'; readonly requestId: string }
  /** Killed from outside (`killRunning`, the FAULTS suite's "invocation killed mid-pass"). */
  | { readonly status: 'killed'; readonly requestId: string }
  /** Every container busy (reserved concurrency reached): not run, as a throttled Lambda invocation. */
  | { readonly status: 'throttled'; readonly requestId: string }
  | { readonly status: 'init-failed'; readonly requestId: string; readonly error: { name: string; message: string } };

export interface InvocationRecord {
  readonly functionName: string;
  readonly startedAt: number;
  readonly outcome: InvocationOutcome;
}

interface Container {
  readonly child: ChildProcess;
  readonly ready: Promise<{ ok: true } | { ok: false; error: { name: string; message: string } }>;
  /** Reserved for an invocation (initialising or running). */
  busy: boolean;
  /** The invocation was handed to the handler. */
  invoking: boolean;
  /** Killed by `killRunning` or a timeout (not a crash). */
  killed: boolean;
  /** Started with an environment since replaced: retired after its invocation. */
  stale?: boolean;
  onKill?: () => void;
}

/** Thrown by `invoke` after `stop()`. */
export class LambdaFunctionStoppedError extends Error {
  override name = 'LambdaFunctionStoppedError';
}

/** A Lambda function run as Lambda runs it: warm containers (child processes), one invocation each at a time. */
export class LambdaFunction {
  readonly #options: LambdaFunctionOptions;
  readonly #containers = new Set<Container>();
  readonly #records: InvocationRecord[] = [];
  #scriptPath: Promise<string> | undefined;
  #stopped = false;
  readonly #logFd: number;
  #environment: Readonly<Record<string, string>>;

  constructor(options: LambdaFunctionOptions) {
    this.#options = options;
    this.#environment = options.environment;
    this.#logFd = openSync(options.logFile, 'a');
  }

  get name(): string {
    return this.#options.functionName;
  }

  get logFile(): string {
    return this.#options.logFile;
  }

  /**
   * `UpdateFunctionConfiguration` of the environment: idle containers are retired, running invocations finish in
   * their container, and every later invocation gets a container with the new environment.
   */
  updateEnvironment(environment: Readonly<Record<string, string>>): void {
    this.#environment = { ...environment };
    for (const container of [...this.#containers]) {
      if (container.busy) container.stale = true;
      else this.#discard(container);
    }
  }

  /** Every invocation so far, oldest first. */
  invocations(): readonly InvocationRecord[] {
    return [...this.#records];
  }

  /** Invocations whose handler runs now. */
  running(): number {
    return [...this.#containers].filter((container) => container.invoking).length;
  }

  /** Pids of live containers. */
  pids(): number[] {
    return [...this.#containers].flatMap((container) =>
      container.child.pid === undefined ? [] : [container.child.pid],
    );
  }

  async invoke(event: unknown): Promise<InvocationOutcome> {
    if (this.#stopped) throw new LambdaFunctionStoppedError(`${this.name} is stopped`);
    const requestId = randomUUID();
    const startedAt = Date.now();
    const done = (outcome: InvocationOutcome) => {
      this.#records.push({ functionName: this.name, startedAt, outcome });
      return outcome;
    };
    let container = [...this.#containers].find((candidate) => !candidate.busy);
    if (container === undefined) {
      if (this.#containers.size >= this.#options.maxConcurrency) return done({ status: 'throttled', requestId });
      container = await this.#startContainer();
    }
    container.busy = true;
    const ready = await container.ready;
    if (!ready.ok) {
      const killed = container.killed;
      this.#discard(container);
      return done(killed ? { status: 'killed', requestId } : { status: 'init-failed', requestId, error: ready.error });
    }
    const active = container;
    const outcome = await new Promise<InvocationOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.#discard(active);
        resolve({ status: 'timed-out', requestId });
      }, this.#options.timeoutSec * 1000);
      const finish = (value: InvocationOutcome) => {
        clearTimeout(timer);
        active.child.off('message', onMessage);
        active.child.off('exit', onExit);
        resolve(value);
      };
      const onMessage = (message: { type: string; requestId?: string; result?: unknown; error?: never }) => {
        if (message.requestId !== requestId) return;
        if (message.type === 'result') {
          finish({ status: 'succeeded', requestId, result: message.result, durationMs: Date.now() - startedAt });
        } else if (message.type === 'error') {
          finish({ status: 'failed', requestId, error: message.error as unknown as { name: string; message: string } });
        }
      };
      const onExit = () => {
        this.#containers.delete(active);
        finish({ status: 'killed', requestId });
      };
      active.onKill = () => {
        clearTimeout(timer);
      };
      active.child.on('message', onMessage);
      active.child.once('exit', onExit);
      active.child.send({ type: 'invoke', requestId, event, functionArn: this.#options.functionArn });
      active.invoking = true;
    });
    active.busy = false;
    active.invoking = false;
    if (active.stale) this.#discard(active);
    return done(outcome);
  }

  /** Ends idle containers (Lambda reclaims idle ones too); the next invocation starts cold. */
  retireIdleContainers(): number {
    const idle = [...this.#containers].filter((container) => !container.busy);
    for (const container of idle) this.#discard(container);
    return idle.length;
  }

  /** Kills every container running an invocation now (SIGKILL, as when Lambda's host dies mid-pass). */
  killRunning(): number {
    const busy = [...this.#containers].filter((container) => container.busy);
    for (const container of busy) this.#discard(container);
    return busy.length;
  }

  /** Kills every container; later invocations throw. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const exits = [...this.#containers].map(
      (container) =>
        new Promise<void>((resolve) => {
          if (container.child.exitCode !== null || container.child.signalCode !== null) resolve();
          else container.child.once('exit', () => resolve());
        }),
    );
    for (const container of this.#containers) container.child.kill('SIGKILL');
    await Promise.all(exits);
    this.#containers.clear();
  }

  #discard(container: Container): void {
    container.killed = true;
    this.#containers.delete(container);
    container.onKill?.();
    container.child.kill('SIGKILL');
  }

  async #startContainer(): Promise<Container> {
    this.#scriptPath ??= (async () => {
      const path = join(this.#options.workDir, 'lambda-runtime.mjs');
      await writeFile(path, LAMBDA_RUNTIME_SCRIPT);
      return path;
    })();
    const scriptPath = await this.#scriptPath;
    const [, exportName = 'handler'] = this.#options.handler.split('.');
    const child = fork(scriptPath, [], {
      stdio: ['ignore', this.#logFd, this.#logFd, 'ipc'],
      env: {
        ...this.#environment,
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        TZ: 'UTC',
        AWS_LAMBDA_FUNCTION_NAME: this.#options.functionName,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(this.#options.memorySizeMb),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${this.#options.functionName}`,
        AWS_LAMBDA_LOG_STREAM_NAME: `sandbox/[$LATEST]${randomUUID().replaceAll('-', '')}`,
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        SANDBOX_LAMBDA_BUNDLE: this.#options.bundlePath,
        SANDBOX_LAMBDA_EXPORT: exportName,
        SANDBOX_LAMBDA_TIMEOUT_MS: String(this.#options.timeoutSec * 1000),
        SANDBOX_LAMBDA_SDK_PARENT_URL: sdkParentUrl(),
      },
    });
    this.#options.onSpawn?.(child);
    const ready = new Promise<{ ok: true } | { ok: false; error: { name: string; message: string } }>((resolve) => {
      child.on('message', (message: { type: string; error?: { name: string; message: string } }) => {
        if (message.type === 'ready') resolve({ ok: true });
        if (message.type === 'init-error')
          resolve({ ok: false, error: message.error ?? { name: 'Error', message: '' } });
      });
      child.once('exit', (code, signal) =>
        resolve({ ok: false, error: { name: 'Runtime.ExitError', message: `exited ${code ?? signal} during init` } }),
      );
    });
    const container: Container = { child, ready, busy: false, invoking: false, killed: false };
    child.once('exit', () => this.#containers.delete(container));
    this.#containers.add(container);
    return container;
  }
}

/** A module URL from which `@aws-sdk/*` resolves: the sandbox package's own dependencies (the runtime's SDK). */
function sdkParentUrl(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(directory, 'package.json');
    if (existsSync(manifest) && readFileSync(manifest, 'utf8').includes('"@elastic-ci/sandbox"')) {
      return pathToFileURL(manifest).href;
    }
    const parent = dirname(directory);
    if (parent === directory) throw new Error('cannot find the @elastic-ci/sandbox package folder');
    directory = parent;
  }
}
