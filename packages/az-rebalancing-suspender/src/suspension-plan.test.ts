import type { CustomResourceRequest } from '@elastic-ci/custom-resource';
import { customResourceEvent } from '@elastic-ci/custom-resource/testing';
import { describe, expect, it } from 'vitest';
import { ResourcePropertiesError } from './errors';
import { planSuspension } from './suspension-plan';

function request(type: CustomResourceRequest['RequestType'], properties: Record<string, unknown>) {
  return customResourceEvent(type, {
    ResponseURL: 'https://example.invalid/answer',
    LogicalResourceId: 'AzRebalancingSuspender',
    PhysicalResourceId: type === 'Create' ? undefined : 'elastic-ci:az-rebalancing-suspended:AzRebalancingSuspender',
    ResourceProperties: properties,
  }) as unknown as CustomResourceRequest;
}

describe('Function: planSuspension', () => {
  it('suspends on Create with an id derived from the logical id', () => {
    expect(planSuspension(request('Create', { AutoScalingGroupName: 'agents-A' }))).toEqual({
      action: 'suspend',
      groupName: 'agents-A',
      physicalResourceId: 'elastic-ci:az-rebalancing-suspended:AzRebalancingSuspender',
    });
  });

  it('suspends on the new group on Update and keeps the physical id', () => {
    const plan = planSuspension(request('Update', { AutoScalingGroupName: 'agents-B' }));

    expect(plan).toEqual({
      action: 'suspend',
      groupName: 'agents-B',
      physicalResourceId: 'elastic-ci:az-rebalancing-suspended:AzRebalancingSuspender',
    });
  });

  it('does nothing on Delete, even without properties', () => {
    const plan = planSuspension(request('Delete', {}));

    expect(plan.action).toBe('none');
    expect(plan.physicalResourceId).toBe('elastic-ci:az-rebalancing-suspended:AzRebalancingSuspender');
  });

  it.each([
    ['missing', {}, /AutoScalingGroupName: is required/],
    ['empty', { AutoScalingGroupName: '' }, /AutoScalingGroupName: must not be empty/],
    ['not a string', { AutoScalingGroupName: ['a'] }, /AutoScalingGroupName: is required/],
    ['too long', { AutoScalingGroupName: 'g'.repeat(256) }, /at most 255/],
  ])('rejects a group name that is %s', (_case, properties, message) => {
    expect(() => planSuspension(request('Create', properties))).toThrow(ResourcePropertiesError);
    expect(() => planSuspension(request('Update', properties))).toThrow(message);
  });
});
