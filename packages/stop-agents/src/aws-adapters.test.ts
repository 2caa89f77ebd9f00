import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ListCommandInvocationsCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ContinuationError } from '@elastic-ci/custom-resource';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { createLambdaSelfInvoker, createSsmAgentStopper } from './aws-adapters';
import { AwsCallError } from './errors';
import { stopCommandFor } from './stop-command';

// Unit tests for the calls moto cannot serve: ListCommandInvocations (absent from moto 5.2.5) and Lambda Invoke
// (moto runs functions in Docker, which this project does not have). Everything else is tested against moto.

describe('Function: createSsmAgentStopper', () => {
  it('reads every page of ListCommandInvocations for every command', async () => {
    // Prepare
    const ssm = new SSMClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const mock = mockClient(ssm);
    mock
      .on(ListCommandInvocationsCommand, { CommandId: 'c-1' })
      .resolvesOnce({ CommandInvocations: [{ InstanceId: 'i-1', Status: 'Success' }], NextToken: 'page-2' })
      .resolvesOnce({ CommandInvocations: [{ InstanceId: 'i-2', Status: 'Failed' }] });
    mock.on(ListCommandInvocationsCommand, { CommandId: 'c-2' }).resolves({ CommandInvocations: [{}] });

    // Act
    const invocations = await createSsmAgentStopper(ssm).listInvocations(['c-1', 'c-2']);

    // Assess
    expect(invocations).toEqual([
      { commandId: 'c-1', instanceId: 'i-1', status: 'Success' },
      { commandId: 'c-1', instanceId: 'i-2', status: 'Failed' },
      { commandId: 'c-2', instanceId: '', status: 'Unknown' },
    ]);
    expect(mock.commandCalls(ListCommandInvocationsCommand)[1]?.args[0].input).toEqual({
      CommandId: 'c-1',
      MaxResults: 50,
      NextToken: 'page-2',
    });
  });

  it('wraps an SSM failure naming the call', async () => {
    const ssm = new SSMClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    mockClient(ssm).on(SendCommandCommand).rejects(new Error('AccessDeniedException'));

    const sending = createSsmAgentStopper(ssm).sendStop('agents-old', stopCommandFor('linux', 'buildkite-agent'));

    await expect(sending).rejects.toThrow(AwsCallError);
    await expect(sending).rejects.toThrow(/SendCommand\(AWS-RunShellScript, agents-old\) failed: .*AccessDenied/);
  });

  it('refuses a SendCommand answer without a command id', async () => {
    const ssm = new SSMClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    mockClient(ssm).on(SendCommandCommand).resolves({});

    await expect(createSsmAgentStopper(ssm).sendStop('g', stopCommandFor('linux', 'a'))).rejects.toThrow(
      /returned no CommandId/,
    );
  });
});

describe('Function: createLambdaSelfInvoker', () => {
  const arn = 'arn:aws:lambda:us-east-1:123456789012:function:stop-agents';

  function invokerWith(setUp: (mock: AwsClientStub<LambdaClient>) => void) {
    const lambda = new LambdaClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const mock = mockClient(lambda);
    setUp(mock);
    return { invoker: createLambdaSelfInvoker(lambda), mock };
  }

  it('queues an asynchronous invocation of the same function with the payload', async () => {
    const { invoker, mock } = invokerWith((mock) => mock.on(InvokeCommand).resolves({ StatusCode: 202 }));

    await invoker.invokeAsync(arn, '{"RequestType":"Delete"}');

    const input = mock.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(input?.FunctionName).toBe(arn);
    expect(input?.InvocationType).toBe('Event');
    expect(new TextDecoder().decode(input?.Payload as Uint8Array)).toBe('{"RequestType":"Delete"}');
  });

  it('refuses any status but 202', async () => {
    const { invoker } = invokerWith((mock) => mock.on(InvokeCommand).resolves({ StatusCode: 200 }));

    await expect(invoker.invokeAsync(arn, '{}')).rejects.toThrow(/answered 200, expected 202/);
  });

  it('stops a hung Invoke when the runner aborts it', async () => {
    // Prepare: a Lambda endpoint that never answers (a local server: the stub client has no network to abort)
    let requests = 0;
    const server = createServer(() => {
      requests += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const lambda = new LambdaClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
    });
    const abort = new AbortController();

    try {
      // Act
      const invoke = createLambdaSelfInvoker(lambda).invokeAsync(arn, '{}', { signal: abort.signal });
      while (requests === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      abort.abort();

      // Assess
      await expect(invoke).rejects.toThrow(ContinuationError);
      await expect(invoke).rejects.toMatchObject({ cause: { name: 'AbortError' } });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('wraps a throttled invoke as a ContinuationError', async () => {
    const { invoker } = invokerWith((mock) => mock.on(InvokeCommand).rejects(new Error('TooManyRequestsException')));

    await expect(invoker.invokeAsync(arn, '{}')).rejects.toThrow(ContinuationError);
  });
});
