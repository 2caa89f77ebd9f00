import { type AutoScalingClient, SuspendProcessesCommand } from '@aws-sdk/client-auto-scaling';
import { SuspendProcessesError } from './errors';
import { AZ_REBALANCE_PROCESS } from './suspension-plan';

/** The one Auto Scaling call this Lambda makes. */
export interface ProcessSuspender {
  /** @throws SuspendProcessesError when Auto Scaling refuses (unknown group, access denied, ...). */
  suspendAzRebalance(groupName: string): Promise<void>;
}

export function createProcessSuspender(autoScaling: AutoScalingClient): ProcessSuspender {
  return {
    async suspendAzRebalance(groupName) {
      try {
        await autoScaling.send(
          new SuspendProcessesCommand({ AutoScalingGroupName: groupName, ScalingProcesses: [AZ_REBALANCE_PROCESS] }),
        );
      } catch (error) {
        const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        throw new SuspendProcessesError(`SuspendProcesses(${AZ_REBALANCE_PROCESS}) on ${groupName} failed: ${detail}`, {
          cause: error,
        });
      }
    },
  };
}
