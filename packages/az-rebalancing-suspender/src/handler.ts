import {
  type Clock,
  createCustomResourceHandler,
  type InvocationContext,
  type Responder,
  type RunnerLogger,
} from '@elastic-ci/custom-resource';
import type { ConfigResult } from './config';
import type { ProcessSuspender } from './process-suspender';
import { planSuspension } from './suspension-plan';

export interface SuspenderHandlerDependencies {
  config: ConfigResult;
  suspender: ProcessSuspender;
  responder: Responder;
  logger: RunnerLogger;
  clock?: Clock;
}

/**
 * The custom-resource handler: plan (pure), then at most one SuspendProcesses call; every path answers. An invalid
 * configuration fails Create and Update, never Delete (which needs none).
 */
export function createSuspenderHandler(
  dependencies: SuspenderHandlerDependencies,
): (event: unknown, context: InvocationContext) => Promise<void> {
  const { config, suspender, logger } = dependencies;
  return createCustomResourceHandler({
    responder: dependencies.responder,
    logger,
    ...(dependencies.clock ? { clock: dependencies.clock } : {}),
    ...(config.ok ? { answerMarginMs: config.config.answerMarginMs } : {}),
    handle: async ({ request }) => {
      // A Delete needs no configuration: answering it FAILED for a broken environment would leave a stack that can
      // never be deleted (nor rolled back past this resource).
      if (request.RequestType !== 'Delete' && !config.ok) throw config.error;
      const plan = planSuspension(request);
      if (plan.action === 'none') {
        logger.info('no Auto Scaling call needed', {
          reason: plan.reason,
          ...(config.ok ? {} : { ignoredConfigurationError: config.error.message }),
        });
        return { status: 'SUCCESS', physicalResourceId: plan.physicalResourceId, reason: plan.reason };
      }
      if (!config.ok) throw config.error;
      await suspender.suspendAzRebalance(plan.groupName);
      logger.info('AZRebalance suspended', { autoScalingGroupName: plan.groupName });
      return {
        status: 'SUCCESS',
        physicalResourceId: plan.physicalResourceId,
        reason: `AZRebalance suspended on ${plan.groupName}`,
        data: { AutoScalingGroupName: plan.groupName },
      };
    },
  });
}
