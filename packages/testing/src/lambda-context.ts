import type { Context } from 'aws-lambda';
import type { Clock } from './fake-clock';

export interface LambdaContextOptions {
  functionName?: string;
  /** @default 60_000 */
  timeoutMs?: number;
  /** Drives `getRemainingTimeInMillis`; without one the context uses real time. */
  clock?: Pick<Clock, 'now'>;
  awsRequestId?: string;
  memoryLimitInMB?: number;
}

/** A Lambda `context` like the runtime passes, with a deadline that follows the given clock. */
export function lambdaContext(options: LambdaContextOptions = {}): Context {
  const functionName = options.functionName ?? 'elastic-ci-test-function';
  const timeoutMs = options.timeoutMs ?? 60_000;
  const now = options.clock ? () => options.clock?.now() ?? Date.now() : () => Date.now();
  const deadline = now() + timeoutMs;
  const unsupported = (method: string) => () => {
    throw new Error(`context.${method} is a legacy callback API; handlers must be async`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: String(options.memoryLimitInMB ?? 256),
    awsRequestId: options.awsRequestId ?? 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/01/05/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}
