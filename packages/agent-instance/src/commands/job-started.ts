import { isValidJobId } from '../protection/busy-jobs.js';
import { protectionDeps } from '../protection/instance-runtime.js';
import { applyProtectionEvent, describe } from '../protection/protection.js';
import { type Command, UsageError } from './command.js';

/**
 * Job id, agent pid and agent id from the job environment the agent hands its hooks. The agent id is optional (a
 * malformed one is ignored): with spawn > 1 it is what tells the agents of one process apart.
 */
export function jobFromEnv(
  env: NodeJS.ProcessEnv,
  needPid: boolean,
): { jobId: string; agentPid: number; agentId?: string } {
  const jobId = env.BUILDKITE_JOB_ID ?? '';
  if (!isValidJobId(jobId)) throw new UsageError('BUILDKITE_JOB_ID must be set to the job id (run me from a job hook)');
  const agentPid = Number(env.BUILDKITE_AGENT_PID);
  if (needPid && !(Number.isInteger(agentPid) && agentPid > 0)) {
    throw new UsageError('BUILDKITE_AGENT_PID must be the agent process id (run me from a job hook)');
  }
  const agentId = env.BUILDKITE_AGENT_ID ?? '';
  return isValidJobId(agentId) ? { jobId, agentPid, agentId } : { jobId, agentPid };
}

export const jobStartedCommand: Command = {
  name: 'job-started',
  usage: 'job-started   (environment: BUILDKITE_JOB_ID, BUILDKITE_AGENT_PID)',
  summary: 'count a running job; the first one protects the instance from scale-in and clears its idle-since tag',
  async run({ args, root, env, log }) {
    if (args.length > 0) throw new UsageError('job-started takes no arguments');
    const job = jobFromEnv(env, true);
    try {
      await applyProtectionEvent({ kind: 'job-started', ...job }, await protectionDeps({ root, env, log }));
    } catch (error) {
      // Never fail a job over its bookkeeping: the reconcile timer repairs the count and the protection.
      log.error('could not record the job', { job: job.jobId, error: describe(error) });
    }
    return 0;
  },
};
