import type { AgentPlatform } from './config';

export interface StopCommand {
  documentName: 'AWS-RunShellScript' | 'AWS-RunPowerShellScript';
  commands: string[];
}

/**
 * The command that asks an agent to stop gracefully: the agent stops taking jobs, lets the running job finish and
 * exits; the instance then terminates itself (ExecStopPost) and the termination lifecycle hook + lifecycled see
 * to it that nothing is cut short. `--no-block` / `-NoWait` queue the stop and return at once, so the SSM command
 * reports delivery rather than running (and timing out) for as long as the job does.
 * `serviceName` is validated by the configuration schema to contain no shell metacharacters.
 */
export function stopCommandFor(platform: AgentPlatform, serviceName: string): StopCommand {
  if (platform === 'windows') {
    return {
      documentName: 'AWS-RunPowerShellScript',
      commands: [`Stop-Service -Name '${serviceName}' -NoWait`],
    };
  }
  return { documentName: 'AWS-RunShellScript', commands: [`systemctl stop --no-block '${serviceName}'`] };
}
