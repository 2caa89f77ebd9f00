import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import {
  type AgentPort,
  execSystemctl,
  pidFileAgent,
  type Systemctl,
  systemdAgent,
  TransientAgentError,
} from './agent-process';
import { type Clock, systemClock } from './clock';
import { TRANSITIONS } from './decide';
import { parseDurationMs } from './duration';
import { createLogger, formatJson, type Logger, streamSink } from './logger';
import { parseRfc3339 } from './metadata-parsers';
import { withRetries } from './retry';
import { nextStopStep } from './stop-agent-plan';

export interface StopAgentIo {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  clock?: Clock;
  agent?: AgentPort;
  /** `systemctl` for the systemd adapter (default: the one on `env.PATH`). */
  systemctl?: Systemctl;
}

const durationText = (name: string, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, context) => {
      const ms = parseDurationMs(text);
      if (ms === undefined) {
        context.addIssue({ code: 'custom', message: `${name}: "${text}" is not a duration like 20s or 500ms` });
        return z.NEVER;
      }
      return ms;
    });

/** `STOP_AGENT_STATE_DIR` when unset: a tmpfs, so the markers go with a reboot. */
export const DEFAULT_STOP_AGENT_STATE_DIR = '/run/lifecycled';

/** The marker's name is this plus the agent's PID; agent-instance's terminate reads it as "lifecycled is draining". */
export const SIGTERM_MARKER_PREFIX = 'agent-sigterm-sent-';

/**
 * Removes the SIGTERM markers once the drain they belong to is over and the instance stays (a return to the warm
 * pool): the agent that starts when it is InService again is a new one, and a stale marker would read as a drain in
 * progress to agent-instance's terminate, which then left an instance whose agent exited idle or crashed in place.
 */
export async function forgetSigtermMarkers(stateDir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(stateDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await Promise.all(
    names
      .filter((name) => name.startsWith(SIGTERM_MARKER_PREFIX))
      .map((name) => rm(join(stateDir, name), { force: true })),
  );
}

/** The handler's whole configuration: arguments from lifecycled, knobs from the environment. */
const stopAgentSchema = z.object({
  transition: z.string({ error: 'argument 1 (transition) is missing' }).min(1, 'argument 1 (transition) is empty'),
  instanceId: z.string({ error: 'argument 2 (instance ID) is missing' }).min(1, 'argument 2 (instance ID) is empty'),
  time: z.string().optional(),
  pidFile: z.string().optional(),
  unit: z.string().default('buildkite-agent'),
  sigquitLeadMs: durationText('STOP_AGENT_SIGQUIT_LEAD', '20s'),
  pollMs: durationText('STOP_AGENT_POLL_INTERVAL', '1s'),
  stateDir: z.string().default(DEFAULT_STOP_AGENT_STATE_DIR),
  /** Set by lifecycled when a spot notice arrives during another drain, whose handler already sent the SIGTERM. */
  drainInProgress: z.string().optional(),
});

const DRAIN_TRANSITIONS = new Set<string>([TRANSITIONS.terminating, TRANSITIONS.spotTermination]);

/**
 * How long failures of `systemctl` that ran (a D-Bus timeout on a loaded host) are retried, every poll interval,
 * before the handler gives up. Failing at once made lifecycled complete the lifecycle action with the agent never
 * told to stop, so the instance went with its running job; lifecycled heartbeats the action while this retries.
 */
export const TRANSIENT_RETRY_WINDOW_MS = 300_000;

/**
 * `stop-agent-gracefully <transition> <instance-id> [time]`: our default lifecycled handler. Exit 0 when the agent is
 * gone (or the transition needs nothing), 1 on failure, 2 on bad arguments.
 */
export async function runStopAgent(io: StopAgentIo): Promise<number> {
  const [transition, instanceId, time] = io.argv;
  const parsed = stopAgentSchema.safeParse({
    transition,
    instanceId,
    time,
    pidFile: io.env.STOP_AGENT_PID_FILE || undefined,
    unit: io.env.STOP_AGENT_SYSTEMD_UNIT || undefined,
    sigquitLeadMs: io.env.STOP_AGENT_SIGQUIT_LEAD || undefined,
    pollMs: io.env.STOP_AGENT_POLL_INTERVAL || undefined,
    stateDir: io.env.STOP_AGENT_STATE_DIR || undefined,
    drainInProgress: io.env.LIFECYCLED_DRAIN_IN_PROGRESS || undefined,
  });
  const deadline =
    parsed.success && parsed.data.transition === TRANSITIONS.spotTermination
      ? parseRfc3339(parsed.data.time ?? '')
      : undefined;
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => issue.message)),
    ...(deadline && !deadline.ok ? [`argument 3 (termination time): ${deadline.reason}`] : []),
  ];
  if (!parsed.success || problems.length > 0) {
    io.stderr.write(
      `stop-agent-gracefully: ${problems.join('; ')}\nusage: stop-agent-gracefully <transition> <instance-id> [termination-time]\n`,
    );
    return 2;
  }
  const options = parsed.data;
  const clock = io.clock ?? systemClock;
  const logger = createLogger({ sinks: [streamSink(io.stdout, formatJson)], now: () => clock.now() }).child({
    handler: 'stop-agent-gracefully',
    transition: options.transition,
  });
  if (!DRAIN_TRANSITIONS.has(options.transition)) {
    logger.info('Nothing to do for this transition', { args: io.argv });
    return 0;
  }
  const agent =
    io.agent ??
    (options.pidFile
      ? pidFileAgent(options.pidFile)
      : systemdAgent(options.unit, io.systemctl ?? execSystemctl(io.env)));
  try {
    return await stopAgent({
      agent,
      clock,
      logger,
      deadlineMs: deadline?.ok ? deadline.value.epochMs : undefined,
      sigquitLeadMs: options.sigquitLeadMs,
      pollMs: options.pollMs,
      stateDir: options.stateDir,
      // Only the spot path joins a running drain: the other handler owns the one SIGTERM, this one owns the SIGQUIT.
      sigtermByRunningDrain:
        options.transition === TRANSITIONS.spotTermination && options.drainInProgress !== undefined,
    });
  } catch (error) {
    logger.error('Failed to stop the agent', { error });
    return 1;
  }
}

