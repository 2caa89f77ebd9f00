import type { CustomResourceRequest } from '@elastic-ci/custom-resource';
import { describeIssues } from '@elastic-ci/custom-resource';
import * as z from 'zod/mini';
import { ResourcePropertiesError } from './errors';

const PHYSICAL_ID_PREFIX = 'elastic-ci:stop-agents:';

const propertiesSchema = z.object({
  AutoScalingGroupName: z
    .string({ error: 'is required: the name of the agent Auto Scaling group (!Ref AgentAutoScaleGroup)' })
    .check(z.minLength(1, 'must not be empty'), z.maxLength(255, 'must be at most 255 characters')),
});

export type RequestPlan =
  | { kind: 'answer'; physicalResourceId: string; reason: string }
  | { kind: 'drain'; groupName: string; physicalResourceId: string };

/** The physical id names the group, so replacing the group replaces this resource too. */
export function physicalIdFor(groupName: string): string {
  return `${PHYSICAL_ID_PREFIX}${groupName}`;
}

/**
 * How each request maps onto a drain. The resource's physical id follows the group it guards:
 * - Create: nothing to drain; the id names the new group.
 * - Update to another group (the group was replaced): answer at once with the new group's id. CloudFormation then
 *   sends Delete for the old id in its cleanup phase, after the new group is in service and before it deletes the
 *   old group (this resource depends on it through `!Ref`), which is when draining belongs: a slow drain there
 *   cannot roll the whole update back.
 * - Delete (cleanup after a replacement, or stack deletion): drain the group the id names.
 * @throws ResourcePropertiesError when AutoScalingGroupName is missing or invalid where it is needed.
 */
export function planRequest(request: CustomResourceRequest): RequestPlan {
  if (request.RequestType === 'Delete') {
    const groupName = request.PhysicalResourceId.startsWith(PHYSICAL_ID_PREFIX)
      ? request.PhysicalResourceId.slice(PHYSICAL_ID_PREFIX.length)
      : groupNameOf(request.ResourceProperties);
    return { kind: 'drain', groupName, physicalResourceId: request.PhysicalResourceId };
  }
  const groupName = groupNameOf(request.ResourceProperties);
  if (request.RequestType === 'Create') {
    return { kind: 'answer', physicalResourceId: physicalIdFor(groupName), reason: `guarding ${groupName}` };
  }
  const physicalResourceId = physicalIdFor(groupName);
  return physicalResourceId === request.PhysicalResourceId
    ? { kind: 'answer', physicalResourceId, reason: `still guarding ${groupName}` }
    : {
        kind: 'answer',
        physicalResourceId,
        reason: `now guarding ${groupName}; the replaced group is drained when CloudFormation deletes its resource`,
      };
}

function groupNameOf(properties: Record<string, unknown>): string {
  const parsed = propertiesSchema.safeParse(properties);
  if (!parsed.success) {
    throw new ResourcePropertiesError(`invalid resource properties: ${describeIssues(parsed.error)}`);
  }
  return parsed.data.AutoScalingGroupName;
}
