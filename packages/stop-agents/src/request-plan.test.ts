import type { CustomResourceRequest } from '@elastic-ci/custom-resource';
import { customResourceEvent } from '@elastic-ci/custom-resource/testing';
import { describe, expect, it } from 'vitest';
import { ResourcePropertiesError } from './errors';
import { physicalIdFor, planRequest } from './request-plan';

function request(
  type: CustomResourceRequest['RequestType'],
  fields: { group?: unknown; physicalId?: string } = {},
): CustomResourceRequest {
  return customResourceEvent(type, {
    ResponseURL: 'https://example.invalid/answer',
    ResourceProperties: fields.group === undefined ? {} : { AutoScalingGroupName: fields.group },
    ...(fields.physicalId ? { PhysicalResourceId: fields.physicalId } : {}),
  }) as unknown as CustomResourceRequest;
}

describe('Function: planRequest', () => {
  it('answers Create with an id naming the group', () => {
    expect(planRequest(request('Create', { group: 'agents-A' }))).toEqual({
      kind: 'answer',
      physicalResourceId: 'elastic-ci:stop-agents:agents-A',
      reason: 'guarding agents-A',
    });
  });

  it('answers an Update to a replacement group with the new id, leaving the drain to the cleanup Delete', () => {
    const plan = planRequest(request('Update', { group: 'agents-B', physicalId: physicalIdFor('agents-A') }));

    expect(plan).toMatchObject({ kind: 'answer', physicalResourceId: 'elastic-ci:stop-agents:agents-B' });
    expect(plan.kind === 'answer' && plan.reason).toMatch(/drained when CloudFormation deletes/);
  });

  it('keeps the id on an Update that does not replace the group', () => {
    const plan = planRequest(request('Update', { group: 'agents-A', physicalId: physicalIdFor('agents-A') }));

    expect(plan).toMatchObject({ kind: 'answer', physicalResourceId: physicalIdFor('agents-A') });
  });

  it('drains the group named by the physical id on Delete', () => {
    const plan = planRequest(request('Delete', { group: 'agents-B', physicalId: physicalIdFor('agents-A') }));

    expect(plan).toEqual({ kind: 'drain', groupName: 'agents-A', physicalResourceId: physicalIdFor('agents-A') });
  });

  it('falls back to the properties on Delete when the id is not one of ours', () => {
    const plan = planRequest(request('Delete', { group: 'agents-C', physicalId: 'legacy-id' }));

    expect(plan).toEqual({ kind: 'drain', groupName: 'agents-C', physicalResourceId: 'legacy-id' });
  });

  it.each([
    ['Create', {}],
    ['Update', { group: 5, physicalId: 'x' }],
    ['Delete', { group: '', physicalId: 'legacy-id' }],
  ] as const)('rejects %s without a usable AutoScalingGroupName', (type, fields) => {
    expect(() => planRequest(request(type, fields))).toThrow(ResourcePropertiesError);
    expect(() => planRequest(request(type, fields))).toThrow(/AutoScalingGroupName/);
  });
});
