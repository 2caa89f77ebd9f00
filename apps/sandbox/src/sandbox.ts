import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type LocalFunctionUrl,
  type LocalFunctionUrlCaller,
  startLocalFunctionUrl,
} from '@elastic-ci/instance-broker/local-function-url';
import {
  type BuildkiteApiStandIn,
  type BuildkiteApiStandInOptions,
  startBuildkiteApiStandIn,
} from '@elastic-ci/testing/buildkite-api-stand-in';
import { type RunningMotoServer, startMotoServer } from '@elastic-ci/testing/moto-server';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { HostFleet } from './hosts/host-fleet';
import type { HostEvent, HostSummary, SimulatedHost } from './hosts/simulated-host';
import { type InvocationOutcome, type InvocationRecord, LambdaFunction } from './lambdas/lambda-function';
import { productPaths, repositoryRoot, requireBuilt } from './product-paths';
import { SANDBOX_RUN_ID_VARIABLE, sandboxRunId } from './run-label';
import {
  StackCustomResources,
  type StackUpdateResult,
  type StackUpdateStep,
} from './stack-update/simulate-stack-update';
import { type AwsTarget, awsProcessEnvironment } from './world/aws-config';
import { buildWorld, MOTO_ACCOUNT_ID, type SandboxFunction, type World } from './world/build-world';
import { type LifecycleActionCall, type MotoGapProxy, startMotoGapProxy } from './world/moto-gap-proxy';
import type { WorldSettings } from './world/world-config';

export interface SandboxOptions {
  /** World seconds per real second: 30 runs a 300 s job in 10 s. Every duration the product sees is divided by it. */
  readonly timeScale: number;
  /** The world: stack config (world seconds, apps/infra's config shape), queue, boot delay. */
  readonly world?: WorldSettings;
  /** Where every log goes (one file per process); created if missing. */
  readonly logDir: string;
  /**
   * At most this many simulated hosts run at once (each is an agent, lifecycled and an IMDS stand-in: about three
   * processes and 150 MB); instances beyond wait unbooted until one finishes. @default 12
   */
  readonly maxConcurrentHosts?: number;
  /** Use this AWS (moto, or a fault proxy in front of it) instead of starting a moto server. */
  readonly aws?: AwsTarget;
  /** moto server to start. @default `$ELASTIC_CI_MOTO_SERVER`, else `<repository>/.venv/bin/moto_server` */
  readonly motoExecutable?: string;
  /** Loopback port of the moto server started (in use: `EADDRINUSE` before anything starts). @default a free one */
  readonly motoPort?: number;
  /** Run the scheduled scaler on its schedule (rate / timeScale). @default true */
  readonly schedule?: boolean;
  /** Real milliseconds between looks at moto's group. @default 500 */
  readonly fleetPollIntervalMs?: number;
  /** Concurrent webhook invocations (containers) before Lambda-style throttling. @default 2 */
  readonly webhookConcurrency?: number;
  readonly faults?: {
    /** Puts something between the product and AWS (the FAULTS suite's proxy): gets moto's endpoint, returns one. */
    readonly wrapAwsEndpoint?: (upstream: string) => string | Promise<string>;
    /** Extra stand-in options (e.g. `lostAgentAfterMs`). */
    readonly standIn?: Partial<BuildkiteApiStandInOptions>;
  };
  /** Stops the sandbox when aborted. */
  readonly signal?: AbortSignal;
  /** Agent token planted in moto's SSM (a canary for the secret grep). @default random `sandbox-agent-token-…` */
  readonly agentToken?: string;
  /** Webhook token planted in moto's SSM. @default random `sandbox-webhook-secret-…` */
  readonly webhookSecret?: string;
  /**
   * The run's label, in the environment of every process the sandbox starts (`ELASTIC_CI_SANDBOX_RUN_ID`,
   * src/run-label.ts). @default `$ELASTIC_CI_SANDBOX_RUN_ID`, else a fresh UUID
   */
  readonly runId?: string;
}

