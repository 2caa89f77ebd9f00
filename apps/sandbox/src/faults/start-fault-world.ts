import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { type AwsFaultProxy, startAwsFaultProxy } from '@elastic-ci/testing/aws-fault-proxy';
import type { MotoEndpoint } from '@elastic-ci/testing/moto-server';
import { signBuildkiteWebhook } from '@elastic-ci/testing/webhook-signing';
import { productPaths } from '../product-paths';
import { pingWebhookBody } from '../replay/job-scheduled-webhook';
import { type Sandbox, startSandbox } from '../sandbox';
import { clientConfig } from '../world/aws-config';
import type { WorldSettings } from '../world/world-config';
import type { FaultInstance, FaultWorld } from './fault-world';
import type { CanarySecret, InjectedCrash } from './invariants';
import { reclaimSpotInstance } from './reclaim-spot-instance';

export interface FaultWorldOptions {
  readonly moto: MotoEndpoint;
  readonly timeScale: number;
  readonly logDir: string;
  readonly world: WorldSettings;
}

export interface StartedFaultWorld extends FaultWorld {
  readonly sandbox: Sandbox;
  /** Between the product processes and moto (the sandbox's own observation goes to moto directly). */
  readonly proxy: AwsFaultProxy;
  /** SIGKILLs the agent of the instance running `jobId` (a crash mid-job) and returns the attribution record. */
  crashAgentOf(jobId: string): InjectedCrash;
  /** The instance whose agent runs (or ran) `jobId`. */
  instanceOfJob(jobId: string): string | undefined;
  /**
   * Runs the real instance boot (`elastic-ci-instance boot`) on `instanceId` with a contract that does not parse, as
   * a broken launch template would give it: the boot's failure path marks the instance unhealthy.
   */
  failBootOn(instanceId: string): Promise<number>;
  /** What AWS does at a spot deadline: the instance is taken away. */
  reclaimSpotInstance(instanceId: string): Promise<void>;
  /** Real epoch ms at which the stand-in saw each agent disconnect. */
  disconnectedAtMs(agentId: string): number | undefined;
  /** Every secret of the run: those the sandbox planted, as they reached the stand-in and the hosts. */
  secrets(): CanarySecret[];
  /** The test process's own stdout and stderr since the world started (for the secret grep). */
  capturedOutput(): Array<{ source: string; text: string }>;
  stop(): Promise<void>;
}

type Write = typeof process.stdout.write;

/** Tees a stream's writes into `sink` until the returned function restores it. */
function tee(stream: NodeJS.WriteStream, sink: string[]): () => void {
  const original: Write = stream.write.bind(stream);
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as Write;
  return () => {
    stream.write = original;
  };
}

