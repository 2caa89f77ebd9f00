/** What the drain loop knows about the old group at one moment. */
export type GroupSnapshot =
  | { exists: false }
  | {
      exists: true;
      minSize: number;
      maxSize: number;
      desiredCapacity: number;
      instances: { instanceId: string; lifecycleState: string }[];
    };

export interface SentCommand {
  commandId: string;
  sentAt: number;
  /**
   * The instances that could run an agent when it was sent (SSM resolves the group tag at send time, so an instance
   * that came into service later is not among its targets). Absent in state saved before it was recorded.
   */
  targetInstanceIds?: string[] | undefined;
}

/** SSM's per-instance status of a command (ListCommandInvocations). */
export interface CommandInvocation {
  commandId: string;
  instanceId: string;
  status: string;
}

export interface DrainInput {
  now: number;
  /** The drain gives up here (across every continuation). */
  drainDeadlineAt: number;
  /** This invocation must have handed over or answered by here. */
  invocationDeadlineAt: number;
  pollIntervalMs: number;
  group: GroupSnapshot;
  commands: SentCommand[];
  invocations: CommandInvocation[];
}

export type DrainAction =
  | { kind: 'zero-capacity' }
  | {
      kind: 'send-stop-command';
      uncoveredInstanceIds: string[];
      /** Every instance that can run an agent now: the command's targets, for `SentCommand.targetInstanceIds`. */
      targetInstanceIds: string[];
    };

export type DrainStep =
  | { kind: 'finished'; outcome: 'drained'; reason: string }
  | { kind: 'finished'; outcome: 'deadline'; remainingInstanceIds: string[]; reason: string }
  | {
      kind: 'in-progress';
      actions: DrainAction[];
      /** Wait this long in this invocation, or hand over to a new one when there is not enough time left. */
      next: { kind: 'wait'; ms: number } | { kind: 'continue' };
      remainingInstanceIds: string[];
      reason: string;
    };

/** SSM statuses that mean the stop request reached (or is still reaching) the instance. */
const LIVE_OR_DELIVERED = new Set(['Pending', 'InProgress', 'Delayed', 'Success']);
/** Lifecycle states in which an agent may be running and can be told to stop. */
const AGENT_RUNNING_STATES = new Set(['InService', 'Standby']);
/** Tries of the stop command before leaving the rest to the lifecycle hook. */
export const MAX_STOP_COMMANDS = 5;
/** A fresh command's invocations take a while to be listed: give SSM this long before judging coverage. */
export const RESEND_AFTER_MS = 60_000;
/** Shorter waits are not worth keeping the invocation for. */
export const MIN_WAIT_MS = 1_000;
/** Room for one look at the group (a few AWS calls with retries) before an invocation's deadline. */
export const TICK_ALLOWANCE_MS = 30_000;

/**
 * Decides the next step of draining a replaced group. Never terminates anything: it only lowers min/desired to 0
 * (the group can then remove only instances without scale-in protection, through the termination lifecycle hook)
 * and asks agents to stop after their current job, then waits for the instances to go away by themselves.
 */
export function decideDrainStep(input: DrainInput): DrainStep {
  const { group } = input;
  if (!group.exists) {
    return { kind: 'finished', outcome: 'drained', reason: 'the group no longer exists' };
  }
  const remaining = group.instances.filter((instance) => instance.lifecycleState !== 'Terminated');
  const remainingInstanceIds = remaining.map((instance) => instance.instanceId).sort();
  if (remaining.length === 0) {
    return { kind: 'finished', outcome: 'drained', reason: 'every instance of the group is gone' };
  }
  if (input.now >= input.drainDeadlineAt) {
    return {
      kind: 'finished',
      outcome: 'deadline',
      remainingInstanceIds,
      reason: `${remaining.length} instance(s) still running at the drain deadline: ${remainingInstanceIds.join(', ')}`,
    };
  }

  const actions: DrainAction[] = [];
  if (group.minSize > 0 || group.desiredCapacity > 0) actions.push({ kind: 'zero-capacity' });

  const covered = new Set(
    input.invocations
      .filter((invocation) => LIVE_OR_DELIVERED.has(invocation.status))
      .map((invocation) => invocation.instanceId),
  );
  // Every instance that can run an agent now: a stop command's targets, and those no live command covers yet.
  const agentInstanceIds = remaining
    .filter((instance) => AGENT_RUNNING_STATES.has(instance.lifecycleState))
    .map((instance) => instance.instanceId)
    .sort();
  const uncoveredInstanceIds = agentInstanceIds.filter((instanceId) => !covered.has(instanceId));
  const lastSentAt = Math.max(...input.commands.map((command) => command.sentAt));
  // An instance that came into service after every command was sent (a launch still in flight when the drain began)
  // was no command's target: waiting for SSM to list it would only let its agent take more jobs.
  const targeted = new Set(input.commands.flatMap((command) => command.targetInstanceIds ?? []));
  const everyTargetKnown = input.commands.every((command) => command.targetInstanceIds !== undefined);
  const untargeted = everyTargetKnown && uncoveredInstanceIds.some((instanceId) => !targeted.has(instanceId));
  const mayResend =
    input.commands.length < MAX_STOP_COMMANDS &&
    (input.now - lastSentAt >= RESEND_AFTER_MS || untargeted) &&
    uncoveredInstanceIds.length > 0;
  if (input.commands.length === 0 || mayResend) {
    actions.push({ kind: 'send-stop-command', uncoveredInstanceIds, targetInstanceIds: agentInstanceIds });
  }

  return {
    kind: 'in-progress',
    actions,
    next: nextLook(input),
    remainingInstanceIds,
    reason: `${remaining.length} instance(s) still draining; ${uncoveredInstanceIds.length} not yet told to stop`,
  };
}

/**
 * When to look at the group again: after a poll interval, or as much of it as this invocation has left (so every
 * invocation spends its time waiting and a chain of continuations always moves time forward); hand over to a new
 * invocation when less than a second is left.
 */
export function nextLook(
  input: Pick<DrainInput, 'now' | 'drainDeadlineAt' | 'invocationDeadlineAt' | 'pollIntervalMs'>,
): { kind: 'wait'; ms: number } | { kind: 'continue' } {
  const wanted = Math.min(input.pollIntervalMs, input.drainDeadlineAt - input.now);
  const available = input.invocationDeadlineAt - input.now - TICK_ALLOWANCE_MS;
  const waitMs = Math.min(wanted, available);
  return waitMs >= MIN_WAIT_MS ? { kind: 'wait', ms: waitMs } : { kind: 'continue' };
}

/**
 * After an AWS call of the drain failed for a passing reason (`AwsCallError.transient`): look again later like any
 * other step, or give up with that error once the drain deadline has passed (the answer is then FAILED).
 */
export function afterTransientFailure(
  input: Pick<DrainInput, 'now' | 'drainDeadlineAt' | 'invocationDeadlineAt' | 'pollIntervalMs'>,
): { kind: 'give-up' } | { kind: 'wait'; ms: number } | { kind: 'continue' } {
  if (input.now >= input.drainDeadlineAt) return { kind: 'give-up' };
  return nextLook(input);
}
