// A signed job.scheduled webhook scales out through the real webhook bundle; then a stack update replaces the group
// while its agent is busy: stop-agents gets Update then the cleanup Delete, drains the old group without
// interrupting the job, and only then is the old group deleted.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { awsClientConfig } from '@elastic-ci/testing';
import { signBuildkiteWebhook } from '@elastic-ci/testing/webhook-signing';
import { afterAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../sandbox';
import { until } from '../test-support/until';

let sandbox: Sandbox | undefined;
afterAll(async () => {
  await sandbox?.stop();
});

describe('sandbox webhook and stack update', () => {
  it('scales out on a signed webhook and drains the replaced group with a busy agent without interrupting it', async () => {
    const config = awsClientConfig();
    sandbox = await startSandbox({
      timeScale: 10,
      logDir: await mkdtemp(join(tmpdir(), 'sandbox-update-')),
      aws: { endpoint: config.endpoint, region: config.region, credentials: config.credentials },
      // Only the webhook scales: the schedule is off, so the scale-out proves the webhook path.
      schedule: false,
      agentToken: 'canary-agent-token-update-test',
      maxConcurrentHosts: 2,
      world: {
        stackName: 'update',
        bootDelaySec: 20,
        config: { buildkite: { queue: 'update', idleTimeoutSec: 600 }, scaling: { maxSize: 2 } },
      },
    });
    const running = sandbox;
    const oldGroup = running.groupName;

    running.standIn.addJob({ id: 'busy-job', queue: 'update', durationSec: 150 });
    const body = JSON.stringify({
      event: 'job.scheduled',
      job: { id: 'busy-job', agent_query_rules: ['queue=update'] },
    });
    const headers = signBuildkiteWebhook({
      body,
      secret: running.webhookSecret,
      timestamp: Math.floor(Date.now() / 1000),
    });
    const answer = await running.deliverWebhook(headers, body);
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ desired: 1 });

    // A forged signature is refused by the same bundle.
    const forged = await running.deliverWebhook(
      { ...headers, 'X-Buildkite-Signature': 'timestamp=1,signature=00' },
      body,
    );
    expect(forged.statusCode).toBe(401);

    await until('the job to run on the old group', () =>
      running.standIn.jobs().find((job) => job.id === 'busy-job' && job.state === 'running'),
    );
    // Busy as the group sees it: the agent unit's reconcile has run and the job's environment hook (job-started) has
    // set scale-in protection after it. (New instances start protected; until the reconcile and the hook have run,
    // what protection says is not yet the job's.)
    const host = await until('the host of the job', () => running.hosts().find((candidate) => candidate.bootedAt));
    const log = (name: string) => readFile(join(host.root, 'var', 'log', name), 'utf8').catch(() => '');
    await until('the reconcile and the job-started hook', async () =>
      (await log('reconcile.log')).includes('event=reconcile') &&
      /event=job-started runningJobs=1 protectedFromScaleIn=true idleSince=null applied=true/.test(
        await log('buildkite-agent.log'),
      )
        ? true
        : undefined,
    );
    const autoScaling = new AutoScalingClient(config);

    const update = await running.simulateStackUpdate();
    expect(update.oldGroupName).toBe(oldGroup);
    expect(update.newGroupName).not.toBe(oldGroup);
    expect(running.groupName).toBe(update.newGroupName);
    expect(update.steps.map((step) => [step.requestType, step.resourceType, step.answer.status])).toEqual([
      ['Update', 'Custom::AzRebalancingSuspender', 'SUCCESS'],
      ['Update', 'Custom::StopAgents', 'SUCCESS'],
      ['Delete', 'Custom::StopAgents', 'SUCCESS'],
    ]);
    expect(update.steps[2]?.groupName).toBe(oldGroup);
    expect(update.oldGroupDeleted).toBe(true);

    // The drain answered only after the busy job ended, with its own exit status.
    const job = running.standIn.jobs().find((candidate) => candidate.id === 'busy-job');
    expect(job).toMatchObject({ state: 'finished', exitStatus: 0, interrupted: false });
    const groups = await autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [oldGroup, update.newGroupName] }),
    );
    expect(groups.AutoScalingGroups?.map((group) => group.AutoScalingGroupName)).toEqual([update.newGroupName]);

    // The schedule starts on demand, invoking the scheduled function with the new group's environment.
    expect(running.lambdas.scheduled.invocations()).toEqual([]);
    running.resumeSchedule();
    // (Schedule ticks that land while the first, polling invocation runs are throttled: reserved concurrency 1.)
    const done = await until('a scheduled invocation to end', () =>
      running.lambdas.scheduled.invocations().find((record) => record.outcome.status !== 'throttled'),
    );
    running.pauseSchedule();
    expect(done.outcome.status).toBe('succeeded');

    // Every planted secret is known, and none is in any log.
    expect(running.secrets().map((secret) => secret.value)).toContain('canary-agent-token-update-test');
    for (const path of running.logs()) {
      const text = await readFile(path, 'utf8');
      for (const secret of running.secrets()) expect(text).not.toContain(secret.value);
    }

    const pids = running.startedPids();
    await running.stop();
    expect(
      pids.filter((pid) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      }),
    ).toEqual([]);
  }, 300_000);
});
