import { Logger } from '@aws-lambda-powertools/logger';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { createHttpResponder, type InvocationContext } from '@elastic-ci/custom-resource';
import { loadConfig } from './config';
import { createSuspenderHandler } from './handler';
import { createProcessSuspender } from './process-suspender';

// Cold start: parse the configuration once. A bad configuration does not throw here, where CloudFormation would get
// no answer at all: every request is answered FAILED with the message instead.
const logger = new Logger({ serviceName: 'az-rebalancing-suspender' });
const config = loadConfig(process.env);
const autoScaling = new AutoScalingClient({
  maxAttempts: 5,
  retryMode: 'adaptive',
  ...(config.ok ? { region: config.config.region } : {}),
});
const suspend = createSuspenderHandler({
  config,
  suspender: createProcessSuspender(autoScaling),
  responder: createHttpResponder(),
  logger,
});

/** Lambda entry point (`lambda.handler`). */
export async function handler(event: unknown, context: InvocationContext & { awsRequestId: string }): Promise<void> {
  logger.addContext(context as Parameters<Logger['addContext']>[0]);
  await suspend(event, context);
}
