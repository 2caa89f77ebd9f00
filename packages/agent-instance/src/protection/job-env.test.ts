import { describe, expect, it } from 'vitest';
import { UsageError } from '../commands/command.js';
import { jobFromEnv } from '../commands/job-started.js';

describe('jobFromEnv', () => {
  it('reads the job id and the agent pid the agent hands its hooks', () => {
    expect(
      jobFromEnv({ BUILDKITE_JOB_ID: '0190b6b0-1111-2222-3333-444455556666', BUILDKITE_AGENT_PID: '4242' }, true),
    ).toEqual({ jobId: '0190b6b0-1111-2222-3333-444455556666', agentPid: 4242 });
  });

  it('reads the agent id, which tells the agents of one process apart (spawn > 1)', () => {
    expect(
      jobFromEnv(
        {
          BUILDKITE_JOB_ID: 'job-a',
          BUILDKITE_AGENT_PID: '4242',
          BUILDKITE_AGENT_ID: '0190b6b0-aaaa-bbbb-cccc-ddddeeeeffff',
        },
        true,
      ),
    ).toEqual({ jobId: 'job-a', agentPid: 4242, agentId: '0190b6b0-aaaa-bbbb-cccc-ddddeeeeffff' });
    expect(
      jobFromEnv({ BUILDKITE_JOB_ID: 'job-a', BUILDKITE_AGENT_PID: '1', BUILDKITE_AGENT_ID: 'x y\n' }, true),
    ).toEqual({
      jobId: 'job-a',
      agentPid: 1,
    });
  });

  it.each([
    [{}, /BUILDKITE_JOB_ID/],
    [{ BUILDKITE_JOB_ID: '../../etc/passwd', BUILDKITE_AGENT_PID: '1' }, /BUILDKITE_JOB_ID/],
    [{ BUILDKITE_JOB_ID: 'job-a' }, /BUILDKITE_AGENT_PID/],
    [{ BUILDKITE_JOB_ID: 'job-a', BUILDKITE_AGENT_PID: '-3' }, /BUILDKITE_AGENT_PID/],
  ])('refuses %j without echoing it', (env, message) => {
    expect(() => jobFromEnv(env, true)).toThrow(UsageError);
    expect(() => jobFromEnv(env, true)).toThrow(message);
    expect(() => jobFromEnv(env, true)).not.toThrow(/passwd/);
  });

  it('needs no agent pid to finish a job', () => {
    expect(jobFromEnv({ BUILDKITE_JOB_ID: 'job-a' }, false).jobId).toBe('job-a');
  });
});
