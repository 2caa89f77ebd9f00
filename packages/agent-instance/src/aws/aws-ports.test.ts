import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createInstanceAws, type InstanceAwsClientSettings, instanceRetrySettings } from './aws-ports';

describe('Function: instanceRetrySettings', () => {
  it('uses adaptive retries with 8 attempts when the environment says nothing', () => {
    expect(instanceRetrySettings({})).toEqual({ retryMode: 'adaptive', maxAttempts: 8 });
  });

  it('leaves retries to AWS_RETRY_MODE and AWS_MAX_ATTEMPTS when they are set', () => {
    expect(instanceRetrySettings({ AWS_RETRY_MODE: 'standard', AWS_MAX_ATTEMPTS: '3' })).toEqual({});
  });
});

/** Runs `run` against a local SSM endpoint served by `listener`, closed afterwards. */
async function withSsmEndpoint(
  listener: RequestListener,
  settings: InstanceAwsClientSettings,
  run: (aws: ReturnType<typeof createInstanceAws>) => Promise<void>,
): Promise<void> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    await run(
      createInstanceAws('us-east-1', {
        ...settings,
        endpoint: `http://127.0.0.1:${port}`,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      }),
    );
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('Function: createInstanceAws', () => {
  /** SSM throttling the first `throttled` GetParameter calls (as during a large scale-out), then answering. */
  const throttlingFirst = (throttled: number) => {
    const calls = { count: 0 };
    const listener: RequestListener = (request, response) => {
      request.resume();
      request.on('end', () => {
        calls.count += 1;
        response.writeHead(calls.count <= throttled ? 400 : 200, { 'Content-Type': 'application/x-amz-json-1.1' });
        response.end(
          calls.count <= throttled
            ? JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' })
            : JSON.stringify({ Parameter: { Name: '/buildkite/agent-token', Type: 'SecureString', Value: 'token' } }),
        );
      });
    };
    return { calls, listener };
  };

  it('reads a parameter through SSM throttling that outlasts the SDK default of 3 attempts', async () => {
    // Prepare
    const ssm = throttlingFirst(3);

    // Act / Assess
    await withSsmEndpoint(ssm.listener, instanceRetrySettings({}), async (aws) => {
      await expect(aws.getParameter('/buildkite/agent-token')).resolves.toBe('token');
    });
    expect(ssm.calls.count).toBe(4);
    // The adaptive strategy's backoff is real time: at most 0.5 + 1 + 2 s here; the bound only catches a hang.
  }, 30_000);

  it("fails that read with the SDK's default of 3 attempts, which is why the instance sets its own", async () => {
    // Prepare
    const ssm = throttlingFirst(3);

    // Act / Assess
    await withSsmEndpoint(ssm.listener, { maxAttempts: 3 }, async (aws) => {
      await expect(aws.getParameter('/buildkite/agent-token')).rejects.toMatchObject({ name: 'ThrottlingException' });
    });
    expect(ssm.calls.count).toBe(3);
  }, 30_000);
});
