import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InstanceBrokerError } from '@elastic-ci/instance-broker/client';
import { describe, expect, it } from 'vitest';
import { SteppingClock } from '../protection/test-fakes.js';
import { FakeInstanceBrokerClient } from '../test-support/fake-instance-broker-client.js';
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

describe('Function: createInstanceAws with an instance broker', () => {
  const instanceBrokerUrl = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/';

  /**
   * The port with a fake broker, its SDK clients pointed at a local endpoint that records every request: any Auto
   * Scaling call the SDK made would show there.
   */
  async function withBrokeredAws(
    run: (context: {
      aws: ReturnType<typeof createInstanceAws>;
      broker: FakeInstanceBrokerClient;
      made: Array<{ url: string; region: string }>;
      clock: SteppingClock;
    }) => Promise<void>,
  ): Promise<string[]> {
    const sdkRequests: string[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        sdkRequests.push(new URLSearchParams(body).get('Action') ?? body);
        response.writeHead(500).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const broker = new FakeInstanceBrokerClient('i-0aaaabbbbccccdddd');
    const made: Array<{ url: string; region: string }> = [];
    const clock = new SteppingClock();
    try {
      const aws = createInstanceAws(
        'us-east-1',
        {
          maxAttempts: 3,
          endpoint: `http://127.0.0.1:${port}`,
          credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        },
        {
          instanceBrokerUrl,
          clock,
          brokerClient: (options) => {
            made.push(options);
            return broker;
          },
        },
      );
      await run({ aws, broker, made, clock });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    return sdkRequests;
  }

  it('completes the launch lifecycle action through the broker, naming group, hook and result, never the instance', async () => {
    const sdkRequests = await withBrokeredAws(async ({ aws, broker, made }) => {
      // Act
      const outcome = await aws.completeLifecycleAction({
        instanceId: 'i-0aaaabbbbccccdddd',
        hookName: 'elastic-ci-launch',
        result: 'CONTINUE',
        groupName: 'ci-agents',
      });

      // Assess
      expect(outcome).toBe('completed');
      expect(broker.calls).toEqual([
        {
          action: 'complete-lifecycle-action',
          autoScalingGroupName: 'ci-agents',
          lifecycleHookName: 'elastic-ci-launch',
          lifecycleActionResult: 'CONTINUE',
        },
      ]);
      expect(made).toEqual([{ url: instanceBrokerUrl, region: 'us-east-1' }]);
    });
    expect(sdkRequests).toEqual([]);
  });

  it("keeps no-pending-action's meaning: the broker's answer, or Auto Scaling's own error passed through", async () => {
    const sdkRequests = await withBrokeredAws(async ({ aws, broker }) => {
      // Prepare
      broker.answers.push(
        'no-pending-action',
        new InstanceBrokerError(
          'No active Lifecycle Action found with instance ID i-0aaaabbbbccccdddd',
          502,
          false,
          'ValidationError',
        ),
      );
      const action = {
        instanceId: 'i-0aaaabbbbccccdddd',
        hookName: 'elastic-ci-launch',
        result: 'ABANDON' as const,
        groupName: 'ci-agents',
      };

      // Act / Assess
      await expect(aws.completeLifecycleAction(action)).resolves.toBe('no-pending-action');
      await expect(aws.completeLifecycleAction(action)).resolves.toBe('no-pending-action');
    });
    expect(sdkRequests).toEqual([]);
  });

  it('retries what the broker calls retryable, and gives up at once on what it calls final', async () => {
    const sdkRequests = await withBrokeredAws(async ({ aws, broker, clock }) => {
      // Prepare
      const startedAt = clock.now();
      broker.answers.push(
        new InstanceBrokerError('Auto Scaling throttled the call', 502, true, 'Throttling'),
        new TypeError('fetch failed', {
          cause: Object.assign(new Error('connect ECONNRESET'), { code: 'ECONNRESET' }),
        }),
        'done',
        new InstanceBrokerError('the caller is no instance of this fleet', 403, false),
      );
      const action = {
        instanceId: 'i-0aaaabbbbccccdddd',
        hookName: 'elastic-ci-launch',
        result: 'CONTINUE' as const,
        groupName: 'ci-agents',
      };

      // Act / Assess
      await expect(aws.completeLifecycleAction(action)).resolves.toBe('completed');
      expect(broker.calls).toHaveLength(3);
      expect(clock.now()).toBeGreaterThan(startedAt); // it waited between tries, on the injected clock
      await expect(aws.completeLifecycleAction(action)).rejects.toMatchObject({ status: 403, retryable: false });
      expect(broker.calls).toHaveLength(4);
    });
    expect(sdkRequests).toEqual([]);
  });

  it('marks the instance unhealthy through the broker, with the group it was given', async () => {
    const sdkRequests = await withBrokeredAws(async ({ aws, broker }) => {
      // Act
      await aws.setInstanceUnhealthy('i-0aaaabbbbccccdddd', 'ci-agents');

      // Assess
      expect(broker.calls).toEqual([{ action: 'set-instance-unhealthy', autoScalingGroupName: 'ci-agents' }]);
    });
    expect(sdkRequests).toEqual([]);
  });

  it('looks an unknown group up directly (a read), then writes through the broker', async () => {
    const sdkRequests = await withBrokeredAws(async ({ aws, broker }) => {
      // Act: the local endpoint fails the lookup
      const outcome = aws.setInstanceUnhealthy('i-0aaaabbbbccccdddd');

      // Assess
      await expect(outcome).rejects.toThrow();
      expect(broker.calls).toEqual([]);
    });
    expect(sdkRequests.length).toBeGreaterThan(0);
    expect(new Set(sdkRequests)).toEqual(new Set(['DescribeAutoScalingInstances']));
  });
});