export interface TimelineSample {
  readonly worldSec: number;
  readonly scheduled: number;
  readonly running: number;
  readonly waiting: number;
  readonly desired: number;
  readonly inService: number;
  readonly warm: number;
  /** Connected agents. */
  readonly agents: number;
}

/** A change of the group's desired capacity, as seen in moto. */
export interface ScalingAction {
  readonly worldSec: number;
  readonly at: number;
  readonly groupName: string;
  readonly fromDesired: number;
  readonly toDesired: number;
}

export interface WebhookAnswer {
  readonly statusCode: number;
  readonly body: string;
  readonly outcome: InvocationOutcome;
}

export interface Sandbox {
  /** The run's label: every process the sandbox started has `ELASTIC_CI_SANDBOX_RUN_ID=<runId>` in its environment. */
  readonly runId: string;
  /** World seconds since start. */
  worldNow(): number;
  readonly timeScale: number;
  readonly standIn: BuildkiteApiStandIn;
  /** The AWS endpoint product processes use (moto behind the gap proxy, and the fault proxy when given). */
  readonly awsEndpoint: string;
  /** moto itself. */
  readonly aws: AwsTarget;
  readonly groupName: string;
  readonly world: World;
  /** The webhook token the stand-in signs with (`signBuildkiteWebhook({ secret })`). */
  readonly webhookSecret: string;
  sample(): Promise<TimelineSample>;
  scalingActions(): readonly ScalingAction[];
  /** The simulated warm pool (moto launches none): instances in it, those whose first boot finished, launches served. */
  warmPool(): { readonly size: number; readonly ready: number; readonly resumed: number };
  hosts(): readonly HostSummary[];
  /** A running host by instance id (faults: spot notice through its IMDS, agent crash). */
  host(instanceId: string): SimulatedHost | undefined;
  hostEvents(): readonly HostEvent[];
  /** Lifecycle actions lifecycled completed (answered by the sandbox: moto has none). */
  lifecycleActions(): readonly LifecycleActionCall[];
  /** Sends a Buildkite webhook to the webhook function as its function URL would (API Gateway v2 event). */
  deliverWebhook(headers: Readonly<Record<string, string>>, body: string): Promise<WebhookAnswer>;
  /** One scheduled invocation now (besides the schedule), with an EventBridge event. */
  invokeScheduled(): Promise<InvocationOutcome>;
  readonly lambdas: {
    readonly scheduled: LambdaFunction;
    readonly webhook: LambdaFunction | undefined;
    /** The instance broker behind its local function URL (absent with `instanceBroker: false`). */
    readonly instanceBroker: LambdaFunction | undefined;
  };
  invocations(): readonly InvocationRecord[];
  /**
   * A stack update that replaces the group: the new group, the scaler pointed at it, then real custom-resource events
   * (Update, and the cleanup's Delete that drains the old group) to stop-agents and the AZ suspender.
   */
  simulateStackUpdate(): Promise<StackUpdateResult>;
  /** Every custom-resource event sent so far (the Creates at start included) and its answer. */
  customResourceSteps(): readonly StackUpdateStep[];
  /** Every secret the sandbox planted (for the secret grep). */
  secrets(): readonly { readonly label: string; readonly value: string }[];
  /** Stops / restarts the EventBridge schedule (invocations already running go on). */
  pauseSchedule(): void;
  resumeSchedule(): void;
  /** Every log file path (for the secret grep). */
  logs(): string[];
  /** Pids of every process the sandbox started that is still alive. */
  pids(): number[];
  /** Pids of every process the sandbox ever started (for proving none survives `stop()`). */
  startedPids(): readonly number[];
  /**
   * Stops every process the sandbox started (moto, Lambdas, hosts) and closes its servers; every call (the signal's
   * included) resolves once that is done.
   */
  stop(): Promise<void>;
}

