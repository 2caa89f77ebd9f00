import type { CustomResourceRequest } from '@elastic-ci/custom-resource';
import { describeIssues } from '@elastic-ci/custom-resource';
import * as z from 'zod/mini';
import { ResourcePropertiesError } from './errors';

/** The process that moves instances between zones by terminating them, busy or not. */
export const AZ_REBALANCE_PROCESS = 'AZRebalance';

const propertiesSchema = z.object({
  AutoScalingGroupName: z
    .string({ error: 'is required: the name of the agent Auto Scaling group (!Ref AgentAutoScaleGroup)' })
    .check(z.minLength(1, 'must not be empty'), z.maxLength(255, 'must be at most 255 characters')),
});

export type SuspensionPlan =
  | { action: 'suspend'; groupName: string; physicalResourceId: string }
  | { action: 'none'; physicalResourceId: string; reason: string };

/**
 * Create and Update suspend AZRebalance on the named group (an Update after the group was replaced re-applies it to
 * the new group); Delete does nothing, because the group is being deleted with the stack or has been replaced.
 * The physical id never changes, so CloudFormation never sends a replacement Delete.
 * @throws ResourcePropertiesError when AutoScalingGroupName is missing or invalid on Create/Update.
 */
export function planSuspension(request: CustomResourceRequest): SuspensionPlan {
  if (request.RequestType === 'Delete') {
    return {
      action: 'none',
      physicalResourceId: request.PhysicalResourceId,
      reason: 'nothing to undo: the group goes away with the stack',
    };
  }
  const properties = propertiesSchema.safeParse(request.ResourceProperties);
  if (!properties.success) {
    throw new ResourcePropertiesError(`invalid resource properties: ${describeIssues(properties.error)}`);
  }
  const physicalResourceId =
    request.RequestType === 'Update'
      ? request.PhysicalResourceId
      : `elastic-ci:az-rebalancing-suspended:${request.LogicalResourceId}`;
  return { action: 'suspend', groupName: properties.data.AutoScalingGroupName, physicalResourceId };
}
