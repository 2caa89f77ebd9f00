import { gzipSync } from 'node:zlib';
import { goDuration, type SimulatedAgentOptions } from './simulated-agent-options';

/**
 * The behaviour of one simulated `buildkite-agent start` process with `--spawn N` agents, speaking the agent API as
 * v3.138.3 does (register → connect → ping loop → accept → start → chunks → finish → disconnect) and stopping as it
 * does: the first stop is graceful (no new job, running jobs finish with their own exit status, then disconnect), a
 * second one (or SIGQUIT) cancels running jobs. Every side effect goes through {@link SimulatedAgentPorts}.
 */

export interface SimulatedAgentPorts {
  fetch: typeof fetch;
  /** One log line, already formatted. */
  log(line: string): void;
  /** Runs `sh -c command` with `env` added; resolves with its exit code. */
  runHook(command: string, env: Record<string, string>): Promise<number>;
  /** Resolves after `ms` real milliseconds, or early when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Monotonic real milliseconds. */
  monotonicMs(): number;
  /** Wall-clock text for log lines. */
  timestamp(): string;
}

export interface SimulatedAgentProcess {
  /** Runs until every agent disconnected; resolves with the process exit code. */
  run(): Promise<number>;
  /** SIGTERM: the first is graceful, the second cancels running jobs. */
  stopGracefully(): void;
  /** SIGQUIT: cancel running jobs, disconnect, exit. */
  stopNow(): void;
}

interface Registration {
  id: string;
  name: string;
  accessToken: string;
  pingIntervalMs: number;
  heartbeatIntervalMs: number;
  jobStatusIntervalMs: number;
}

interface JobPayload {
  id: string;
  token?: string;
  env?: Record<string, string>;
}

