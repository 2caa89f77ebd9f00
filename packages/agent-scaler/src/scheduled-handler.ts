import type { Context } from 'aws-lambda';
import type { ScalerRuntime } from './runtime';

/**
 * The EventBridge-scheduled entry point: polls and scales until shortly before the Lambda's deadline. Pass failures
 * are logged and the loop goes on (the next pass retries), as in Buildkite's scaler, so the invocation itself
 * succeeds and EventBridge does not retry it on top of the next scheduled run.
 */
export function createScheduledHandler(runtime: ScalerRuntime) {
  return async (_event: unknown, context: Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>) => {
    runtime.telemetry.logger.appendKeys({ requestId: context.awsRequestId });
    try {
      return await runtime.pollUntilDeadline(context);
    } finally {
      runtime.telemetry.logger.removeKeys(['requestId']);
    }
  };
}
