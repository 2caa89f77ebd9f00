import { Logger } from '@aws-lambda-powertools/logger';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { createAutoScalingPort } from './auto-scaling-port';
import { loadConfig } from './config';
import { createBrokerHandler } from './handler';

// Cold start: parse the configuration once. A bad configuration does not throw here, where every caller would get
// Lambda's opaque error: each request is answered 500 with the message (it names the variables) instead.
const logger = new Logger({ serviceName: 'instance-broker' });
const config = loadConfig(process.env);
if (!config.ok) logger.error('invalid configuration', { error: config.error.message });
const autoScaling = new AutoScalingClient({
  // Few attempts: the instance retries on its own clock; a long SDK retry would hold its job-start hook.
  maxAttempts: 3,
  ...(config.ok ? { region: config.config.region } : {}),
});
const broker = createBrokerHandler({ config, autoScaling: createAutoScalingPort(autoScaling), logger });

/** Lambda entry point (`lambda.handler`) behind the function URL (`AuthType: AWS_IAM`). */
export async function handler(event: LambdaFunctionURLEvent, context: Context): Promise<LambdaFunctionURLResult> {
  logger.addContext(context);
  return broker(event);
}
