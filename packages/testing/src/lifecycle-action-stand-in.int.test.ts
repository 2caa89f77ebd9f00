import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  RecordLifecycleActionHeartbeatCommand,
} from '@aws-sdk/client-auto-scaling';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { awsClientConfig } from './aws-client-config';
import { type LifecycleActionStandIn, startLifecycleActionStandIn } from './lifecycle-action-stand-in';
import { createMotoAutoScalingGroup } from './moto-auto-scaling-group';

// The real SDK client through the stand-in: the two calls moto lacks are answered in shapes the SDK parses (a
// ValidationError the callers recognise by name and message), everything else still reaches moto.
describe('lifecycle-action stand-in in front of moto', () => {
  let standIn: LifecycleActionStandIn | undefined;
  afterEach(async () => {
    await standIn?.close();
  });
  const client = () => {
    if (standIn === undefined) throw new Error('start the stand-in first');
    return new AutoScalingClient({ ...awsClientConfig(), endpoint: standIn.endpoint, maxAttempts: 1 });
  };
  const action = {
    AutoScalingGroupName: 'stand-in-group',
    LifecycleHookName: 'drain',
    InstanceId: 'i-0123456789abcdef0',
  };

  it('answers and records both calls, passes everything else to moto', async () => {
    standIn = await startLifecycleActionStandIn(inject('moto').endpoint);
    await createMotoAutoScalingGroup({ name: 'stand-in-group', minSize: 0, maxSize: 1, desiredCapacity: 0 });

    await client().send(new RecordLifecycleActionHeartbeatCommand(action));
    await client().send(new CompleteLifecycleActionCommand({ ...action, LifecycleActionResult: 'CONTINUE' }));
    const groups = await client().send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['stand-in-group'] }),
    );

    expect(
      standIn.calls.map((call) => [call.action, call.params.InstanceId, call.params.LifecycleActionResult]),
    ).toEqual([
      ['RecordLifecycleActionHeartbeat', 'i-0123456789abcdef0', undefined],
      ['CompleteLifecycleAction', 'i-0123456789abcdef0', 'CONTINUE'],
    ]);
    expect(groups.AutoScalingGroups?.map((group) => group.AutoScalingGroupName)).toEqual(['stand-in-group']);
  });

  it("answers Auto Scaling's ValidationError where the answer says nothing is pending", async () => {
    standIn = await startLifecycleActionStandIn(inject('moto').endpoint, {
      calls: ['CompleteLifecycleAction'],
      answer: (call) => (call.params.InstanceId === action.InstanceId ? 'no-pending-action' : 'done'),
    });

    const failure = await client()
      .send(new CompleteLifecycleActionCommand({ ...action, LifecycleActionResult: 'CONTINUE' }))
      .then(
        () => undefined,
        (error: unknown) => error as { name?: string; message?: string },
      );

    expect(failure?.name).toBe('ValidationError');
    expect(failure?.message).toMatch(/No active Lifecycle Action found with instance ID i-0123456789abcdef0/);
    expect(standIn.calls).toHaveLength(1);
  });
});