class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function createSimulatedAgentProcess(
  options: SimulatedAgentOptions,
  ports: SimulatedAgentPorts,
): SimulatedAgentProcess {
  const stopping = new AbortController(); // graceful: no new work
  const killing = new AbortController(); // ungraceful: cancel running jobs
  const idleExit = new AbortController();
  const idleSince = new Map<number, number | undefined>();
  let stopRequests = 0;

  const log = (level: 'INFO' | 'WARN' | 'ERROR', name: string, message: string) =>
    ports.log(`${ports.timestamp()} ${level.padEnd(6)} ${name} ${message}`);

  const agentName = (spawnIndex: number) => {
    if (options.name.includes('%spawn')) return options.name.replaceAll('%spawn', String(spawnIndex));
    return options.spawn > 1 ? `${options.name}-${spawnIndex}` : options.name;
  };

  const request = async (
    method: string,
    path: string,
    token: string,
    body?: unknown,
    extra: { gzipText?: string; signal?: AbortSignal } = {},
  ): Promise<unknown> => {
    const headers: Record<string, string> = {
      Authorization: `Token ${token}`,
      'User-Agent': 'elastic-ci-simulated-agent (buildkite-agent/3.138.3 compatible)',
    };
    let payload: string | Uint8Array | undefined;
    if (extra.gzipText !== undefined) {
      headers['Content-Type'] = 'text/plain';
      headers['Content-Encoding'] = 'gzip';
      payload = new Uint8Array(gzipSync(extra.gzipText));
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let response: Response;
    try {
      response = await ports.fetch(`${options.endpoint}${path}`, {
        method,
        headers,
        ...(payload === undefined ? {} : { body: payload }),
        signal: extra.signal ?? AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new ApiError(`${method} ${path} failed: ${(error as Error).message}`, undefined, { cause: error });
    }
    const text = await response.text();
    if (!response.ok) {
      throw new ApiError(`${method} ${path}: ${response.status} ${text.slice(0, 200)}`, response.status);
    }
    try {
      return text === '' ? {} : JSON.parse(text);
    } catch (error) {
      throw new ApiError(`${method} ${path}: answer is not JSON`, response.status, { cause: error });
    }
  };

  /** Retries what the real agent retries (network errors, 429, 5xx) until it works or the agent is killed. */
  const withRetries = async <T>(name: string, what: string, call: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await call();
      } catch (error) {
        const status = error instanceof ApiError ? error.status : undefined;
        const retryable = status === undefined || status === 429 || status >= 500;
        if (!retryable || killing.signal.aborted) throw error;
        log('WARN', name, `${what}: ${(error as Error).message} (attempt ${attempt}, retrying)`);
        await ports.sleep(Math.min(200 * attempt, 2000), killing.signal);
      }
    }
  };

  const register = async (spawnIndex: number): Promise<Registration> => {
    const name = agentName(spawnIndex);
    const body = (await withRetries(name, 'Registering', () =>
      request('POST', '/register', options.token, {
        name,
        hostname: name,
        os: process.platform,
        arch: process.arch,
        version: '3.138.3',
        build: 'simulated',
        meta_data: options.tags,
        pid: process.pid,
        script_eval_enabled: true,
        features: options.disconnectAfterIdleTimeoutSec > 0 ? ['disconnect-after-idle'] : [],
      }),
    )) as Record<string, unknown>;
    const seconds = (value: unknown, fallback: number) =>
      (typeof value === 'number' && value > 0 ? value : fallback) * 1000;
    return {
      id: String(body.id),
      name: typeof body.name === 'string' ? body.name : name,
      accessToken: String(body.access_token),
      pingIntervalMs: options.pingIntervalMs ?? seconds(body.ping_interval, 10),
      heartbeatIntervalMs: seconds(body.heartbeat_interval, 60),
      jobStatusIntervalMs: seconds(body.job_status_interval, 5),
    };
  };

  const idleTimeoutMs = (options.disconnectAfterIdleTimeoutSec / options.timeScale) * 1000;
  const allIdleLongEnough = () => {
    if (options.disconnectAfterIdleTimeoutSec <= 0) return false;
    const now = ports.monotonicMs();
    return [...idleSince.values()].every((since) => since !== undefined && now - since >= idleTimeoutMs);
  };

  const runJob = async (agent: Registration, spawnIndex: number, jobId: string) => {
    idleSince.set(spawnIndex, undefined);
    log('INFO', agent.name, `Assigned job ${jobId}. Accepting...`);
    const job = (await withRetries(agent.name, 'Accepting the job', () =>
      request('PUT', `/jobs/${encodeURIComponent(jobId)}/accept`, agent.accessToken),
    )) as JobPayload;
    const jobToken = job.token ?? agent.accessToken;
    const env: Record<string, string> = {
      ...(job.env ?? {}),
      BUILDKITE_JOB_ID: job.id,
      BUILDKITE_AGENT_NAME: agent.name,
    };
    await withRetries(agent.name, 'Starting the job', () =>
      request('PUT', `/jobs/${encodeURIComponent(job.id)}/start`, jobToken, { started_at: new Date().toISOString() }),
    );
    log('INFO', agent.name, `Starting job ${job.id}`);

    const worldSeconds = Number(env.SIMULATED_JOB_DURATION_SEC ?? 0);
    const durationMs =
      Number.isFinite(worldSeconds) && worldSeconds > 0 ? (worldSeconds / options.timeScale) * 1000 : 0;
    const canceled = new AbortController();
    let cancelReason: 'agent_stop' | 'cancel' | undefined;
    const onKill = () => {
      cancelReason ??= 'agent_stop';
      canceled.abort();
    };
    killing.signal.addEventListener('abort', onKill);
    if (killing.signal.aborted) onKill();
    const jobDone = new AbortController();
    const pollState = async () => {
      while (!jobDone.signal.aborted) {
        await ports.sleep(agent.jobStatusIntervalMs, jobDone.signal);
        if (jobDone.signal.aborted) return;
        try {
          const state = (await request('GET', `/jobs/${encodeURIComponent(job.id)}`, jobToken)) as { state?: string };
          if (state.state === 'canceling' || state.state === 'canceled') {
            cancelReason ??= 'cancel';
            canceled.abort();
          }
        } catch (error) {
          log('WARN', agent.name, `Problem with getting job state ${job.id} (${(error as Error).message})`);
        }
      }
    };
    // Polling starts before the job-started command: its calls are the agent's sign of life (lostAgentAfterMs) while
    // a long command runs, as the real agent's heartbeats are.
    const polling = pollState();
    if (options.onJobStarted) await runHook(agent.name, 'job-started', options.onJobStarted, env);
    await ports.sleep(durationMs, canceled.signal);
    jobDone.abort();
    killing.signal.removeEventListener('abort', onKill);
    await polling;

    const ownExit = Number.parseInt(env.SIMULATED_JOB_EXIT_STATUS ?? '0', 10);
    const exitStatus = cancelReason ? -1 : Number.isFinite(ownExit) ? ownExit : 0;
    const logText = cancelReason
      ? `simulated job ${job.id} canceled (${cancelReason}) before its ${worldSeconds} world seconds\n`
      : `simulated job ${job.id} ran for ${worldSeconds} world seconds\n`;
    if (options.onJobFinished) await runHook(agent.name, 'job-finished', options.onJobFinished, env);
    await request(
      'POST',
      `/jobs/${encodeURIComponent(job.id)}/chunks?sequence=1&offset=0&size=${logText.length}`,
      jobToken,
      undefined,
      {
        gzipText: logText,
      },
    ).catch((error: Error) => log('WARN', agent.name, `Failed to upload the log of job ${job.id}: ${error.message}`));
    await withRetries(agent.name, 'Finishing the job', () =>
      request('PUT', `/jobs/${encodeURIComponent(job.id)}/finish`, jobToken, {
        exit_status: String(exitStatus),
        ...(cancelReason ? { signal: 'SIGTERM', signal_reason: cancelReason } : {}),
        finished_at: new Date().toISOString(),
        chunks_failed_count: 0,
      }),
    );
    log('INFO', agent.name, `Finished job ${job.id} with exit status ${exitStatus}`);
    idleSince.set(spawnIndex, ports.monotonicMs());
  };

  const runHook = async (name: string, label: string, command: string, env: Record<string, string>) => {
    try {
      const code = await ports.runHook(command, env);
      if (code !== 0) log('WARN', name, `The ${label} command exited with status ${code}; the job goes on`);
    } catch (error) {
      log('WARN', name, `The ${label} command could not run: ${(error as Error).message}; the job goes on`);
    }
  };

  const runAgent = async (spawnIndex: number): Promise<number> => {
    let agent: Registration;
    try {
      agent = await register(spawnIndex);
      await withRetries(agent.name, 'Connecting', () => request('POST', '/connect', agent.accessToken));
    } catch (error) {
      log('ERROR', agentName(spawnIndex), `Could not register and connect: ${(error as Error).message}`);
      return 1;
    }
    log('INFO', agent.name, `Successfully registered agent "${agent.name}" with tags [${options.tags.join(', ')}]`);
    log('INFO', agent.name, 'Waiting for instructions...');
    idleSince.set(spawnIndex, ports.monotonicMs());
    let lastHeartbeat = ports.monotonicMs();
    let exitCode = 0;
    const wake = AbortSignal.any([stopping.signal, idleExit.signal]);
    while (!stopping.signal.aborted && !idleExit.signal.aborted) {
      let ping: { action?: string; job?: JobPayload } = {};
      try {
        ping = (await request('GET', '/ping', agent.accessToken)) as typeof ping;
      } catch (error) {
        const status = error instanceof ApiError ? error.status : undefined;
        if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
          log('ERROR', agent.name, `${(error as Error).message}`);
          exitCode = 1;
          break;
        }
        log('WARN', agent.name, `Failed to ping: ${(error as Error).message}`);
      }
      if (ping.action === 'disconnect') break;
      if (ping.job && !stopping.signal.aborted) {
        try {
          await runJob(agent, spawnIndex, ping.job.id);
        } catch (error) {
          log('ERROR', agent.name, `Job ${ping.job.id} failed in the agent: ${(error as Error).message}`);
          idleSince.set(spawnIndex, ports.monotonicMs());
        }
        continue;
      }
      if (ports.monotonicMs() - lastHeartbeat >= agent.heartbeatIntervalMs) {
        lastHeartbeat = ports.monotonicMs();
        await request('POST', '/heartbeat', agent.accessToken, { sent_at: new Date().toISOString() }).catch(() => {});
      }
      if (allIdleLongEnough() && !idleExit.signal.aborted) {
        log(
          'INFO',
          agent.name,
          `All agents have been idle for at least ${goDuration(options.disconnectAfterIdleTimeoutSec)}. Disconnecting...`,
        );
        idleExit.abort();
        break;
      }
      await ports.sleep(agent.pingIntervalMs, wake);
    }
    if (stopping.signal.aborted) {
      await request('POST', '/stop', agent.accessToken, {}).catch(() => {});
    }
    log('INFO', agent.name, 'Disconnecting...');
    await request('POST', '/disconnect', agent.accessToken).catch((error: Error) =>
      log('WARN', agent.name, `Failed to disconnect: ${error.message}`),
    );
    log('INFO', agent.name, `Disconnected agent "${agent.name}"`);
    return exitCode;
  };

  return {
    async run() {
      const codes = await Promise.all(Array.from({ length: options.spawn }, (_, index) => runAgent(index + 1)));
      return codes.some((code) => code !== 0) ? 1 : 0;
    },
    stopGracefully() {
      stopRequests += 1;
      if (stopRequests === 1) {
        log('INFO', options.name, 'Gracefully stopping agent(s): running jobs will finish, no new job will start');
        stopping.abort();
        return;
      }
      this.stopNow();
    },
    stopNow() {
      log('INFO', options.name, 'Forcefully stopping running jobs and stopping the agent(s)');
      stopping.abort();
      killing.abort();
    },
  };
}
