import {
  type Clock,
  type CustomResourceOutcome,
  type CustomResourceRequest,
  createCustomResourceHandler,
  type InvocationContext,
  type Responder,
  type RunnerLogger,
  type SelfInvoker,
  systemClock,
} from '@elastic-ci/custom-resource';
import type { ConfigResult } from './config';
import { drainGroup, parseDrainState } from './drain-loop';
import { ConfigurationError } from './errors';
import type { AgentGroup, AgentStopper } from './ports';
import { planRequest } from './request-plan';

export interface StopAgentsHandlerDependencies {
  config: ConfigResult;
  group: AgentGroup;
  stopper: AgentStopper;
  selfInvoker: SelfInvoker;
  responder: Responder;
  logger: RunnerLogger;
  clock?: Clock;
}

/**
 * The custom-resource handler: plan the request (pure), drain when a group goes away; every path answers. With an
 * invalid configuration, only what needs one fails (see {@link answerWithoutConfiguration}).
 */
export function createStopAgentsHandler(
  dependencies: StopAgentsHandlerDependencies,
): (event: unknown, context: InvocationContext) => Promise<void> {
  const { config, logger } = dependencies;
  const clock = dependencies.clock ?? systemClock;
  return createCustomResourceHandler({
    responder: dependencies.responder,
    logger,
    clock,
    selfInvoker: dependencies.selfInvoker,
    ...(config.ok ? { answerMarginMs: config.config.answerMarginMs } : {}),
    handle: async ({ request, continuation, deadlineAt, signal }) => {
      if (!config.ok) return answerWithoutConfiguration(request, config.error, dependencies.group, logger);
      const plan = planRequest(request);
      if (plan.kind === 'answer') {
        return { status: 'SUCCESS', physicalResourceId: plan.physicalResourceId, reason: plan.reason };
      }
      return drainGroup(
        { config: config.config, group: dependencies.group, stopper: dependencies.stopper, clock, logger },
        {
          groupName: plan.groupName,
          physicalResourceId: plan.physicalResourceId,
          state: continuation ? parseDrainState(continuation.state) : undefined,
          invocationDeadlineAt: deadlineAt,
          signal,
        },
      );
    },
  });
}

/**
 * What each request can do when the environment is invalid:
 * - Create fails: the resource exists to drain its group later, and a Create that fails costs nothing (its rollback
 *   Delete is answered without work), whereas a guard that cannot drain would only fail at deletion time.
 * - Update succeeds: it only moves the physical id (draining waits for the old id's Delete), and it may be a
 *   rollback, which must not fail or the stack is stuck in UPDATE_ROLLBACK_FAILED.
 * - Delete succeeds when its group is gone or has no instance: nothing to drain, and the stack must stay deletable.
 *   A group with instances cannot be drained without the configuration, and succeeding would let CloudFormation
 *   delete it with busy instances: that fails, naming the variables, with nothing touched.
 */
async function answerWithoutConfiguration(
  request: CustomResourceRequest,
  error: ConfigurationError,
  group: AgentGroup,
  logger: RunnerLogger,
): Promise<CustomResourceOutcome> {
  if (request.RequestType === 'Create') throw error;
  const plan = planRequest(request);
  if (plan.kind === 'answer') {
    logger.warn('the configuration is invalid, but this request needs none', { error: error.message });
    return { status: 'SUCCESS', physicalResourceId: plan.physicalResourceId, reason: plan.reason };
  }
  const snapshot = await group.describe(plan.groupName);
  if (!snapshot.exists || snapshot.instances.length === 0) {
    logger.warn('the configuration is invalid, but there is nothing to drain', {
      autoScalingGroupName: plan.groupName,
      error: error.message,
    });
    return {
      status: 'SUCCESS',
      physicalResourceId: plan.physicalResourceId,
      reason: `${plan.groupName} has no instance to drain (${snapshot.exists ? 'empty' : 'gone'})`,
      data: { Drained: true, RemainingInstances: 0, StopCommandsSent: 0 },
    };
  }
  throw new ConfigurationError(
    `${error.message}. ${plan.groupName} still has ${snapshot.instances.length} instance(s) and was not drained ` +
      'nor touched: fix the variables and retry the delete',
    { cause: error },
  );
}
