import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signBuildkiteWebhook } from '@elastic-ci/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { jobScheduledWebhookBody } from '../replay/job-scheduled-webhook';
import { addJobs, describeWorld, jobsOf, outcomeOf, recovered, secretLeaksIn, waitFor, zombiesOf } from './fault-world';
import { type InjectedCrash, queueDrained } from './invariants';
import { descendantsOf, listProcesses, stillRunning } from './process-tree';
import { type StartedFaultWorld, startFaultWorld } from './start-fault-world';
import { type FaultOutcome, formatFaultSummary } from './summary-table';

// The fault suite (issue 14): one sandbox world shared by every scenario, run one after the other; each scenario
// waits for the world to recover before the next starts, so a fault never leaks into the next row. Every bound below
// is a generous REAL-time ceiling that catches a hang; no assertion measures speed.

const TIME_SCALE = 60; // world seconds per real second: a 5-minute job takes 5 s
const QUEUE = 'faults';
/** Boot (60 s) + agent start, with room for a loaded machine, in world seconds. */
const ZOMBIE_GRACE_WORLD_SEC = 240;
const SCENARIO_BOUND_MS = 90_000;

describe('fault suite: no job killed by us, recovery, no zombie, no secret in any log', () => {
  let world: StartedFaultWorld;
  const outcomes: FaultOutcome[] = [];

  beforeAll(async () => {
    world = await startFaultWorld({
      moto: inject('moto'),
      timeScale: TIME_SCALE,
      logDir: mkdtempSync(join(tmpdir(), 'elastic-ci-faults-')),
      world: {
        queue: QUEUE,
        // A baked image's boot; no scenario needs a longer one, and every scale-out waits for it.
        bootDelaySec: 30,
        config: {
          buildkite: { queue: QUEUE, idleTimeoutSec: 300, webhook: { enabled: true } },
          scaling: {
            minSize: 0,
            maxSize: 6,
            scaleInCooldownSec: 60,
            scaleOutCooldownSec: 0,
            scaleInStrategy: 'drain',
            disableScaleIn: false,
            leaseEnabled: true,
            // The scaler's shortest lease (21 real s, see PRODUCT_MINIMUM_SEC): the killed pass blocks scaling this long.
            leaseTtlSec: 1260,
            staleMetricsAfterSec: 600,
            // The availability boost adds instances while agents are still booting (a deliberate policy); off, so
            // "no more instances than jobs" is the bound the webhook/schedule race is judged by.
            availabilityThreshold: 0,
          },
        },
      },
    });
  });

  afterAll(async () => {
    // The table is the suite's report; printed even when a scenario failed, with what was measured.
    console.log(`\nfault suite summary (world seconds, time scale ${TIME_SCALE})\n${formatFaultSummary(outcomes)}\n`);
    await world?.stop();
  });

  /**
   * Runs one scenario: adds its jobs, injects the fault, ends it, then waits for recovery and checks the invariants.
   * Returns the world second the fault ended, for the recovery time.
   */
  async function scenario(
    fault: string,
    prefix: string,
    run: (context: { crashes: InjectedCrash[] }) => Promise<number>,
  ): Promise<void> {
    const crashes: InjectedCrash[] = [];
    let recoveredAfter: number | undefined;
    try {
      const faultEndedAt = await run({ crashes });
      await waitFor(() => recovered(world, prefix, ZOMBIE_GRACE_WORLD_SEC), {
        what: `${fault}: recovery (jobs done, in service = desired, no zombie)`,
        timeoutMs: SCENARIO_BOUND_MS,
        describe: () => describeWorld(world, prefix),
      });
      recoveredAfter = Math.max(0, world.worldNow() - faultEndedAt);
    } finally {
      if (recoveredAfter === undefined) {
        // A failed scenario still lets its jobs end and removes its faults, so the next row starts clean.
        world.proxy.clear();
        world.standIn.setFault(undefined);
        await waitFor(() => queueDrained(jobsOf(world, prefix)), {
          what: `${fault}: its jobs to end after the failure`,
          timeoutMs: SCENARIO_BOUND_MS,
        }).catch(() => undefined);
      }
      const outcome = outcomeOf(world, fault, prefix, crashes, recoveredAfter);
      outcomes.push(outcome);
      expect(outcome.interruptedByUs, `${fault}: jobs interrupted by elastic-ci`).toEqual([]);
    }
    expect(await zombiesOf(world, ZOMBIE_GRACE_WORLD_SEC)).toEqual([]);
  }

  const untilRunning = (prefix: string, count: number) =>
    waitFor(() => jobsOf(world, prefix).filter((job) => job.state === 'running').length >= count, {
      what: `${count} job(s) of ${prefix} running`,
      timeoutMs: SCENARIO_BOUND_MS,
      describe: () => describeWorld(world, prefix),
    });

  /**
   * Adds the scenario's jobs and sends each one's signed `job.scheduled` webhook, as Buildkite does. A webhook the
   * function answers with an error is part of the fault (the scheduled scaler covers it), not a test failure.
   */
  async function submit(prefix: string, count: number, durationSec: number): Promise<void> {
    addJobs(world, QUEUE, prefix, count, durationSec);
    await Promise.all(
      jobsOf(world, prefix).map((job) => {
        const body = jobScheduledWebhookBody({ id: job.id, queue: QUEUE });
        const headers = signBuildkiteWebhook({
          body,
          secret: world.sandbox.webhookSecret,
          timestamp: Math.floor(Date.now() / 1000),
        });
        return world.sandbox.deliverWebhook(headers, body).catch(() => undefined);
      }),
    );
  }

  /** Scaling decisions the scheduled function logged after `sinceMs` (real epoch ms). */
  async function scalingDecisionsSince(sinceMs: number): Promise<number> {
    return (await scalingDecisions()).filter((decision) => decision.atMs > sinceMs).length;
  }

  interface ScalingDecision {
    readonly atMs: number;
    /** When the pass's queue metrics were read. */
    readonly collectedAtMs: number;
    readonly action: string;
    readonly desired: number;
    /** Jobs waiting for an agent in the metrics the pass decided on. */
    readonly scheduledJobs: number;
    readonly reasons: readonly string[];
  }

  /** Every scaling decision the scheduled and webhook functions logged. */
  async function scalingDecisions(): Promise<ScalingDecision[]> {
    const files = [world.sandbox.lambdas.scheduled.logFile, world.sandbox.lambdas.webhook?.logFile];
    const logs = await Promise.all(files.map((file) => (file ? readFile(file, 'utf8').catch(() => '') : '')));
    return logs
      .flatMap((log) => log.split('\n'))
      .filter((line) => line.includes('"message":"scaling decision"'))
      .flatMap((line) => {
        try {
          const entry = JSON.parse(line) as {
            timestamp: string;
            action: string;
            desired: number;
            reasons?: string[];
            inputs?: { metrics?: { collectedAtMs?: number; scheduledJobs?: number } };
          };
          return [
            {
              atMs: Date.parse(entry.timestamp),
              collectedAtMs: entry.inputs?.metrics?.collectedAtMs ?? Number.NaN,
              action: entry.action,
              desired: entry.desired,
              scheduledJobs: entry.inputs?.metrics?.scheduledJobs ?? 0,
              reasons: entry.reasons ?? [],
            },
          ];
        } catch {
          // A line cut by a container killed mid-write (the killed-pass scenario) is no decision.
          return [];
        }
      });
  }

  /** Samples desired capacity in the background until stopped: the scenario's record of scaling decisions. */
  function watchDesired(): {
    stop(): Promise<Array<{ atMs: number; worldSec: number; desired: number; running: number }>>;
  } {
    const samples: Array<{ atMs: number; worldSec: number; desired: number; running: number }> = [];
    let active = true;
    const loop = (async () => {
      while (active) {
        // Taken before the look: the desired capacity seen is at most this recent.
        const atMs = Date.now();
        const sample = await world.sample();
        samples.push({ atMs, worldSec: sample.worldSec, desired: sample.desired, running: sample.running });
        await new Promise((resolveTick) => setTimeout(resolveTick, 100));
      }
    })();
    return {
      async stop() {
        active = false;
        await loop;
        return samples;
      },
    };
  }

  it('scaler-driven scale-in while agents are busy kills no job', async () => {
    await scenario('scale-in with busy agents', 'scale-in', async () => {
      // Both pairs start together (one submit each, at once), so the long jobs outlast the short ones by 840 world
      // seconds (14 real s) — the job hooks run inside both and cancel out — while the scale-in follows the short jobs'
      // end within a few scaling passes (1 real s apart).
      await Promise.all([submit('scale-in-long', 2, 900), submit('scale-in-short', 2, 60)]);
      await untilRunning('scale-in', 4);
      // The short jobs end; their instances go idle and the scaler scales in while the long jobs still run.
      await waitFor(() => jobsOf(world, 'scale-in-short').every((job) => job.state === 'finished'), {
        what: 'short jobs finished',
        timeoutMs: SCENARIO_BOUND_MS,
      });
      let atScaleIn: { desired: number; running: number } | undefined;
      await waitFor(
        async () => {
          const sample = await world.sample();
          if (sample.desired < 4) atScaleIn = sample;
          return atScaleIn !== undefined;
        },
        { what: 'a scale-in', timeoutMs: SCENARIO_BOUND_MS, describe: () => describeWorld(world, 'scale-in') },
      );
      // The first look that saw the smaller group also saw the long jobs still running: the fault happened.
      expect(atScaleIn?.running).toBeGreaterThan(0);
      return world.worldNow();
    });
  });

  it('an agent crashing mid-job loses that job to the crash, and its instance is replaced', async () => {
    await scenario('agent crash mid-job (SIGKILL)', 'crash', async ({ crashes }) => {
      await submit('crash', 2, 300);
      await untilRunning('crash', 1);
      const victim = jobsOf(world, 'crash').find((job) => job.state === 'running')?.id as string;
      const crashedInstance = world.instanceOfJob(victim);
      crashes.push(world.crashAgentOf(victim));
      await waitFor(() => jobsOf(world, 'crash').find((job) => job.id === victim)?.interrupted === true, {
        what: 'the crashed agent’s job ending interrupted',
        timeoutMs: SCENARIO_BOUND_MS,
        describe: () => describeWorld(world, 'crash'),
      });
      // The instance without an agent leaves service (the instance's terminate path marks it unhealthy).
      await waitFor(
        async () =>
          !(await world.instances()).some(
            (instance) => instance.instanceId === crashedInstance && instance.lifecycleState === 'InService',
          ),
        { what: `crashed instance ${crashedInstance} leaves service`, timeoutMs: SCENARIO_BOUND_MS },
      );
      return world.worldNow();
    });
    // Attributed to the crash: exactly that one job, and nothing to us (checked in `scenario`).
    expect(outcomes.at(-1)?.jobsLostToInjectedCrash).toBe(1);
  });

  it('a boot failure marks the instance unhealthy and the group replaces it', async () => {
    await scenario('boot failure', 'boot', async () => {
      await submit('boot-warmup', 1, 60);
      await untilRunning('boot-warmup', 1);
      const instanceId = world.instanceOfJob('boot-warmup-0') as string;
      await waitFor(() => jobsOf(world, 'boot-warmup').every((job) => job.state === 'finished'), {
        what: 'the warm-up job finished',
        timeoutMs: SCENARIO_BOUND_MS,
      });
      const exitCode = await world.failBootOn(instanceId);
      expect(exitCode).not.toBe(0);
      await waitFor(
        async () =>
          !(await world.instances()).some(
            (instance) => instance.instanceId === instanceId && instance.lifecycleState === 'InService',
          ),
        {
          what: `instance ${instanceId} with the failed boot leaves service`,
          timeoutMs: SCENARIO_BOUND_MS,
          describe: () => describeWorld(world, 'boot'),
        },
      );
      // The replacement takes work.
      await submit('boot-after', 1, 60);
      return world.worldNow();
    });
  });

  it('a rebalance recommendation, then a spot interruption: the agent stops gracefully before the deadline', async () => {
    await scenario('spot rebalance + interruption', 'spot', async () => {
      await submit('spot', 1, 30);
      await untilRunning('spot', 1);
      const job = jobsOf(world, 'spot')[0];
      const agent = world.standIn.agents().find((candidate) => candidate.id === job?.agentId);
      const instanceId = world.instanceOfJob(job?.id ?? '');
      const imds = instanceId === undefined ? undefined : world.sandbox.host(instanceId)?.imds;
      if (!imds || !agent || !instanceId) {
        throw new Error(`no host for the running spot job: ${await describeWorld(world, 'spot')}`);
      }

      imds.setRebalanceRecommendation(new Date().toISOString());
      // AWS's two minutes, scaled — but at least 30 real seconds: the job hooks' process start-up and their AWS calls
      // are real time that no time scale shrinks, and a job cannot end before its hooks have run.
      const deadlineMs = Date.now() + Math.max((120 * 1000) / TIME_SCALE, 30_000);
      imds.setSpotInstanceAction({ action: 'terminate', time: new Date(deadlineMs).toISOString() });
      await waitFor(
        () => world.standIn.agents().find((candidate) => candidate.id === agent.id)?.state === 'disconnected',
        {
          what: 'the spot instance’s agent disconnected',
          timeoutMs: SCENARIO_BOUND_MS,
          describe: () => describeWorld(world, 'spot'),
        },
      );
      const stopped = world.standIn.agents().find((candidate) => candidate.id === agent.id);
      const finished = jobsOf(world, 'spot')[0];
      expect(finished).toMatchObject({ state: 'finished', interrupted: false });
      // Graceful: the job ended with its own exit status and the agent left before AWS reclaims the instance.
      expect(stopped?.state).toBe('disconnected');
      expect(world.disconnectedAtMs(agent.id) ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(deadlineMs);
      // What AWS does at the deadline.
      await world.reclaimSpotInstance(instanceId);
      return world.worldNow();
    });
  });

  it('a Buildkite API outage (5xx, then timeouts, for 10 world minutes) changes nothing it should not', async () => {
    await scenario('Buildkite API outage 10 min', 'outage', async () => {
      await submit('outage', 2, 300);
      await untilRunning('outage', 1);
      const answered = (kind: string) => world.standIn.requests.filter((request) => request.answer === kind).length;
      const [errorsBefore, slowBefore] = [answered('server-error'), answered('slow')];
      const outageStart = world.worldNow();
      const outageStartMs = Date.now();
      world.standIn.setFault({ kind: 'server-error', status: 502 }, { scope: 'metrics' });
      // Each half lasts 5 world minutes and until the scaler met it (it reads every 10 real seconds).
      await waitFor(() => world.worldNow() >= outageStart + 300 && answered('server-error') > errorsBefore, {
        what: '5 world minutes of 5xx, met by the scaler',
        timeoutMs: SCENARIO_BOUND_MS,
      });
      // Slower than the scaler's whole-request timeout (5 s real at most).
      world.standIn.setFault({ kind: 'slow', delayMs: 8_000 }, { scope: 'metrics' });
      await waitFor(() => world.worldNow() >= outageStart + 600 && answered('slow') > slowBefore, {
        what: '5 more world minutes of timeouts, met by the scaler',
        timeoutMs: SCENARIO_BOUND_MS,
      });
      world.standIn.setFault(undefined);
      const outageEndMs = Date.now();
      // Never acts on bad data: no scaling decision rests on metrics read during the outage (every read failed).
      // The scaler dates its metrics at the start of their request, so a read answered before the fault carries a
      // time before outageStartMs: an ordering, with no allowance for how long anything took.
      const decided = await scalingDecisions();
      expect(
        decided.filter((decision) => decision.collectedAtMs > outageStartMs && decision.collectedAtMs < outageEndMs),
      ).toEqual([]);
      return world.worldNow();
    });
  });

  it('a 401 on token rotation: the scaler re-reads the token and goes on', async () => {
    await scenario('401 on token rotation', 'rotation', async () => {
      const tokenReadsBefore = world.proxy.calls({ service: 'ssm', action: 'GetParameter' }).length;
      world.standIn.setFault({ kind: 'unauthorized' }, { times: 1 });
      await submit('rotation', 2, 60);
      await waitFor(() => world.proxy.calls({ service: 'ssm', action: 'GetParameter' }).length > tokenReadsBefore, {
        what: 'the scaler re-reading its token from SSM after the 401',
        timeoutMs: SCENARIO_BOUND_MS,
      });
      return world.worldNow();
    });
  });

  it('429 storms delay scaling but lose nothing', async () => {
    await scenario('429 storm', 'storm', async () => {
      const storm = world.standIn.requests.filter((request) => request.answer === 'rate-limited').length;
      // Every metrics read of three passes in a row.
      world.standIn.setFault({ kind: 'rate-limited', retryAfter: '1' }, { times: 3 });
      await submit('storm', 3, 60);
      await waitFor(
        () => world.standIn.requests.filter((request) => request.answer === 'rate-limited').length >= storm + 3,
        {
          what: 'three 429 answers in a row',
          timeoutMs: SCENARIO_BOUND_MS,
        },
      );
      return world.worldNow();
    });
  });

  it('AWS throttling and 5xx bursts from the fault proxy: retried, nothing lost', async () => {
    await scenario('AWS throttling + 5xx bursts', 'aws', async () => {
      const faultStart = world.worldNow();
      const throttled = world.proxy.inject({
        match: { service: 'autoscaling' },
        fault: { kind: 'throttle' },
        // Several scheduled poll intervals (1 real s each), so scheduled passes meet it as well as the webhooks.
        durationMs: 6_000,
      });
      const bursts = [
        world.proxy.inject({ match: { service: 'ec2' }, fault: { kind: 'throttle' }, calls: 10 }),
        world.proxy.inject({ match: { service: 'dynamodb' }, fault: { kind: 'server-error' }, calls: 5 }),
        world.proxy.inject({ match: { service: 'ssm' }, fault: { kind: 'server-error', status: 500 }, calls: 5 }),
      ];
      await submit('aws', 3, 60);
      await waitFor(() => !throttled.active, { what: 'the throttling window to pass', timeoutMs: SCENARIO_BOUND_MS });
      // The faults reached the product (else this scenario proves nothing).
      expect(throttled.answered).toBeGreaterThan(0);
      expect(bursts.reduce((sum, handle) => sum + handle.answered, 0)).toBeGreaterThan(0);
      world.proxy.clear();
      return Math.max(faultStart, world.worldNow());
    });
  });

  it('stale metrics (AWS answering slower than the staleness bound) hold scaling', async () => {
    await scenario('stale metrics', 'stale', async () => {
      // From a fleet without agents: the jobs below can then only wait for a scale-out. Idle agents left by the
      // previous scenario ran them (a world minute each) while the slowed passes read the group, and the judged pass
      // found nothing waiting.
      await waitFor(
        async () => {
          const sample = await world.sample();
          return sample.agents === 0 && sample.desired === 0;
        },
        {
          what: 'the fleet at rest without agents',
          timeoutMs: SCENARIO_BOUND_MS,
          describe: () => describeWorld(world, 'stale'),
        },
      );
      const desiredBefore = (await world.sample()).desired;
      const metricsReads = () => world.standIn.requests.filter((request) => request.answer === 'metrics').length;
      const watch = watchDesired();
      const readsBefore = metricsReads();
      const injectedAtMs = Date.now();
      // Each pass reads metrics, then the group: a group read 11 s late makes its metrics older than the 10 s bound.
      const slow = world.proxy.inject({
        match: { service: 'autoscaling', action: 'DescribeAutoScalingGroups' },
        fault: { kind: 'slow', delayMs: 11_000 },
      });
      // More jobs than the fleet has instances, so only a scale-out could start them all. Added in the same tick as
      // the fault, before any metrics read can answer without them. No webhooks: the scheduled pass is the one judged,
      // and a webhook pass would race it for the group read.
      addJobs(world, QUEUE, 'stale', desiredBefore + 2, 60);
      await waitFor(() => slow.answered > 0, {
        what: 'a pass meeting the slow group read',
        timeoutMs: SCENARIO_BOUND_MS,
      });
      // A pass that had read its metrics before the jobs came slows first (no metrics read since): then the next
      // pass, which reads them with the jobs, is the one judged. Passes run one at a time (reserved concurrency 1).
      if (metricsReads() === readsBefore) {
        await waitFor(() => slow.answered > 1, {
          what: 'the next pass, with the jobs, meeting the slow group read',
          timeoutMs: SCENARIO_BOUND_MS,
        });
      }
      // Only the judged pass's read is slowed: the passes after it read the group on time (no slow read outlives
      // this scenario).
      slow.remove();
      let judged: ScalingDecision | undefined;
      await waitFor(
        async () => {
          judged = (await scalingDecisions()).find(
            (decision) =>
              decision.atMs > injectedAtMs &&
              decision.scheduledJobs > 0 &&
              decision.reasons.some((reason) => /^metrics are \d+s old/.test(reason)),
          );
          return judged !== undefined;
        },
        { what: 'the decision of the pass that saw the jobs on stale metrics', timeoutMs: SCENARIO_BOUND_MS },
      );
      const samples = await watch.stop();
      // It saw jobs waiting and held, and nothing scaled out before it decided (idle instances ending themselves may
      // still lower desired meanwhile).
      expect(judged).toMatchObject({ action: 'hold' });
      expect(judged?.desired).toBeLessThanOrEqual(desiredBefore);
      const untilDecided = samples.filter((sample) => sample.atMs < (judged?.atMs ?? 0));
      expect(untilDecided.length).toBeGreaterThan(0);
      expect(Math.max(...untilDecided.map((sample) => sample.desired))).toBeLessThanOrEqual(desiredBefore);
      return world.worldNow();
    });
  });

  it('the webhook and the schedule racing on one burst do not scale past the jobs (the lease)', async () => {
    await scenario('webhook vs schedule race', 'race', async () => {
      const watch = watchDesired();
      const burst = 4;
      const desiredBefore = (await world.sample()).desired;
      addJobs(world, QUEUE, 'race', burst, 60);
      const deliveries = jobsOf(world, 'race').map((job) => {
        const body = JSON.stringify({
          event: 'job.scheduled',
          job: { id: job.id, agent_query_rules: [`queue=${QUEUE}`] },
        });
        return world.sandbox.deliverWebhook(
          signBuildkiteWebhook({ body, secret: world.sandbox.webhookSecret, timestamp: Math.floor(Date.now() / 1000) }),
          body,
        );
      });
      await Promise.all([...deliveries, world.sandbox.invokeScheduled()]);
      await waitFor(() => jobsOf(world, 'race').every((job) => job.state === 'finished'), {
        what: 'the burst finished',
        timeoutMs: SCENARIO_BOUND_MS,
        describe: () => describeWorld(world, 'race'),
      });
      const samples = await watch.stop();
      // One instance per job at most (one agent each): concurrent passes never stacked their scale-outs.
      expect(Math.max(...samples.map((sample) => sample.desired))).toBeLessThanOrEqual(burst + desiredBefore);
      return world.worldNow();
    });
  });

  it('a Lambda invocation killed mid-pass: the lease expires and the next pass acts', async () => {
    await scenario('Lambda killed mid-pass', 'killed', async () => {
      // Holds the pass inside its lease: the capacity call hangs until the invocation is killed.
      const hang = world.proxy.inject({
        match: { service: 'autoscaling', action: /^(SetDesiredCapacity|TerminateInstanceInAutoScalingGroup)$/ },
        fault: { kind: 'slow', delayMs: 600_000 },
        calls: 1,
      });
      addJobs(world, QUEUE, 'killed', 2, 60);
      await waitFor(() => hang.answered === 1, {
        what: 'a pass hanging in its capacity call',
        timeoutMs: SCENARIO_BOUND_MS,
      });
      const killedAt = Date.now();
      const killed =
        world.sandbox.lambdas.scheduled.killRunning() + (world.sandbox.lambdas.webhook?.killRunning() ?? 0);
      expect(killed).toBeGreaterThan(0);
      // The next pass acts once the dead pass's lease has expired: a complete scaling decision after the kill.
      await waitFor(async () => (await scalingDecisionsSince(killedAt)) > 0, {
        what: 'a complete scaling pass after the kill (the lease expired)',
        timeoutMs: SCENARIO_BOUND_MS,
      });
      return world.worldNow();
    });
  });

  it('a stack update replacing the group with busy agents drains them (stop-agents) and kills no job', async () => {
    await scenario('stack update replacing the group', 'update', async () => {
      // Long enough to be still running when stop-agents' stop reaches the old group's agents (a few real seconds
      // after the update starts: a new group, then one custom-resource event per function).
      await submit('update', 2, 300);
      await untilRunning('update', 1);
      const busyAtUpdate = jobsOf(world, 'update').filter((job) => job.state === 'running').length;
      const update = await world.sandbox.simulateStackUpdate();
      // The group was replaced while a job ran on it, and CloudFormation deleted the old group only after
      // stop-agents had drained it.
      expect(busyAtUpdate).toBeGreaterThan(0);
      expect(update.newGroupName).not.toBe(update.oldGroupName);
      expect(update.oldGroupDeleted).toBe(true);
      return world.worldNow();
    });
  });

  it('no canary secret appears in any log file or captured output', async () => {
    const secrets = world.secrets();
    const leaks = await secretLeaksIn(world.sandbox.logs(), world.capturedOutput(), secrets);

    // Both the webhook secret and the agent token (as it reached the stand-in) are looked for.
    expect(secrets.map((secret) => secret.label)).toEqual(
      expect.arrayContaining(['webhook secret', 'token sent to the Buildkite API']),
    );
    expect(world.sandbox.logs().length).toBeGreaterThan(0);
    expect(leaks).toEqual([]);
  });

  it('stop() leaves no process of the world behind', async () => {
    // Everything the sandbox started descends from this worker: Lambda containers, agents, lifecycled, hooks.
    const started = descendantsOf(process.pid, listProcesses());
    expect(started.length).toBeGreaterThan(0);

    await world.stop();

    await waitFor(() => stillRunning(started).length === 0, {
      what: 'every process of the world to exit',
      timeoutMs: 30_000,
      describe: () => JSON.stringify(stillRunning(started).map((entry) => entry.command.slice(0, 120))),
    });
  });
});
