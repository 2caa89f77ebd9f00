import { type Clock, type CustomResourceOutcome, describeIssues, type RunnerLogger } from '@elastic-ci/custom-resource';
import * as z from 'zod/mini';
import type { StopAgentsConfig } from './config';
import { afterTransientFailure, type DrainStep, decideDrainStep, type SentCommand } from './drain-decision';
import { AwsCallError, ResourcePropertiesError } from './errors';
import type { AgentGroup, AgentStopper } from './ports';
import { stopCommandFor } from './stop-command';

/** What one invocation hands to the next: everything the decision needs that AWS cannot tell us again. */
export interface DrainState {
  groupName: string;
  drainDeadlineAt: number;
  commands: SentCommand[];
}

const drainStateSchema = z.object({
  groupName: z.string().check(z.minLength(1)),
  drainDeadlineAt: z.number(),
  commands: z.array(
    z.object({
      commandId: z.string().check(z.minLength(1)),
      sentAt: z.number(),
      targetInstanceIds: z.optional(z.array(z.string())),
    }),
  ),
});

/** Validates the state carried by a continuation (it travels through a Lambda payload). */
export function parseDrainState(state: unknown): DrainState {
  const parsed = drainStateSchema.safeParse(state);
  if (!parsed.success) throw new ResourcePropertiesError(`malformed drain state: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

type NextLook = Extract<DrainStep, { kind: 'in-progress' }>['next'];

export interface DrainDependencies {
  config: StopAgentsConfig;
  group: AgentGroup;
  stopper: AgentStopper;
  clock: Clock;
  logger: RunnerLogger;
}

export interface DrainRequest {
  groupName: string;
  physicalResourceId: string;
  /** From the previous invocation, if this one continues a drain. */
  state: DrainState | undefined;
  /** This invocation's deadline (the runner's). */
  invocationDeadlineAt: number;
  signal: AbortSignal;
}

/**
 * Looks at the group, acts on the pure decision, sleeps, and repeats until the group is empty, the drain deadline
 * passes (answer), or this invocation runs short of time (continue in a new one with the state).
 */
export async function drainGroup(
  dependencies: DrainDependencies,
  request: DrainRequest,
): Promise<CustomResourceOutcome> {
  const { config, group, stopper, clock, logger } = dependencies;
  const { groupName } = request;
  if (request.state && request.state.groupName !== groupName) {
    throw new ResourcePropertiesError(
      `the continuation drains ${request.state.groupName} but the request names ${groupName}`,
    );
  }
  const state: DrainState = request.state ?? {
    groupName,
    drainDeadlineAt: clock.now() + config.drainTimeoutMs,
    commands: [],
  };
  const command = stopCommandFor(config.platform, config.agentServiceName);

  /** One look at the group and the actions it calls for: the answer once the drain is over, else when to look again. */
  const look = async (): Promise<{ answer: CustomResourceOutcome } | { next: NextLook }> => {
    const snapshot = await group.describe(groupName);
    const invocations =
      snapshot.exists && state.commands.length > 0
        ? await stopper.listInvocations(state.commands.map((sent) => sent.commandId))
        : [];
    const now = clock.now();
    const step = decideDrainStep({
      now,
      drainDeadlineAt: state.drainDeadlineAt,
      invocationDeadlineAt: request.invocationDeadlineAt,
      pollIntervalMs: config.pollIntervalMs,
      group: snapshot,
      commands: state.commands,
      invocations,
    });
    logger.info('drain step', {
      autoScalingGroupName: groupName,
      step: step.kind,
      reason: step.reason,
      actions: step.kind === 'in-progress' ? step.actions.map((action) => action.kind) : [],
      next: step.kind === 'in-progress' ? step.next : undefined,
      remainingInstanceIds: step.kind === 'finished' && step.outcome === 'drained' ? [] : step.remainingInstanceIds,
      msUntilDrainDeadline: state.drainDeadlineAt - now,
      stopCommandsSent: state.commands.length,
    });

    if (step.kind === 'finished') {
      if (step.outcome === 'drained') {
        return {
          answer: {
            status: 'SUCCESS',
            physicalResourceId: request.physicalResourceId,
            reason: `${groupName} drained: ${step.reason}`,
            data: { Drained: true, RemainingInstances: 0, StopCommandsSent: state.commands.length },
          },
        };
      }
      const reason =
        `${groupName}: ${step.reason}. Their jobs were not interrupted. ` +
        'Raise DRAIN_TIMEOUT_SECONDS (and the custom resource ServiceTimeout) for longer jobs';
      if (config.onDrainTimeout === 'fail') {
        return {
          answer: {
            status: 'FAILED',
            physicalResourceId: request.physicalResourceId,
            reason: `${reason}; CloudFormation keeps the group until a retried delete finds it empty`,
          },
        };
      }
      logger.warn('drain deadline passed; answering SUCCESS as ON_DRAIN_TIMEOUT=succeed asks', { reason });
      return {
        answer: {
          status: 'SUCCESS',
          physicalResourceId: request.physicalResourceId,
          reason,
          data: {
            Drained: false,
            RemainingInstances: step.remainingInstanceIds.length,
            StopCommandsSent: state.commands.length,
          },
        },
      };
    }

    for (const action of step.actions) {
      if (request.signal.aborted) throw new Error('the invocation deadline passed');
      if (action.kind === 'zero-capacity') {
        await group.zeroCapacity(groupName);
        logger.info('old group set to MinSize=0, DesiredCapacity=0', { autoScalingGroupName: groupName });
      } else {
        const commandId = await stopper.sendStop(groupName, command);
        state.commands.push({ commandId, sentAt: clock.now(), targetInstanceIds: action.targetInstanceIds });
        logger.info('agents told to stop after their current job', {
          autoScalingGroupName: groupName,
          commandId,
          documentName: command.documentName,
          instancesNotYetReached: action.uncoveredInstanceIds,
        });
      }
    }
    return { next: step.next };
  };

  for (;;) {
    // After the runner answered FAILED for a timeout, a late-settling call must not lead to more actions.
    if (request.signal.aborted) throw new Error('the invocation deadline passed');
    let next: NextLook;
    try {
      const looked = await look();
      if ('answer' in looked) return looked.answer;
      next = looked.next;
    } catch (error) {
      // One throttled or briefly failing call must not end a drain that may run for an hour: answering FAILED left
      // an update's replaced group behind outside the stack, at full capacity, with its agents still taking jobs.
      if (!(error instanceof AwsCallError && error.transient)) throw error;
      const after = afterTransientFailure({
        now: clock.now(),
        drainDeadlineAt: state.drainDeadlineAt,
        invocationDeadlineAt: request.invocationDeadlineAt,
        pollIntervalMs: config.pollIntervalMs,
      });
      if (after.kind === 'give-up') throw error;
      logger.warn('AWS call failed for a passing reason; looking again', {
        autoScalingGroupName: groupName,
        error: `${error.name}: ${error.message}`,
        next: after,
      });
      next = after;
    }
    if (next.kind === 'continue') return { status: 'CONTINUE', state };
    await clock.sleep(next.ms, request.signal);
  }
}
