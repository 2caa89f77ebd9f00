import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../aws/clock.js';
import type { InstanceMetadata } from '../aws/imds-client.js';
import type { Logger } from '../logger.js';
import { listBusyJobs } from '../protection/busy-jobs.js';
import { partitionJobs } from '../protection/decide-protection.js';
import type { InstanceControl } from '../protection/instance-control.js';
import type { RunningJobIds } from '../protection/job-processes.js';
import type { IsProcessAlive } from '../protection/process-table.js';
import { describe, protectionPaths } from '../protection/protection.js';
import { withRetries } from '../protection/retry.js';
import type { CommandRunner } from './command-runner.js';
import { decideTermination, logShowsIdleExit, type TerminationDecision } from './decide-termination.js';

export interface AgentExit {
  readonly serviceResult: string | undefined;
  readonly exitStatus: string | undefined;
}

export interface TerminateDeps {
  readonly root: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metadata: InstanceMetadata;
  readonly control: InstanceControl;
  readonly runner: CommandRunner;
  readonly isProcessAlive: IsProcessAlive;
  readonly runningJobIds: RunningJobIds;
  readonly bootId: string | undefined;
  /** The agent's log of the run that just ended. */
  readonly readAgentLog: () => Promise<string>;
  readonly terminateOnIdle: boolean;
  /** How long to wait for running jobs before giving up without acting; Infinity waits as long as they run. */
  readonly waitForJobsMs: number;
  /** @default 10000 */
  readonly jobPollMs?: number;
  /** Attempts per AWS call. @default 5 */
  readonly attempts?: number;
  /** lifecycled's `STOP_AGENT_STATE_DIR` (under the root). @default /run/lifecycled */
  readonly lifecycledStateDir?: string;
  /**
   * The pid of the agent process that just exited (systemd's `ExecMainPID`): only lifecycled's SIGTERM marker for
   * that process tells that lifecycled stopped it. Undefined (or absent) when unknown: any marker counts.
   */
  readonly agentMainPid?: () => Promise<number | undefined>;
}

/** The unit that waits for `InService` and then starts the agent (packer/linux/conf/systemd). */
export const START_AGENT_UNIT = 'elastic-ci-start-agent.service';

export type TerminateOutcome =
  | { readonly result: 'none' | 'terminated-decrement' | 'marked-unhealthy' | 'terminated-replace' }
  | { readonly result: 'awaiting-in-service' | 'await-failed' }
  | { readonly result: 'refused-busy' }
  | { readonly result: 'powered-off' | 'poweroff-failed' };

/**
 * `ExecStopPost` of the agent unit: decides (see `decideTermination`) and acts, falling back step by step so the
 * instance never stays up without an agent: the chosen call, then the other way out of the group, then power off.
 */
export async function terminateAfterAgentExit(exit: AgentExit, deps: TerminateDeps): Promise<TerminateOutcome> {
  const deadline = deps.clock.now() + deps.waitForJobsMs;
  let decision: TerminationDecision;
  for (;;) {
    decision = await decide(exit, deps);
    if (decision.action !== 'wait-for-jobs') break;
    if (deps.clock.now() >= deadline) {
      deps.log.error(`refusing to act: ${decision.reason}; a busy job is never killed`);
      return { result: 'refused-busy' };
    }
    deps.log.info(`waiting: ${decision.reason}`);
    await deps.clock.sleep(deps.jobPollMs ?? 10_000);
  }
  deps.log.info(`decision: ${decision.action}`, { reason: decision.reason });
  if (decision.action === 'none') return { result: 'none' };
  if (decision.action === 'await-in-service') {
    // `--no-block`: this runs inside the agent unit's stop; the waiter (a oneshot that has long exited) runs on its
    // own, through the pool's stop or hibernation, and starts the agent once the instance is InService again.
    const rearm = await deps.runner('systemctl', ['--no-block', 'restart', START_AGENT_UNIT]);
    if (rearm.exitCode === 0) return { result: 'awaiting-in-service' };
    deps.log.error(`could not restart ${START_AGENT_UNIT}: the agent will not start when the instance is InService`, {
      exitCode: rearm.exitCode,
    });
    return { result: 'await-failed' };
  }

  const attempt = async (what: string, operation: () => Promise<void>): Promise<boolean> => {
    try {
      await withRetries(operation, {
        clock: deps.clock,
        attempts: deps.attempts ?? 5,
        onRetry: (error, n, delayMs) =>
          deps.log.info(`${what}: retrying`, { attempt: n, delayMs, error: describe(error) }),
      });
      deps.log.info(`${what}: done`);
      return true;
    } catch (error) {
      deps.log.error(`${what} failed`, { error: describe(error) });
      return false;
    }
  };
  const terminate = (decrement: boolean) =>
    attempt(`TerminateInstanceInAutoScalingGroup(decrement=${decrement})`, () =>
      deps.control.terminate({ decrementDesiredCapacity: decrement }),
    );
  const unhealthy = () => attempt('SetInstanceHealth(Unhealthy)', () => deps.control.setUnhealthy());

  if (decision.action === 'terminate-decrement') {
    if (await terminate(true)) return { result: 'terminated-decrement' };
    // e.g. desired already at the group's minimum: then the group must replace the instance instead.
    if (await unhealthy()) return { result: 'marked-unhealthy' };
  } else {
    if (await unhealthy()) return { result: 'marked-unhealthy' };
    if (await terminate(false)) return { result: 'terminated-replace' };
  }
  deps.log.error('could not leave the Auto Scaling group; powering off so no instance runs without an agent');
  const poweroff = await deps.runner('systemctl', ['poweroff']);
  if (poweroff.exitCode === 0) return { result: 'powered-off' };
  deps.log.error('systemctl poweroff failed', { exitCode: poweroff.exitCode });
  return { result: 'poweroff-failed' };
}

