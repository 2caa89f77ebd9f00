/**
 * What to do when the agent unit has stopped (`ExecStopPost`). Pure: every input is gathered by the caller.
 *
 * Why the agent stopped decides what happens to the instance:
 * - **Idle exit** (`disconnect-after-idle-timeout`: every agent on the instance idled out): the fleet has more capacity
 *   than work, so the instance leaves for good: `TerminateInstanceInAutoScalingGroup` **decrementing** desired capacity.
 * - **Any other exit** (crash, `disconnect-after-job`, `disconnect-after-uptime`, a stop from an operator or SSM): the
 *   capacity is still wanted, so the instance is **replaced**: `SetInstanceHealth Unhealthy`, desired unchanged.
 *
 * An idle exit needs both a clean exit (systemd's `SERVICE_RESULT=success`, or exit status 0) and the agent's own log
 * line saying it disconnects because it was idle, in the last lines of that run of the unit. The exit status alone
 * cannot tell: a graceful stop, `disconnect-after-job` and an idle timeout all exit 0. When in doubt the instance is
 * replaced, never lost: a wrong replacement costs one boot, a wrong decrement leaves the fleet short.
 *
 * When the instance goes back into the warm pool (`Warmed:Stopped`/`Hibernated`/`Running`: a scale-in under the
 * pool's reuse policy, which lifecycled drains) it stays in the group: the agent must start again when the instance
 * returns `InService`, so the start-agent waiter is armed again — a hibernated instance wakes without a boot, and the
 * waiter of its first boot has long ended. Nothing happens at all when Auto Scaling is already terminating it
 * (`Terminated`, `Warmed:Terminated`: lifecycled drains and completes the lifecycle action), or when lifecycled has
 * told the agent to stop. And nothing happens while a job still runs on
 * the instance: the caller waits, it never kills a busy job.
 */
export interface TerminationInput {
  /** IMDS `autoscaling/target-lifecycle-state`; undefined when absent or unreadable. */
  readonly targetLifecycleState: string | undefined;
  /** lifecycled's handler has sent the agent its SIGTERM (a marker in its state directory). */
  readonly lifecycledDraining: boolean;
  readonly runningJobs: number;
  /** systemd's `SERVICE_RESULT` (`success`, `exit-code`, `signal`, `core-dump`, `timeout`, …). */
  readonly serviceResult: string | undefined;
  /** systemd's `EXIT_STATUS`: a number for `EXIT_CODE=exited`, a signal name for `killed`/`dumped`. */
  readonly exitStatus: string | undefined;
  /** The agent's log of this run ends with its idle-disconnect line. */
  readonly idleLineSeen: boolean;
  /** `lifecycle.terminateOnIdle` from the boot contract. */
  readonly terminateOnIdle: boolean;
}

export type TerminationDecision =
  | { readonly action: 'none'; readonly reason: string }
  | { readonly action: 'await-in-service'; readonly reason: string }
  | { readonly action: 'wait-for-jobs'; readonly reason: string }
  | { readonly action: 'terminate-decrement'; readonly reason: string }
  | { readonly action: 'replace'; readonly reason: string };

export function decideTermination(input: TerminationInput): TerminationDecision {
  const state = input.targetLifecycleState;
  if (state === 'Terminated' || state === 'Warmed:Terminated') {
    return { action: 'none', reason: 'Auto Scaling is already terminating this instance (lifecycled drains it)' };
  }
  if (state?.startsWith('Warmed:')) {
    return {
      action: 'await-in-service',
      reason: `target lifecycle state is ${state}: back into the warm pool, the agent starts again when it is InService`,
    };
  }
  if (input.lifecycledDraining) {
    return { action: 'none', reason: 'lifecycled is draining this instance' };
  }
  if (input.runningJobs > 0) {
    return { action: 'wait-for-jobs', reason: `${input.runningJobs} job(s) still running on this instance` };
  }
  if (isCleanExit(input) && input.idleLineSeen) {
    return input.terminateOnIdle
      ? { action: 'terminate-decrement', reason: 'the agent exited because it was idle' }
      : { action: 'replace', reason: 'the agent exited idle, but lifecycle.terminateOnIdle is off' };
  }
  return {
    action: 'replace',
    reason: `the agent exited for another reason than idleness (result ${input.serviceResult ?? 'unknown'}, status ${input.exitStatus ?? 'unknown'})`,
  };
}

function isCleanExit(input: TerminationInput): boolean {
  if (input.serviceResult !== undefined && input.serviceResult !== '') return input.serviceResult === 'success';
  return input.exitStatus === '0';
}

/**
 * The Buildkite agent's line when every agent of the process has idled out, in the three forms its v3 releases (and
 * the v4 betas) log — read in github.com/buildkite/agent at these tags:
 * - v3.12.0 … v3.97.1, `agent/agent_worker.go`: "All agents have been idle for 600 seconds. Disconnecting..."
 * - v3.97.2 … v3.111.x, `agent/agent_worker.go`: "All agents have been idle for 10m0s. Disconnecting..." (a Go duration)
 * - v3.112.0 … v3.118.x `agent/agent_worker.go`, v3.119.0 … v3.137.0 and v4.0.0-beta.15 `agent/agent_worker_action.go`:
 *   "All agents have been idle for at least 10m0s. Disconnecting..."
 * The agent exits 0 after it, exactly as after `disconnect-after-job`, an uptime limit or a graceful stop (no exit
 * status, environment variable or status file tells them apart), so this line is the only signal. It is matched
 * whole, anywhere in a journal line (text or JSON log format), not as loose words: the agent's own usage text for the
 * flag ("The maximum idle time in seconds to wait for a job before disconnecting") must not count. Only the last
 * lines of the run count, so an old line cannot decide a later exit.
 */
const IDLE_DISCONNECT =
  /All agents have been idle for (?:at least )?(?:\d+ seconds|(?:\d+(?:\.\d+)?(?:h|m|s|ms|us|µs|ns))+)\. Disconnecting\.\.\./;
export const IDLE_LINE_WINDOW = 50;

export function logShowsIdleExit(log: string): boolean {
  const lines = log.split('\n').filter((line) => line.trim() !== '');
  return lines.slice(-IDLE_LINE_WINDOW).some((line) => IDLE_DISCONNECT.test(line));
}