/** Thrown when the sandbox cannot start; the message names the fix. Everything started so far was stopped. */
export class SandboxStartError extends Error {
  override name = 'SandboxStartError';
}

/**
 * Starts the sandbox: moto (unless given), the Buildkite API stand-in, the stack's world from the synthesized
 * template, the real scaler bundles as Lambda runs them, and one simulated host per instance of moto's group.
 */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const children = new Set<ChildProcess>();
  const everStarted: number[] = [];
  const trackChild = (child: ChildProcess) => {
    if (child.pid !== undefined) everStarted.push(child.pid);
    children.add(child);
    child.once('exit', () => children.delete(child));
  };
  const stopAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch {
        // Keep stopping the rest: a failed cleanup must not leave other processes behind.
      }
    }
    for (const child of children) child.kill('SIGKILL');
  };
  try {
    return await start(
      options,
      cleanups,
      trackChild,
      stopAll,
      () => [...children],
      () => [...everStarted],
    );
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function start(
  options: SandboxOptions,
  cleanups: (() => Promise<void> | void)[],
  trackChild: (child: ChildProcess) => void,
  stopAll: () => Promise<void>,
  liveChildren: () => ChildProcess[],
  startedPids: () => number[],
): Promise<Sandbox> {
  const { timeScale } = options;
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) {
    throw new SandboxStartError(
      `timeScale must be a positive number (world seconds per real second), got ${timeScale}`,
    );
  }
  const paths = productPaths();
  const simulatedAgent = existsSync(paths.simulatedAgent)
    ? [process.execPath, paths.simulatedAgent]
    : [process.execPath, '--import', 'tsx', paths.simulatedAgentSource];
  requireBuilt({
    lifecycled: paths.lifecycled,
    stopAgentGracefully: paths.stopAgentGracefully,
    elasticCiInstance: paths.elasticCiInstance,
  });
  const runId = options.runId ?? sandboxRunId();
  const runLabel = { [SANDBOX_RUN_ID_VARIABLE]: runId };
  await mkdir(options.logDir, { recursive: true });
  const workDir = join(options.logDir, 'work');
  await mkdir(workDir, { recursive: true });

  let moto: AwsTarget;
  if (options.aws) {
    moto = options.aws;
  } else {
    // From the repository the sandbox lives in, whatever the working directory (`make demo` may run anywhere).
    const executable =
      options.motoExecutable ??
      process.env.ELASTIC_CI_MOTO_SERVER ??
      join(repositoryRoot(), '.venv', 'bin', 'moto_server');
    const server: RunningMotoServer = await startMotoServer({
      executable,
      ...(options.motoPort === undefined ? {} : { port: options.motoPort }),
      environment: runLabel,
    });
    cleanups.push(() => server.stop());
    moto = { endpoint: server.endpoint, region: server.region, credentials: server.credentials };
  }
  const gapProxy: MotoGapProxy = await startMotoGapProxy(moto.endpoint);
  cleanups.push(() => gapProxy.close());
  const productEndpoint = (await options.faults?.wrapAwsEndpoint?.(gapProxy.endpoint)) ?? gapProxy.endpoint;
  const productAws: AwsTarget = { ...moto, endpoint: productEndpoint };

  // Canary-shaped secrets: random per run, so the secret grep of the logs has something exact to look for.
  const agentToken = options.agentToken ?? `sandbox-agent-token-${randomBytes(12).toString('hex')}`;
  const webhookSecret = options.webhookSecret ?? `sandbox-webhook-secret-${randomBytes(12).toString('hex')}`;
  // The instance broker's function URL (moto has none): a local front that checks each host's SigV4 signature as IAM
  // would and puts the host's identity in the event; behind it, the broker bundle of the template runs as the other
  // functions do. Its function is known only once the world is built, and the world needs the URL first (the boot
  // contract carries it), so the front answers 503 until then — nothing calls it before a host boots.
  const brokerCallers = new Map<string, LocalFunctionUrlCaller>();
  const hostCredentials = new Map<string, { accessKeyId: string; secretAccessKey: string; sessionToken: string }>();
  let brokerLambda: LambdaFunction | undefined;
  const brokerFront: LocalFunctionUrl = await startLocalFunctionUrl({
    region: moto.region,
    callers: brokerCallers,
    handler: (event) => invokeBehindFunctionUrl(brokerLambda, event),
  });
  cleanups.push(() => brokerFront.close());

  const standIn = await startBuildkiteApiStandIn({
    token: agentToken,
    registrationToken: agentToken,
    ...options.faults?.standIn,
  });
  cleanups.push(() => standIn.close());

  const world = await buildWorld({
    aws: moto,
    workDir,
    world: options.world ?? {},
    timeScale,
    agentToken,
    webhookSecret,
    instanceBrokerUrl: brokerFront.url,
  });
  const startedAt = Date.now();
  const worldNow = () => ((Date.now() - startedAt) / 1000) * timeScale;

  const lambdaEnvironment = (fn: SandboxFunction) => ({
    ...fn.resolvedEnvironment,
    ...awsProcessEnvironment(productAws),
    // The template must name an https:// endpoint; the sandbox's Buildkite is the local stand-in.
    ...('BUILDKITE_AGENT_ENDPOINT' in fn.resolvedEnvironment ? { BUILDKITE_AGENT_ENDPOINT: standIn.endpoint } : {}),
    AWS_EC2_METADATA_DISABLED: 'true',
    // Sandbox bookkeeping, not a template variable (no function reads it): every container can be found by the run's
    // label. The one variable a container has beyond the template's and the sandbox's endpoints.
    ...runLabel,
  });
  const lambdaFor = (fn: SandboxFunction, maxConcurrency: number) => {
    const lambda = new LambdaFunction({
      functionName: fn.functionName,
      functionArn: `arn:aws:lambda:${world.region}:123456789012:function:${fn.functionName}`,
      bundlePath: fn.bundlePath,
      handler: fn.handler,
      timeoutSec: fn.timeoutSec,
      memorySizeMb: fn.memorySizeMb,
      maxConcurrency,
      environment: lambdaEnvironment(fn),
      logFile: join(options.logDir, `lambda-${fn.handler.split('.')[0]}-${fn.logicalId}.log`),
      workDir,
      onSpawn: trackChild,
    });
    cleanups.push(() => lambda.stop());
    return lambda;
  };
  const brokerFunction = world.functions.instanceBroker;
  brokerLambda =
    brokerFunction === undefined ? undefined : lambdaFor(brokerFunction, brokerFunction.reservedConcurrency ?? 3);
  // Each instance signs with credentials of its own, as each instance profile session is its own: the broker acts
  // for the instance whose session signed, never for one a request names.
  const credentialsOf = (instanceId: string) => {
    let credentials = hostCredentials.get(instanceId);
    if (credentials === undefined) {
      credentials = {
        accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
        secretAccessKey: `sandbox-host-secret-${randomBytes(12).toString('hex')}`,
        sessionToken: `sandbox-host-session-${randomBytes(12).toString('hex')}`,
      };
      hostCredentials.set(instanceId, credentials);
      const roleName = brokerFunction?.resolvedEnvironment.INSTANCE_ROLE_NAME ?? 'elastic-ci-agents';
      brokerCallers.set(credentials.accessKeyId, {
        secretAccessKey: credentials.secretAccessKey,
        sessionToken: credentials.sessionToken,
        userArn: `arn:aws:sts::${MOTO_ACCOUNT_ID}:assumed-role/${roleName}/${instanceId}`,
      });
    }
    return credentials;
  };

  let currentGroup = world.groupName;
  const scheduled = lambdaFor(world.functions.scheduled, world.functions.scheduled.reservedConcurrency ?? 1);
  const webhook =
    world.functions.webhook === undefined
      ? undefined
      : lambdaFor(
          world.functions.webhook,
          world.functions.webhook.reservedConcurrency ?? options.webhookConcurrency ?? 2,
        );

  const contract = world.bootContract as {
    agent?: { agentsPerInstance?: number; idleDisconnectTimeoutSeconds?: number; queue?: string };
    lifecycled?: { heartbeatIntervalSeconds?: number };
    lifecycle?: { instanceBrokerUrl?: string };
    stack?: { name?: string };
  };
  const queue = contract.agent?.queue ?? 'default';
  const groupNames = new Set([world.groupName]);
  const fleet = new HostFleet({
    // The fleet plays Auto Scaling and EC2 themselves (launch, replace, run commands): it talks to moto directly, so
    // a fault proxy in front of the product does not disturb the world it simulates.
    aws: moto,
    groupNames: () => [...groupNames],
    currentGroup: () => currentGroup,
    resumeDelayMs: ((options.world?.warmPoolResumeDelaySec ?? 20) * 1000) / timeScale,
    rootDir: join(options.logDir, 'hosts'),
    ...(options.maxConcurrentHosts === undefined ? {} : { maxConcurrentHosts: options.maxConcurrentHosts }),
    ...(options.fleetPollIntervalMs === undefined ? {} : { pollIntervalMs: options.fleetPollIntervalMs }),
    onSpawn: trackChild,
    hostAwsEnvironment: (instanceId) => {
      const credentials = credentialsOf(instanceId);
      return {
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_SESSION_TOKEN: credentials.sessionToken,
      };
    },
    hostTemplate: {
      region: world.region,
      timeScale,
      bootDelayMs: ((options.world?.bootDelaySec ?? 60) * 1000) / timeScale,
      awsEnvironment: awsProcessEnvironment(productAws),
      runId,
      programs: { lifecycled: paths.lifecycled, elasticCiInstance: paths.elasticCiInstance, simulatedAgent },
      agent: {
        endpoint: standIn.endpoint,
        token: agentToken,
        name: `${world.stackName}-%instance-%spawn`,
        tags: [`queue=${queue}`, `stack=${world.stackName}`],
        spawn: contract.agent?.agentsPerInstance ?? 1,
        // The contract holds the scaled (real) seconds; the simulated agent takes world seconds and the scale.
        idleTimeoutWorldSec: (contract.agent?.idleDisconnectTimeoutSeconds ?? 600) * timeScale,
      },
      lifecycled: {
        groupName: world.groupName,
        hookName: world.lifecycleHooks.find((hook) => hook.transition === 'autoscaling:EC2_INSTANCE_TERMINATING')?.name,
        heartbeatWorldSec: contract.lifecycled?.heartbeatIntervalSeconds ?? 10,
        instanceBrokerUrl: contract.lifecycle?.instanceBrokerUrl,
      },
      bootContract: world.bootContract,
    },
  });
  cleanups.push(() => fleet.stop());
  gapProxy.setCommandInvocations((commandId) => fleet.commandInvocations(commandId));
  gapProxy.setTerminatingInstances(() => fleet.terminatingInstances());

  // Stack creation: CloudFormation sends Create to the custom resources once the group exists.
  const customResources = new StackCustomResources({
    world,
    // CloudFormation's own calls (deleting the old group) go to moto directly; the functions use lambdaEnvironment.
    aws: moto,
    logDir: options.logDir,
    workDir,
    lambdaEnvironment,
    trackChild,
  });
  cleanups.push(() => customResources.stop());
  await customResources.create(world.groupName);

  // Desired-capacity changes, from the fleet's looks at moto.
  const actions: ScalingAction[] = [];
  const lastDesired = new Map<string, number>();
  const watchDesired = setInterval(() => {
    for (const group of fleet.groups()) {
      const previous = lastDesired.get(group.name);
      if (previous !== undefined && previous !== group.desired) {
        actions.push({
          worldSec: worldNow(),
          at: Date.now(),
          groupName: group.name,
          fromDesired: previous,
          toDesired: group.desired,
        });
      }
      lastDesired.set(group.name, group.desired);
    }
  }, options.fleetPollIntervalMs ?? 500);
  cleanups.push(() => clearInterval(watchDesired));
  fleet.start();

  const scheduledEvent = () => ({
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: world.region,
    resources: [`arn:aws:events:${world.region}:123456789012:rule/${world.stackName}-schedule`],
    detail: {},
  });
  const invokeScheduled = () => scheduled.invoke(scheduledEvent());
  // EventBridge starts the function every rate; with reserved concurrency 1 a start during a running invocation is
  // throttled (the schedule has no retries), as in AWS.
  let scheduleTimer: NodeJS.Timeout | undefined;
  const resumeSchedule = () => {
    if (scheduleTimer !== undefined) return;
    void invokeScheduled().catch(() => undefined);
    scheduleTimer = setInterval(
      () => void invokeScheduled().catch(() => undefined),
      (world.scheduleRateSec * 1000) / timeScale,
    );
  };
  const pauseSchedule = () => {
    clearInterval(scheduleTimer);
    scheduleTimer = undefined;
  };
  cleanups.push(pauseSchedule);
  if (options.schedule !== false) resumeSchedule();

  // One stop for every caller: the abort listener below and the owner may both stop, and the second must wait for the
  // first (the demo says "every process is stopped" and exits once its stop() resolves).
  let stopping: Promise<void> | undefined;
  const sandbox: Sandbox = {
    runId,
    worldNow,
    timeScale,
    standIn,
    awsEndpoint: productEndpoint,
    aws: moto,
    get groupName() {
      return currentGroup;
    },
    world,
    webhookSecret,
    async sample() {
      const jobs = standIn.jobs().filter((job) => job.queue === queue);
      const count = (...states: string[]) => jobs.filter((job) => states.includes(job.state)).length;
      const group = fleet.groups().find((candidate) => candidate.name === currentGroup);
      // moto launches no warm-pool instances: the fleet keeps the pool AWS would (see HostFleet).
      const warm = fleet.warmCount();
      return {
        worldSec: worldNow(),
        scheduled: count('scheduled'),
        running: count('assigned', 'accepted', 'running'),
        waiting: count('waiting'),
        desired: group?.desired ?? 0,
        inService: group?.instances.filter((instance) => instance.LifecycleState === 'InService').length ?? 0,
        warm,
        agents: standIn.agents().filter((agent) => agent.queue === queue && agent.state === 'connected').length,
      };
    },
    scalingActions: () => [...actions],
    warmPool: () => ({ size: fleet.warmCount(), ready: fleet.warmReadyCount(), resumed: fleet.resumedFromWarmPool() }),
    hosts: () => fleet.hosts(),
    host: (instanceId) => fleet.host(instanceId),
    hostEvents: () => fleet.events(),
    lifecycleActions: () => gapProxy.lifecycleActions(),
    async deliverWebhook(headers, body) {
      if (webhook === undefined) throw new SandboxStartError('the stack has no webhook function (buildkite.webhook)');
      const lowercased = Object.fromEntries(Object.entries(headers).map(([key, value]) => [key.toLowerCase(), value]));
      const now = Date.now();
      const outcome = await webhook.invoke({
        version: '2.0',
        routeKey: '$default',
        rawPath: '/',
        rawQueryString: '',
        headers: { 'content-type': 'application/json', ...lowercased },
        requestContext: {
          accountId: 'anonymous',
          apiId: 'sandbox',
          domainName: 'sandbox.lambda-url.local',
          domainPrefix: 'sandbox',
          http: { method: 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'Buildkite' },
          requestId: randomUUID(),
          routeKey: '$default',
          stage: '$default',
          time: new Date(now).toUTCString(),
          timeEpoch: now,
        },
        body,
        isBase64Encoded: false,
      });
      if (outcome.status === 'succeeded') {
        const result = (outcome.result ?? {}) as { statusCode?: number; body?: string };
        return { statusCode: result.statusCode ?? 200, body: String(result.body ?? ''), outcome };
      }
      // What a function URL answers: 429 when throttled, 502 for a failed or timed-out function.
      return { statusCode: outcome.status === 'throttled' ? 429 : 502, body: outcome.status, outcome };
    },
    invokeScheduled,
    lambdas: { scheduled, webhook, instanceBroker: brokerLambda },
    invocations: () =>
      [...scheduled.invocations(), ...(webhook?.invocations() ?? [])].sort((a, b) => a.startedAt - b.startedAt),
    simulateStackUpdate() {
      return customResources.update(
        currentGroup,
        async () => {
          const newGroup = await world.createReplacementGroup();
          groupNames.add(newGroup);
          const overrides = { [world.groupLogicalId]: newGroup };
          // CloudFormation updates the functions that Ref the group: new containers get the new ASG_NAME.
          for (const [lambda, fn] of [
            [scheduled, world.functions.scheduled],
            [webhook, world.functions.webhook],
          ] as const) {
            if (lambda === undefined || fn === undefined) continue;
            lambda.updateEnvironment(
              lambdaEnvironment({ ...fn, resolvedEnvironment: world.resolveEnvironment(fn, overrides) }),
            );
          }
          currentGroup = newGroup;
          return newGroup;
        },
        (oldGroup) => groupNames.delete(oldGroup),
      );
    },
    customResourceSteps: () => customResources.steps(),
    logs() {
      return [
        ...[scheduled, webhook, brokerLambda].flatMap((lambda) => (lambda === undefined ? [] : [lambda.logFile])),
        ...fleet.logs(),
        ...customResources.logs().filter((path) => existsSync(path)),
      ];
    },
    secrets: () => [
      { label: 'agent token', value: agentToken },
      { label: 'webhook secret', value: webhookSecret },
      ...[...hostCredentials].flatMap(([instanceId, credentials]) => [
        { label: `${instanceId}'s secret access key`, value: credentials.secretAccessKey },
        { label: `${instanceId}'s session token`, value: credentials.sessionToken },
      ]),
    ],
    pauseSchedule,
    resumeSchedule,
    pids() {
      return liveChildren().flatMap((child) => (child.pid === undefined ? [] : [child.pid]));
    },
    startedPids,
    stop() {
      stopping ??= stopAll();
      return stopping;
    },
  };
  options.signal?.addEventListener('abort', () => void sandbox.stop(), { once: true });
  return sandbox;
}

export { repositoryRoot };

/**
 * What a function URL answers for an invocation: the function's result, 429 when it is throttled, 502 when it fails
 * or times out (Lambda's own answers), 503 before the sandbox has the function.
 */
async function invokeBehindFunctionUrl(
  lambda: LambdaFunction | undefined,
  event: LambdaFunctionURLEvent,
): Promise<LambdaFunctionURLResult> {
  if (lambda === undefined) {
    return { statusCode: 503, body: JSON.stringify({ Message: 'Service Unavailable' }) };
  }
  let outcome: InvocationOutcome;
  try {
    outcome = await lambda.invoke(event);
  } catch {
    // The sandbox is stopping (its functions are stopped): as a function URL whose function is gone.
    return { statusCode: 502, body: JSON.stringify({ Message: 'Internal Server Error' }) };
  }
  if (outcome.status === 'succeeded') return (outcome.result ?? {}) as LambdaFunctionURLResult;
  return outcome.status === 'throttled'
    ? { statusCode: 429, body: JSON.stringify({ Message: 'Rate Exceeded.' }) }
    : { statusCode: 502, body: JSON.stringify({ Message: 'Internal Server Error' }) };
}