/** Starts the sandbox world a fault file shares, with the AWS fault proxy between the product and moto. */
export async function startFaultWorld(options: FaultWorldOptions): Promise<StartedFaultWorld> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const restoreStdout = tee(process.stdout, stdout);
  const restoreStderr = tee(process.stderr, stderr);
  const disconnected = new Map<string, number>();
  let proxy: AwsFaultProxy | undefined;

  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({
      timeScale: options.timeScale,
      logDir: options.logDir,
      aws: options.moto,
      world: options.world,
      faults: {
        // A crashed agent stops calling the API; Buildkite marks it (and its job) lost after a while. Generous
        // against a loaded machine: every agent calls at least every second (pings, and job-state polls while busy),
        // so a live one would have to miss ten calls in a row.
        standIn: { lostAgentAfterMs: 10_000 },
        wrapAwsEndpoint: async (upstream) => {
          proxy = await startAwsFaultProxy({ target: upstream });
          return proxy.endpoint;
        },
      },
    });
  } catch (error) {
    await proxy?.stop();
    restoreStdout();
    restoreStderr();
    throw error;
  }
  const faultProxy = proxy as AwsFaultProxy;
  if (sandbox.lambdas.webhook !== undefined) {
    // Buildkite pings a webhook when it is saved: the webhook function's first container starts then, as in AWS, not
    // on the first scenario's jobs.
    const body = pingWebhookBody();
    const headers = signBuildkiteWebhook({
      body,
      secret: sandbox.webhookSecret,
      timestamp: Math.floor(Date.now() / 1000),
      event: 'ping',
    });
    await sandbox.deliverWebhook(headers, body).catch(() => undefined);
  }
  const unsubscribe = sandbox.standIn.onEvent((event) => {
    if (event.type === 'agent.disconnected' && event.agent) disconnected.set(event.agent.id, Date.now());
  });
  const autoScaling = new AutoScalingClient(clientConfig(options.moto));
  const startEpochMs = Date.now() - (sandbox.worldNow() * 1000) / options.timeScale;
  const toWorldSec = (epochMs: number) => ((epochMs - startEpochMs) / 1000) * options.timeScale;
  const firstSeen = new Map<string, number>();
  let stopped = false;

  const instanceOfAgent = (agentId: string | undefined): string | undefined => {
    const agent = sandbox.standIn.agents().find((candidate) => candidate.id === agentId);
    if (!agent) return undefined;
    return sandbox.hosts().find((host) => agent.name.includes(host.instanceId))?.instanceId;
  };
  const instanceOfJob = (jobId: string) =>
    instanceOfAgent(sandbox.standIn.jobs().find((job) => job.id === jobId)?.agentId);

  async function instances(): Promise<FaultInstance[]> {
    const groups = await autoScaling.send(new DescribeAutoScalingGroupsCommand({}));
    const hosts = new Map(sandbox.hosts().map((host) => [host.instanceId, host]));
    return (groups.AutoScalingGroups ?? []).flatMap((group) =>
      (group.Instances ?? []).map((instance) => {
        const instanceId = instance.InstanceId as string;
        const host = hosts.get(instanceId);
        if (!firstSeen.has(instanceId)) firstSeen.set(instanceId, Date.now());
        return {
          instanceId,
          lifecycleState: instance.LifecycleState ?? 'unknown',
          // An instance still waiting for a host slot counts from when the suite first saw it.
          launchedAtWorldSec: toWorldSec(host?.launchedAt ?? (firstSeen.get(instanceId) as number)),
          agentRunning:
            host !== undefined &&
            host.bootedAt !== undefined &&
            host.agentExit === undefined &&
            host.state !== 'stopped',
        };
      }),
    );
  }

  return {
    sandbox,
    proxy: faultProxy,
    standIn: sandbox.standIn,
    worldNow: () => sandbox.worldNow(),
    sample: () => sandbox.sample(),
    instances,
    instanceOfJob,
    crashAgentOf(jobId) {
      const job = sandbox.standIn.jobs().find((candidate) => candidate.id === jobId);
      const instanceId = instanceOfAgent(job?.agentId);
      const host = instanceId === undefined ? undefined : sandbox.host(instanceId);
      if (!job?.agentId || !host?.signalAgent('SIGKILL')) {
        throw new Error(`cannot crash the agent of job ${jobId}: no running agent process found for it`);
      }
      return { agentId: job.agentId, reason: `SIGKILL of the agent on ${instanceId}` };
    },
    async failBootOn(instanceId) {
      const host = sandbox.host(instanceId);
      const summary = sandbox.hosts().find((candidate) => candidate.instanceId === instanceId);
      if (!host || !summary) throw new Error(`no host for ${instanceId}`);
      const contract = join(summary.root, 'etc', 'elastic-ci', 'broken-boot-contract.json');
      await writeFile(contract, '{"version": 1}\n');
      const program = productPaths().elasticCiInstance;
      return host.runShell(
        `'${process.execPath}' '${program}' --root '${summary.root}' boot --contract '${contract}'`,
        'boot.log',
      );
    },
    async reclaimSpotInstance(instanceId) {
      await reclaimSpotInstance(autoScaling, instanceId);
    },
    disconnectedAtMs: (agentId) => disconnected.get(agentId),
    secrets() {
      const sentTokens = new Set(
        sandbox.standIn.requests
          .map((request) => request.headers.authorization ?? '')
          .map((header) => header.replace(/^(Token|Bearer)\s+/i, ''))
          .filter((token) => token.length >= 16),
      );
      return [
        { label: 'webhook secret', value: sandbox.webhookSecret },
        ...[...sentTokens].map((value) => ({ label: 'token sent to the Buildkite API', value })),
      ];
    },
    capturedOutput: () => [
      { source: 'test process stdout', text: stdout.join('') },
      { source: 'test process stderr', text: stderr.join('') },
    ],
    async stop() {
      if (stopped) return;
      stopped = true;
      unsubscribe();
      try {
        await sandbox.stop();
        await faultProxy.stop();
      } finally {
        restoreStdout();
        restoreStderr();
      }
    },
  };
}
