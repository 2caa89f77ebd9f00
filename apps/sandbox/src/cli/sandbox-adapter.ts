import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { tallyInstanceBrokerRequests } from '../report/broker-log';
import { InstanceTracker } from '../report/instance-tracker';
import { countScalerPasses, medianScheduledPassGapMs, scalingActionsFromLogLines } from '../report/scaler-log';
import { startSandbox } from '../sandbox';
import { clientConfig } from '../world/aws-config';
import type { DemoJob, DemoSandbox, StartDemoSandbox } from './demo-sandbox';

/** How often a Buildkite agent pings for work (world seconds): what the stand-in tells the simulated agents. */
export const AGENT_PING_INTERVAL_WORLD_SEC = 10;
/** Below this (real ms) pings would cost more CPU than the demo has on 2 cores. */
const MIN_PING_INTERVAL_REAL_SEC = 0.1;

/** `startSandbox` (the WORLD engineer's) seen through the demo's port: everything in world seconds. */
export const startDemoSandbox: StartDemoSandbox = async (options) => {
  const logDir = options.logDir ?? (await mkdtemp(join(tmpdir(), 'elastic-ci-demo-')));
  const pingIntervalRealSec = Math.max(MIN_PING_INTERVAL_REAL_SEC, AGENT_PING_INTERVAL_WORLD_SEC / options.timeScale);
  const sandbox = await startSandbox({
    timeScale: options.timeScale,
    world: { queue: options.queue, bootDelaySec: options.bootDelaySec, config: options.stackConfig },
    logDir,
    ...(options.motoPort === undefined ? {} : { motoPort: options.motoPort }),
    signal: options.signal,
    faults: { standIn: { pingIntervalSec: pingIntervalRealSec } },
  });
  const { timeScale } = options;
  // The stand-in and the scaler's logs use the real clock; the world started when worldNow() was 0.
  const startedAtMs = Date.now() - (sandbox.worldNow() / timeScale) * 1000;
  const toWorldSec = (epochMs: number) => ((epochMs - startedAtMs) / 1000) * timeScale;
  const autoScaling = new AutoScalingClient(clientConfig(sandbox.aws));
  const tracker = new InstanceTracker();

  const scalerLogLines = () =>
    sandbox
      .logs()
      .filter((path) => basename(path).startsWith('lambda-'))
      .flatMap((path) => {
        try {
          return readFileSync(path, 'utf8').split('\n');
        } catch {
          return [];
        }
      });

  const demo: DemoSandbox = {
    worldNow: () => sandbox.worldNow(),
    addJob: (job) => sandbox.standIn.addJob({ ...job }),
    onJobScheduled: (listener) =>
      sandbox.standIn.onEvent((event) => {
        if (event.type === 'job.scheduled' && event.job !== undefined) {
          listener({ id: event.job.id, queue: event.job.queue });
        }
      }),
    jobs: () =>
      sandbox.standIn.jobs().map((job): DemoJob => {
        const at = (name: 'scheduledAtSec' | 'startedAtSec' | 'finishedAtSec', epochMs: number | undefined) =>
          epochMs === undefined ? {} : { [name]: toWorldSec(epochMs) };
        return {
          id: job.id,
          queue: job.queue,
          state: job.state,
          interrupted: job.interrupted,
          ...at('scheduledAtSec', job.scheduledAt),
          ...at('startedAtSec', job.startedAt),
          ...at('finishedAtSec', job.finishedAt),
        };
      }),
    async sample() {
      const [sample, groups] = await Promise.all([
        sandbox.sample(),
        autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [sandbox.groupName] })),
      ]);
      const running = (groups.AutoScalingGroups ?? [])
        .flatMap((group) => group.Instances ?? [])
        .filter((instance) => !String(instance.LifecycleState ?? '').startsWith('Warmed'))
        .flatMap((instance) => (instance.InstanceId === undefined ? [] : [instance.InstanceId]));
      tracker.observe(sample.worldSec, running);
      const { worldSec, ...counts } = sample;
      return { atSec: worldSec, ...counts };
    },
    scalingActions: () => scalingActionsFromLogLines(scalerLogLines(), toWorldSec),
    scalerPasses: () => countScalerPasses(scalerLogLines()),
    scheduledPassGapRealSec: () => {
      const gapMs = medianScheduledPassGapMs(scalerLogLines());
      return gapMs === undefined ? undefined : gapMs / 1000;
    },
    instances: () => tracker.instances(),
    instanceBrokerRequests: () => {
      const broker = sandbox.lambdas.instanceBroker;
      if (broker === undefined) return undefined;
      try {
        return tallyInstanceBrokerRequests(readFileSync(broker.logFile, 'utf8').split('\n'));
      } catch {
        // No request yet: the function's log is created with its first container.
        return tallyInstanceBrokerRequests([]);
      }
    },
    awsEndpoint: sandbox.aws.endpoint,
    webhookSecret: sandbox.lambdas.webhook === undefined ? undefined : sandbox.webhookSecret,
    deliverWebhook:
      sandbox.lambdas.webhook === undefined
        ? undefined
        : async ({ body, headers }) => {
            const answer = await sandbox.deliverWebhook(headers, body);
            return answer.outcome.status === 'succeeded'
              ? { statusCode: answer.statusCode }
              : { statusCode: answer.statusCode, functionOutcome: answer.outcome.status };
          },
    agentPingIntervalSec: pingIntervalRealSec * timeScale,
    distortions: sandbox.world.clamped.map(
      (clamp) =>
        `${clamp.field} ${clamp.worldSec} world s would be ${clamp.scaledSec.toFixed(2)} s real; the product's minimum ${clamp.usedSec} s is used (${clamp.usedSec * timeScale} world s)`,
    ),
    logDir,
    logs: () => sandbox.logs(),
    async stop() {
      autoScaling.destroy();
      await sandbox.stop();
    },
  };
  return demo;
};
