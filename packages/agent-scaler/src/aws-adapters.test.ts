import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { awsClientSettings, createAutoScalingAdapter } from './aws-adapters';

describe('Function: awsClientSettings', () => {
  it('uses adaptive retries with 8 attempts when the environment says nothing', () => {
    // Act
    const settings = awsClientSettings({});

    // Assess
    expect(settings).toMatchObject({ retryMode: 'adaptive', maxAttempts: 8 });
    expect(settings.requestHandler).toEqual({ connectionTimeout: 2_000, requestTimeout: 5_000 });
  });

  it('leaves retries to AWS_RETRY_MODE and AWS_MAX_ATTEMPTS when they are set', () => {
    // Act
    const settings = awsClientSettings({ AWS_RETRY_MODE: 'standard', AWS_MAX_ATTEMPTS: '3' });

    // Assess
    expect(settings).not.toHaveProperty('retryMode');
    expect(settings).not.toHaveProperty('maxAttempts');
  });
});

describe('Function: createAutoScalingAdapter', () => {
  const throttled = `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`;
  const described = `<DescribeAutoScalingGroupsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><DescribeAutoScalingGroupsResult><AutoScalingGroups><member><AutoScalingGroupName>agents</AutoScalingGroupName><MinSize>0</MinSize><MaxSize>10</MaxSize><DesiredCapacity>2</DesiredCapacity><Instances><member><InstanceId>i-1</InstanceId><LifecycleState>InService</LifecycleState><ProtectedFromScaleIn>true</ProtectedFromScaleIn></member></Instances></member></AutoScalingGroups></DescribeAutoScalingGroupsResult><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></DescribeAutoScalingGroupsResponse>`;

  it('retries throttling with the adaptive retry strategy until the call succeeds', async () => {
    // Prepare: an endpoint that throttles once, then answers
    let requests = 0;
    const server = createServer((_request, response) => {
      requests += 1;
      response.writeHead(requests === 1 ? 400 : 200, { 'Content-Type': 'text/xml' });
      response.end(requests === 1 ? throttled : described);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const adapter = createAutoScalingAdapter(
      awsClientSettings(
        {},
        {
          endpoint: `http://127.0.0.1:${port}`,
          region: 'us-east-1',
          credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        },
      ),
    );

    try {
      // Act
      const group = await adapter.describeGroup('agents');

      // Assess
      expect(requests).toBe(2);
      expect(group).toEqual({
        name: 'agents',
        desired: 2,
        min: 0,
        max: 10,
        instances: [{ id: 'i-1', lifecycleState: 'InService', protectedFromScaleIn: true }],
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    // The adaptive strategy's backoff is real time.
  }, 15_000);
});

describe('Function: createAutoScalingAdapter (mutating calls bounded by the lease)', () => {
  it('abandons a SetDesiredCapacity that has not ended by mustEndByMs, retries included', async () => {
    // Prepare: an endpoint that never answers; unbounded, the call would take 8 attempts of 5 s each.
    let requests = 0;
    const server = createServer(() => {
      requests += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const adapter = createAutoScalingAdapter(
      awsClientSettings(
        {},
        {
          endpoint: `http://127.0.0.1:${port}`,
          region: 'us-east-1',
          credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        },
      ),
    );

    try {
      // Act
      const call = adapter.setDesiredCapacity('agents', 3, { mustEndByMs: Date.now() + 300 });

      // Assess: the lease's bound ends it, not the SDK's request timeout or retry budget.
      await expect(call).rejects.toMatchObject({ name: 'LeaseEndedDuringCallError' });
      await expect(call).rejects.toThrow(/SetDesiredCapacity on agents had not ended/);
      expect(requests).toBeLessThanOrEqual(1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
