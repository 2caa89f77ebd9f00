import type { CommandInvocation, GroupSnapshot } from './drain-decision';
import type { StopCommand } from './stop-command';

/** The old Auto Scaling group, as the drain needs it. */
export interface AgentGroup {
  describe(groupName: string): Promise<GroupSnapshot>;
  /** MinSize and DesiredCapacity to 0; MaxSize unchanged. */
  zeroCapacity(groupName: string): Promise<void>;
}

/** Tells agents to stop through Systems Manager Run Command. */
export interface AgentStopper {
  /** Sends `command` to every instance tagged with the group's name; resolves to the command id. */
  sendStop(groupName: string, command: StopCommand): Promise<string>;
  /** Per-instance status of the given commands. */
  listInvocations(commandIds: string[]): Promise<CommandInvocation[]>;
}
