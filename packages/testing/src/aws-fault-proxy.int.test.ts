import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { awsClientConfig } from './aws-client-config';
import { type AwsFaultProxy, startAwsFaultProxy } from './aws-fault-proxy';
import { FakeClock } from './fake-clock';
import { createMotoAutoScalingGroup } from './moto-auto-scaling-group';

// Real SDK v3 clients through the proxy to moto: an injected fault must reach the SDK as the error its retry logic
// treats as retryable (a wrong error shape would surface as a non-retryable unknown error after one attempt).
describe('AWS fault proxy in front of moto', () => {
  const clock = new FakeClock(Date.parse('2026-12-07T03:00:00Z'));
  let proxy: AwsFaultProxy;
  const viaProxy = (maxAttempts: number) => ({ ...awsClientConfig(), endpoint: proxy.endpoint, maxAttempts });

  beforeAll(async () => {
    proxy = await startAwsFaultProxy({ target: inject('moto').endpoint, now: () => clock.now() });
  });
  afterAll(async () => {
    await proxy.stop();
  });
  beforeEach(() => {
    proxy.clear();
    proxy.resetCalls();
  });

  it('forwards unfaulted calls and records service and action of each protocol', async () => {
    const ssm = new SSMClient(viaProxy(1));
    const autoScaling = new AutoScalingClient(viaProxy(1));

    await ssm.send(new PutParameterCommand({ Name: '/fault-proxy/forward', Value: 'v', Type: 'String' }));
    const got = await ssm.send(new GetParameterCommand({ Name: '/fault-proxy/forward' }));
    const groups = await autoScaling.send(new DescribeAutoScalingGroupsCommand({}));

    expect(got.Parameter?.Value).toBe('v');
    expect(groups.AutoScalingGroups).toEqual([]);
    expect(proxy.calls({ service: 'ssm' }).map((call) => [call.action, call.protocol, call.status])).toEqual([
      ['PutParameter', 'json', 200],
      ['GetParameter', 'json', 200],
    ]);
    expect(proxy.calls({ service: 'autoscaling' }).map((call) => [call.action, call.protocol, call.fault])).toEqual([
      ['DescribeAutoScalingGroups', 'query', undefined],
    ]);
  });

  it('throttles an AutoScaling (query protocol) call as Throttling, which the SDK retries', async () => {
    const groupName = await createMotoAutoScalingGroup({ name: 'fault-proxy-query' });
    const handle = proxy.inject({
      match: { service: 'autoscaling', action: 'SetDesiredCapacity' },
      fault: { kind: 'throttle' },
      calls: 1,
    });

    const output = await new AutoScalingClient(viaProxy(3)).send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: groupName, DesiredCapacity: 1 }),
    );

    expect(output.$metadata.attempts).toBe(2);
    expect(handle.answered).toBe(1);
    expect(handle.active).toBe(false);
    expect(proxy.calls({ action: 'SetDesiredCapacity' }).map((call) => [call.fault, call.status])).toEqual([
      ['throttle', 400],
      [undefined, 200],
    ]);
  });

  it('surfaces the protocol error code after the SDK used all its attempts', async () => {
    proxy.inject({ match: { service: 'autoscaling' }, fault: { kind: 'throttle' } });
    proxy.inject({ match: { service: 'ssm' }, fault: { kind: 'throttle' } });
    proxy.inject({ match: { service: 'monitoring' }, fault: { kind: 'throttle' } });
    proxy.inject({ match: { service: 'ec2' }, fault: { kind: 'throttle' } });

    const errors = await Promise.all([
      new AutoScalingClient(viaProxy(2)).send(new DescribeAutoScalingGroupsCommand({})).catch((error) => error),
      new SSMClient(viaProxy(2)).send(new GetParameterCommand({ Name: '/x' })).catch((error) => error),
      new CloudWatchClient(viaProxy(2)).send(new ListMetricsCommand({})).catch((error) => error),
      new EC2Client(viaProxy(2)).send(new DescribeInstancesCommand({})).catch((error) => error),
    ]);

    expect(errors.map((error) => [error.name, error.$metadata?.attempts])).toEqual([
      ['Throttling', 2],
      ['ThrottlingException', 2],
      ['ThrottlingException', 2],
      ['RequestLimitExceeded', 2],
    ]);
    expect(new Set(proxy.calls().map((call) => `${call.service}:${call.protocol}:${call.status}`))).toEqual(
      new Set(['autoscaling:query:400', 'ssm:json:400', 'monitoring:json:400', 'ec2:ec2-query:503']),
    );
  });

  it('answers a JSON-protocol (SSM) call with 5xx bursts the SDK retries through', async () => {
    await new SSMClient(awsClientConfig()).send(
      new PutParameterCommand({ Name: '/fault-proxy/burst', Value: 'after-burst', Type: 'String' }),
    );
    proxy.inject({ match: { service: 'ssm' }, fault: { kind: 'server-error', status: 500 }, calls: 1 });
    proxy.inject({ match: { service: 'ssm' }, fault: { kind: 'server-error' }, calls: 1 });

    const got = await new SSMClient(viaProxy(3)).send(new GetParameterCommand({ Name: '/fault-proxy/burst' }));

    expect(got.Parameter?.Value).toBe('after-burst');
    expect(got.$metadata.attempts).toBe(3);
    expect(proxy.calls({ service: 'ssm' }).map((call) => call.status)).toEqual([500, 503, 200]);
  });

  it('drops the connection, and the SDK retries the call', async () => {
    proxy.inject({ match: { service: 's3' }, fault: { kind: 'connection-reset' }, calls: 1 });

    const output = await new S3Client(viaProxy(3)).send(new CreateBucketCommand({ Bucket: 'fault-proxy-reset' }));

    expect(output.$metadata.attempts).toBe(2);
    expect(proxy.calls({ service: 's3' }).map((call) => call.fault)).toEqual(['connection-reset', undefined]);
  });

  it('answers slowly: the call still succeeds, no earlier than the delay', async () => {
    proxy.inject({ match: { action: 'DescribeAutoScalingGroups' }, fault: { kind: 'slow', delayMs: 300 }, calls: 1 });
    const startedAt = performance.now();

    const output = await new AutoScalingClient(viaProxy(1)).send(new DescribeAutoScalingGroupsCommand({}));

    expect(output.$metadata.httpStatusCode).toBe(200);
    // A lower bound only: the proxy cannot answer before its delay, however loaded the machine is.
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(290);
    expect(proxy.calls({ action: 'DescribeAutoScalingGroups' })[0]).toMatchObject({ fault: 'slow', status: 200 });
  });

  it('keeps a duration rule active until its clock passes the duration', async () => {
    const handle = proxy.inject({ match: { service: 'ssm' }, fault: { kind: 'throttle' }, durationMs: 60_000 });
    const ssm = new SSMClient(viaProxy(1));

    const during = await ssm.send(new GetParameterCommand({ Name: '/missing' })).catch((error) => error);
    await clock.advance(60_000);
    const after = await ssm.send(new GetParameterCommand({ Name: '/missing' })).catch((error) => error);

    expect(during.name).toBe('ThrottlingException');
    expect(after.name).toBe('ParameterNotFound');
    expect(handle.active).toBe(false);
    expect(handle.answered).toBe(1);
  });
});
