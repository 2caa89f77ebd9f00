import { Logger } from '@aws-lambda-powertools/logger';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SSMClient } from '@aws-sdk/client-ssm';
import { createHttpResponder, type InvocationContext } from '@elastic-ci/custom-resource';
import { createAutoScalingAgentGroup, createLambdaSelfInvoker, createSsmAgentStopper } from './aws-adapters';
import { loadConfig } from './config';
import { createStopAgentsHandler } from './handler';

// Cold start: parse the configuration once. A bad configuration does not throw here, where CloudFormation would get
// no answer at all: every request is answered FAILED with the message instead.
const logger = new Logger({ serviceName: 'stop-agents' });
const config = loadConfig(process.env);
const clientConfig = { maxAttempts: 5, retryMode: 'adaptive', ...(config.ok ? { region: config.config.region } : {}) };
const drain = createStopAgentsHandler({
  config,
  group: createAutoScalingAgentGroup(new AutoScalingClient(clientConfig)),
  stopper: createSsmAgentStopper(new SSMClient(clientConfig)),
  selfInvoker: createLambdaSelfInvoker(new LambdaClient(clientConfig)),
  responder: createHttpResponder(),
  logger,
});

/** Lambda entry point (`lambda.handler`). */
export async function handler(event: unknown, context: InvocationContext & { awsRequestId: string }): Promise<void> {
  logger.addContext(context as Parameters<Logger['addContext']>[0]);
  await drain(event, context);
}