async function stopAgent(input: {
  agent: AgentPort;
  clock: Clock;
  logger: Logger;
  deadlineMs: number | undefined;
  sigquitLeadMs: number;
  pollMs: number;
  stateDir: string;
  sigtermByRunningDrain: boolean;
}): Promise<number> {
  const { agent, clock, logger } = input;
  // Every poll interval, for the retry window (a D-Bus timeout alone takes ~25 s, so the window, not a count, bounds it).
  const retrying = <T>(call: () => Promise<T>) =>
    withRetries(call, {
      clock,
      attempts: Number.POSITIVE_INFINITY,
      baseDelayMs: input.pollMs,
      maxDelayMs: input.pollMs,
      giveUpAfterMs: TRANSIENT_RETRY_WINDOW_MS,
      isRetryable: (error) => error instanceof TransientAgentError,
      onRetry: (error, attempt) => logger.warn('systemctl failed, retrying', { error, attempt }),
    });
  const pid = await retrying(() => agent.mainPid());
  if (pid === undefined) {
    logger.info('Agent is not running', { agent: agent.description });
    return 0;
  }
  // A restarted lifecycled re-runs the handler: remember the SIGTERM so the agent never gets a second one.
  const marker = join(input.stateDir, `${SIGTERM_MARKER_PREFIX}${pid}`);
  let sigtermSent =
    input.sigtermByRunningDrain ||
    (await readFile(marker).then(
      () => true,
      () => false,
    ));
  let sigquitSent = false;
  logger.info('Stopping the agent gracefully', {
    agent: agent.description,
    pid,
    ...(input.deadlineMs === undefined ? {} : { deadline: new Date(input.deadlineMs).toISOString() }),
    sigtermAlreadySent: sigtermSent,
    ...(input.sigtermByRunningDrain ? { joinsRunningDrain: true } : {}),
  });
  for (;;) {
    const step = nextStopStep({
      nowMs: clock.now(),
      deadlineMs: input.deadlineMs,
      agentRunning: agent.isAlive(pid),
      sigtermSent,
      sigquitSent,
      sigquitLeadMs: input.sigquitLeadMs,
      pollMs: input.pollMs,
    });
    switch (step.kind) {
      case 'done':
        logger.info('Agent stopped', { pid });
        return 0;
      case 'sigterm':
        // Asking again is safe: systemd runs one stop job per unit however many stops arrive (one SIGTERM).
        await retrying(() => agent.stopGracefully(pid));
        sigtermSent = true;
        await mkdir(input.stateDir, { recursive: true })
          .then(() => writeFile(marker, `${new Date(clock.now()).toISOString()}\n`))
          .catch((error: unknown) => logger.warn('Could not record the SIGTERM marker', { marker, error }));
        logger.info('Sent SIGTERM: the agent finishes its running job, then exits', { pid, via: agent.description });
        break;
      case 'sigquit':
        await retrying(() => agent.cancelJobs(pid));
        sigquitSent = true;
        logger.warn('Spot deadline is near: sent SIGQUIT, the agent cancels its job', { pid });
        break;
      case 'wait':
        await clock.sleep(step.ms);
        break;
    }
  }
}
