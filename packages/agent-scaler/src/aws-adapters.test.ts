import { createServer, type RequestListener } from 'node:http';
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
    const throttlingOnce: RequestListener = (_request, response) => {
      requests += 1;
      response.writeHead(requests === 1 ? 400 : 200, { 'Content-Type': 'text/xml' });
      response.end(requests === 1 ? throttled : described);
    };

    await withAutoScalingEndpoint(throttlingOnce, async (adapter) => {
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
    });
    // The adaptive strategy's backoff is real time.
  }, 15_000);
});

describe('Function: createAutoScalingAdapter (mutating calls bounded by the lease)', () => {
  it('abandons a SetDesiredCapacity that has not ended by mustEndByMs, retries included', async () => {
    // Prepare: an endpoint that never answers; unbounded, the call would take 8 attempts of 5 s each.
    let requests = 0;
    const silent: RequestListener = () => {
      requests += 1;
    };

    await withAutoScalingEndpoint(silent, async (adapter) => {
      // Act
      const call = adapter.setDesiredCapacity('agents', 3, { mustEndByMs: Date.now() + 300 });

      // Assess: the lease's bound ends it, not the SDK's request timeout or retry budget.
      await expect(call).rejects.toMatchObject({ name: 'LeaseEndedDuringCallError' });
      await expect(call).rejects.toThrow(/SetDesiredCapacity on agents had not ended/);
      expect(requests).toBeLessThanOrEqual(1);
    });
  });
});

type AutoScalingAdapter = ReturnType<typeof createAutoScalingAdapter>;

/**
 * Runs `run` with an adapter pointed at a local endpoint served by `listener`, closed afterwards. `attempts` is the
 * SDK's attempt budget (the adapter's own default, 8, when not given).
 */
async function withAutoScalingEndpoint(
  listener: RequestListener,
  run: (adapter: AutoScalingAdapter) => Promise<void>,
  attempts?: number,
) {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const adapter = createAutoScalingAdapter(
    awsClientSettings(
      {},
      {
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        ...(attempts === undefined ? {} : { maxAttempts: attempts }),
      },
    ),
  );
  try {
    await run(adapter);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** A listener answering each query-protocol request with `answer(form)`. */
function answering(answer: (form: URLSearchParams) => { status: number; xml: string }): RequestListener {
  return (request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const { status, xml } = answer(new URLSearchParams(body));
      response.writeHead(status, { 'Content-Type': 'text/xml' });
      response.end(xml);
    });
  };
}

describe('Function: createAutoScalingAdapter (answers and limits of the API)', () => {
  it('describes more than 50 instances (the most DescribeAutoScalingInstances takes) in calls of 50 at most', async () => {
    // Prepare: an endpoint that refuses more than 50 ids as AWS does
    const ids = Array.from({ length: 120 }, (_, index) => `i-${String(index).padStart(4, '0')}`);
    const requestSizes: number[] = [];
    const answer = (form: URLSearchParams) => {
      const requested = [...form.entries()].filter(([key]) => key.startsWith('InstanceIds.member.'));
      requestSizes.push(requested.length);
      if (requested.length > 50) {
        return {
          status: 400,
          xml: '<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>1 validation error detected: Value at instanceIds failed to satisfy constraint: Member must have length less than or equal to 50</Message></Error><RequestId>r-1</RequestId></ErrorResponse>',
        };
      }
      const members = requested
        .map(
          ([, id]) =>
            `<member><InstanceId>${id}</InstanceId><AutoScalingGroupName>agents</AutoScalingGroupName><LifecycleState>InService</LifecycleState><ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>`,
        )
        .join('');
      return {
        status: 200,
        xml: `<DescribeAutoScalingInstancesResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><DescribeAutoScalingInstancesResult><AutoScalingInstances>${members}</AutoScalingInstances></DescribeAutoScalingInstancesResult><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></DescribeAutoScalingInstancesResponse>`,
      };
    };

    await withAutoScalingEndpoint(
      answering(answer),
      async (adapter) => {
        // Act
        const instances = await adapter.describeInstances(ids);

        // Assess
        expect(instances.map((instance) => instance.id)).toEqual(ids);
        expect(instances.every((instance) => instance.protectedFromScaleIn === false)).toBe(true);
        expect(Math.max(...requestSizes)).toBeLessThanOrEqual(50);
      },
      1,
    );
  });

  it.each([
    ['DesiredCapacity', '<MinSize>0</MinSize><MaxSize>10</MaxSize>'],
    ['MaxSize', '<MinSize>0</MinSize><DesiredCapacity>5</DesiredCapacity>'],
    ['MinSize', '<MaxSize>10</MaxSize><DesiredCapacity>5</DesiredCapacity>'],
  ])(
    'refuses a group answer without %s instead of reading it as 0 (a max of 0 would scale in to 0)',
    async (_field, sizes) => {
      // Prepare
      const answer = () => ({
        status: 200,
        xml: `<DescribeAutoScalingGroupsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><DescribeAutoScalingGroupsResult><AutoScalingGroups><member><AutoScalingGroupName>agents</AutoScalingGroupName>${sizes}<Instances></Instances></member></AutoScalingGroups></DescribeAutoScalingGroupsResult><ResponseMetadata><RequestId>r-3</RequestId></ResponseMetadata></DescribeAutoScalingGroupsResponse>`,
      });

      await withAutoScalingEndpoint(
        answering(answer),
        async (adapter) => {
          // Act / Assess
          await expect(adapter.describeGroup('agents')).rejects.toThrow(
            /without its desired capacity, min and max size/,
          );
        },
        1,
      );
    },
  );
});
