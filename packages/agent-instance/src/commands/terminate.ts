import { systemClock } from '../aws/clock.js';
import { awsInstanceControl } from '../protection/instance-control.js';
import { currentBootId, instanceMetadataFor, readBootContract } from '../protection/instance-runtime.js';
import { procRunningJobIds } from '../protection/job-processes.js';
import { isRecordedProcessAlive } from '../protection/process-table.js';
import { spawnCommandRunner } from '../terminate/command-runner.js';
import { journalAgentLog, readLogFile, systemdAgentMainPid, terminateAfterAgentExit } from '../terminate/terminate.js';
import { type Command, UsageError } from './command.js';

const USAGE =
  'terminate [--exit-status STATUS] [--service-result RESULT] [--agent-log FILE] [--wait-for-jobs SECONDS|forever]';

interface TerminateOptions {
  exitStatus: string | undefined;
  serviceResult: string | undefined;
  agentLog: string | undefined;
  waitForJobsMs: number;
}

export function parseTerminateArgs(args: readonly string[], env: NodeJS.ProcessEnv): TerminateOptions {
  const options: TerminateOptions = {
    exitStatus: env.EXIT_STATUS || undefined,
    serviceResult: env.SERVICE_RESULT || undefined,
    agentLog: undefined,
    waitForJobsMs: Number.POSITIVE_INFINITY,
  };
  for (let index = 0; index < args.length; index++) {
    const [flag, inline] = (args[index] as string).split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => {
      const next = inline ?? args[++index];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    if (flag === '--exit-status') options.exitStatus = value();
    else if (flag === '--service-result') options.serviceResult = value();
    else if (flag === '--agent-log') options.agentLog = value();
    else if (flag === '--wait-for-jobs') {
      const text = value();
      if (text === 'forever') options.waitForJobsMs = Number.POSITIVE_INFINITY;
      else if (/^\d{1,7}$/.test(text)) options.waitForJobsMs = Number(text) * 1000;
      else throw new UsageError('--wait-for-jobs must be a number of seconds or "forever"');
    } else throw new UsageError(`unknown option ${/^--[a-z-]{1,30}$/.test(flag) ? flag : '…'}`);
  }
  return options;
}

export const terminateCommand: Command = {
  name: 'terminate',
  usage: USAGE,
  summary:
    "the agent unit's ExecStopPost: leave the group (decrementing desired only after an idle exit, else replaced), never while a job runs",
  async run({ args, root, env, log }) {
    const options = parseTerminateArgs(args, env);
    const contract = await readBootContract(root, log);
    const metadata = instanceMetadataFor(env);
    const outcome = await terminateAfterAgentExit(
      { exitStatus: options.exitStatus, serviceResult: options.serviceResult },
      {
        root,
        clock: systemClock,
        log,
        metadata,
        control: awsInstanceControl({
          env,
          metadata,
          groupName: contract?.stack.autoScalingGroupName,
          region: contract?.stack.region,
          instanceBrokerUrl: contract?.lifecycle.instanceBrokerUrl,
        }),
        runner: spawnCommandRunner,
        isProcessAlive: isRecordedProcessAlive,
        runningJobIds: procRunningJobIds(),
        bootId: await currentBootId(),
        readAgentLog:
          options.agentLog === undefined
            ? journalAgentLog(spawnCommandRunner, env)
            : () => readLogFile(options.agentLog as string),
        agentMainPid: systemdAgentMainPid(spawnCommandRunner),
        terminateOnIdle: contract?.lifecycle.terminateOnIdle ?? true,
        waitForJobsMs: options.waitForJobsMs,
      },
    );
    log.info('terminate', { result: outcome.result });
    return outcome.result === 'refused-busy' ||
      outcome.result === 'poweroff-failed' ||
      outcome.result === 'await-failed'
      ? 1
      : 0;
  },
};