async function decide(exit: AgentExit, deps: TerminateDeps): Promise<TerminationDecision> {
  const paths = protectionPaths(deps.root);
  const [targetLifecycleState, lifecycledDraining, running, jobs, agentLog] = await Promise.all([
    deps.metadata.targetLifecycleState().catch((error: unknown) => {
      deps.log.error('could not read the target lifecycle state', { error: describe(error) });
      return undefined;
    }),
    lifecycledHasStoppedTheAgent(
      join(deps.root || '/', deps.lifecycledStateDir ?? 'run/lifecycled'),
      deps.agentMainPid,
    ),
    deps.runningJobIds(),
    listBusyJobs(paths.busyJobsDir),
    deps.readAgentLog().catch((error: unknown) => {
      deps.log.error('could not read the agent log; treating the exit as not idle', { error: describe(error) });
      return '';
    }),
  ]);
  const { live } = partitionJobs(jobs, deps.isProcessAlive, deps.bootId, running);
  return decideTermination({
    targetLifecycleState,
    lifecycledDraining,
    runningJobs: live.length,
    serviceResult: exit.serviceResult,
    exitStatus: exit.exitStatus,
    idleLineSeen: logShowsIdleExit(agentLog),
    terminateOnIdle: deps.terminateOnIdle,
  });
}

/**
 * lifecycled's `stop-agent-gracefully` leaves `agent-sigterm-sent-<pid>` in its state directory, and never removes it.
 * Its directory is on /run, which a pool instance kept running or hibernated keeps: the marker of the drain that sent
 * it back into the warm pool is still there when the agent started since then exits. So only the marker of the
 * process that exited counts; any marker only when that pid is unknown.
 */
async function lifecycledHasStoppedTheAgent(
  stateDir: string,
  agentMainPid: TerminateDeps['agentMainPid'],
): Promise<boolean> {
  const names = await readdir(stateDir).catch(() => [] as string[]);
  const markers = names.filter((name) => name.startsWith('agent-sigterm-sent-'));
  if (markers.length === 0) return false;
  const pid = await agentMainPid?.().catch(() => undefined);
  return pid === undefined || markers.includes(`agent-sigterm-sent-${pid}`);
}

/** `ExecMainPID` of the agent unit: in its `ExecStopPost`, the main process that has just exited. */
export function systemdAgentMainPid(runner: CommandRunner, unit = 'buildkite-agent.service') {
  return async (): Promise<number | undefined> => {
    const result = await runner('systemctl', ['show', '--property=ExecMainPID', '--value', unit]);
    const pid = Number(result.stdout.trim());
    return result.exitCode === 0 && Number.isInteger(pid) && pid > 0 ? pid : undefined;
  };
}

/**
 * The agent's log of the run that ended: the journal of this unit invocation (systemd gives ExecStopPost the same
 * `INVOCATION_ID`), else the unit's last lines.
 */
export function journalAgentLog(runner: CommandRunner, env: NodeJS.ProcessEnv, unit = 'buildkite-agent') {
  return async (): Promise<string> => {
    const invocation = env.INVOCATION_ID;
    const args =
      invocation && /^[0-9a-f]{32}$/.test(invocation)
        ? [`_SYSTEMD_INVOCATION_ID=${invocation}`, '--output=cat', '--lines=200', '--no-pager']
        : ['--unit', unit, '--output=cat', '--lines=200', '--no-pager'];
    const result = await runner('journalctl', args);
    if (result.exitCode !== 0) throw new Error(`journalctl exited ${result.exitCode}`);
    return result.stdout;
  };
}

export async function readLogFile(path: string): Promise<string> {
  const text = await readFile(path, 'utf8');
  return text.slice(-64 * 1024);
}
