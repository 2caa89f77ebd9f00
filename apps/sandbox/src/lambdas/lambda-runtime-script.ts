/**
 * The program each sandbox Lambda "container" runs (written next to the logs and started with `fork`): it loads the
 * bundle once (Lambda's init phase), then runs one invocation at a time on IPC messages, with a context whose
 * remaining time follows the function's timeout. The `nodejs22.x` runtime provides the AWS SDK v3 the scaler bundles
 * leave out; here a resolve hook takes `@aws-sdk/*` and `@smithy/*` from the sandbox package's own dependencies.
 * Kept as text so the same file works from `src/` (vitest) and from the tsup bundle.
 */
export const LAMBDA_RUNTIME_SCRIPT = String.raw`
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

const hook = [
  'let sdkParent;',
  'export async function initialize(data) { sdkParent = data.sdkParent; }',
  'export async function resolve(specifier, context, next) {',
  "  if (specifier.startsWith('@aws-sdk/') || specifier.startsWith('@smithy/')) {",
  '    return next(specifier, { ...context, parentURL: sdkParent });',
  '  }',
  '  return next(specifier, context);',
  '}',
].join('\n');
register('data:text/javascript,' + encodeURIComponent(hook), import.meta.url, {
  data: { sdkParent: process.env.SANDBOX_LAMBDA_SDK_PARENT_URL },
});

const [bundlePath, exportName] = [process.env.SANDBOX_LAMBDA_BUNDLE, process.env.SANDBOX_LAMBDA_EXPORT];
delete process.env.SANDBOX_LAMBDA_BUNDLE;
delete process.env.SANDBOX_LAMBDA_EXPORT;
delete process.env.SANDBOX_LAMBDA_SDK_PARENT_URL;
const timeoutMs = Number(process.env.SANDBOX_LAMBDA_TIMEOUT_MS);
delete process.env.SANDBOX_LAMBDA_TIMEOUT_MS;

let handler;
try {
  const module = await import(pathToFileURL(bundlePath).href);
  handler = module[exportName];
  if (typeof handler !== 'function') throw new Error('the bundle exports no function ' + exportName);
  process.send({ type: 'ready' });
} catch (error) {
  process.send({ type: 'init-error', error: { name: error?.name ?? 'Error', message: String(error?.message ?? error) } });
  process.exit(1);
}

process.on('message', async (message) => {
  if (message?.type !== 'invoke') return;
  const deadline = Date.now() + timeoutMs;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: '$LATEST',
    invokedFunctionArn: message.functionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: message.requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() { throw new Error('legacy callback API'); },
    fail() { throw new Error('legacy callback API'); },
    succeed() { throw new Error('legacy callback API'); },
  };
  console.log('START RequestId: ' + message.requestId + ' Version: $LATEST');
  try {
    const result = await handler(message.event, context);
    process.send({ type: 'result', requestId: message.requestId, result: result === undefined ? null : result });
  } catch (error) {
    process.send({
      type: 'error',
      requestId: message.requestId,
      error: { name: error?.name ?? 'Error', message: String(error?.message ?? error) },
    });
  }
  console.log('END RequestId: ' + message.requestId);
});
`;
