import { describe, expect, it } from 'vitest';
import { withTerminatingGroupInstances, withTerminatingInstances } from './moto-gap-proxy';

const draining = { instanceId: 'i-drain', groupName: 'g-old', availabilityZone: 'us-east-1a' };

describe('Terminating:Wait in moto answers', () => {
  it("adds a draining instance to its own group's Instances, present or empty, and to no other group", () => {
    const xml =
      '<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult><AutoScalingGroups>' +
      '<member><AutoScalingGroupName>g-new</AutoScalingGroupName><Instances><member><InstanceId>i-1</InstanceId></member></Instances></member>' +
      '<member><AutoScalingGroupName>g-old</AutoScalingGroupName><MinSize>0</MinSize><Instances/></member>' +
      '</AutoScalingGroups></DescribeAutoScalingGroupsResult></DescribeAutoScalingGroupsResponse>';
    const rewritten = withTerminatingGroupInstances(xml, [draining]);
    const [newGroup, oldGroup] = rewritten.split('<AutoScalingGroupName>').slice(1) as [string, string];
    expect(newGroup).not.toContain('i-drain');
    expect(oldGroup).toContain(
      '<Instances><member><InstanceId>i-drain</InstanceId><AvailabilityZone>us-east-1a</AvailabilityZone>' +
        '<LifecycleState>Terminating:Wait</LifecycleState>',
    );
    expect(withTerminatingGroupInstances(xml, [])).toBe(xml);
  });

  it('adds the instance where the group has no Instances element at all', () => {
    const xml =
      '<AutoScalingGroups><member><AutoScalingGroupName>g-old</AutoScalingGroupName></member></AutoScalingGroups>';
    expect(withTerminatingGroupInstances(xml, [draining])).toContain(
      '</AutoScalingGroupName><Instances><member><InstanceId>i-drain</InstanceId>',
    );
  });

  it('lists the draining instance with its group in DescribeAutoScalingInstances', () => {
    const xml =
      '<DescribeAutoScalingInstancesResponse><DescribeAutoScalingInstancesResult><AutoScalingInstances/>' +
      '</DescribeAutoScalingInstancesResult></DescribeAutoScalingInstancesResponse>';
    expect(withTerminatingInstances(xml, [draining])).toContain(
      '<AutoScalingInstances><member><InstanceId>i-drain</InstanceId><AutoScalingGroupName>g-old</AutoScalingGroupName>',
    );
  });
});
