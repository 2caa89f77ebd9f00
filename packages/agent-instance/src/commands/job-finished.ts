import { protectionDeps } from '../protection/instance-runtime.js';
import { applyProtectionEvent, describe } from '../protection/protection.js';
import { type Command, UsageError } from './command.js';
import { jobFromEnv } from './job-started.js';

export const jobFinishedCommand: Command = {
  name: 'job-finished',
  usage: 'job-finished   (environment: BUILDKITE_JOB_ID)',
  summary: 'stop counting a job; the last one clears scale-in protection and tags the instance idle-since now',
  async run({ args, root, env, log }) {
    if (args.length > 0) throw new UsageError('job-finished takes no arguments');
    const { jobId } = jobFromEnv(env, false);
    try {
      await applyProtectionEvent({ kind: 'job-finished', jobId }, await protectionDeps({ root, env, log }));
    } catch (error) {
      log.error('could not record the end of the job', { job: jobId, error: describe(error) });
    }
    return 0;
  },
};
