import {
  type Clock,
  createCustomResourceHandler,
  type InvocationContext,
  type Responder,
  type RunnerLogger,
  type SelfInvoker,
  systemClock,
} from '@elastic-ci/custom-resource';
import type { ConfigResult } from './config';
import { drainGroup, parseDrainState } from './drain-loop';
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

/** The custom-resource handler: plan the request (pure), drain when a group goes away; every path answers. */
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
      if (!config.ok) throw config.error;
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
