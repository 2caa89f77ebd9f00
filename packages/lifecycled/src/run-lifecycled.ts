import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  AutoScalingGroupLookupAdapter,
  AutoScalingLifecycleAdapter,
  type GroupLookupPort,
  InstanceBrokerLifecycleAdapter,
  type LifecycleActionPort,
  SqsSnsAdapter,
} from './aws-adapters';
import { type Clock, systemClock } from './clock';
import { type CloudWatchLogsSink, createCloudWatchLogsSink } from './cloudwatch-logs-sink';
import { type LifecycledConfig, parseConfig, usage } from './config';
import { runDaemon } from './daemon';
import { ConfigError } from './errors';
import { processHandlerRunner } from './handler-runner';
import { ImdsClient } from './imds-client';
import { type InstanceBrokerClientFactory, lazyInstanceBrokerClient } from './instance-broker';
import { lifecycleStateFile } from './lifecycle-state-file';
import { type Listener, spotListener, targetLifecycleStateListener } from './listeners';
import { createLogger, formatJson, formatText, type Logger, type LogSink, streamSink } from './logger';
import { isSdkNodeVersionNotice, routeProcessWarnings, type WarningEmitter, warningFields } from './process-warnings';
import { withRetries } from './retry';
import { DEFAULT_STOP_AGENT_STATE_DIR, forgetSigtermMarkers } from './run-stop-agent';
import { sqsListener } from './sqs-listener';
import { VERSION } from './version';

export interface LifecycledIo {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Aborts on SIGTERM/SIGINT. */
  stop: AbortSignal;
  clock?: Clock;
  /** Where Node reports process warnings (`process`); they are logged as entries instead of printed as plain text. */
  processWarnings?: WarningEmitter;
  /** Overrides for the AutoScaling ports (tests: a recording stand-in for the two calls moto lacks). */
  lifecycleActions?: LifecycleActionPort;
  groupLookup?: GroupLookupPort;
  /** The instance broker client with `--instance-broker-url` (tests: a local front's client). Default: the real one. */
  instanceBrokerClient?: InstanceBrokerClientFactory;
}

/** Exit codes: 0 drained or stopped, 1 runtime failure (systemd restarts), 2 bad flags or environment. */
export async function runLifecycled(io: LifecycledIo): Promise<number> {
  let config: LifecycledConfig;
  try {
    const parsed = parseConfig(io.argv, io.env);
    if (parsed.kind === 'help') {
      io.stdout.write(usage());
      return 0;
    }
    if (parsed.kind === 'version') {
      io.stdout.write(`lifecycled ${VERSION}\n`);
      return 0;
    }
    config = parsed.config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(`${error.message}\n`);
    return 2;
  }

  const clock = io.clock ?? systemClock;
  const sinks: LogSink[] = [streamSink(io.stderr, config.json ? formatJson : formatText)];
  const logger = createLogger({ sinks, minimumLevel: config.debug ? 'debug' : 'info', now: () => clock.now() });
  const imds = new ImdsClient({ endpoint: config.imdsEndpoint, clock, timeoutMs: config.imdsTimeoutMs });
  // Not undone on return: a warning emitted while the process winds down must not fall back to plain text either.
  if (io.processWarnings) {
    routeProcessWarnings(io.processWarnings, (warning) => {
      const level = isSdkNodeVersionNotice(warning) ? 'debug' : 'warn';
      logger[level]('Node.js warning', { warning: warningFields(warning) });
    });
  }

  let cloudWatch: CloudWatchLogsSink | undefined;
  try {
    const instanceId = config.instanceId ?? (await lookUpInstanceId(imds, clock, io.stop));
    const region = await resolveRegion(io.env, imds, logger);
    if (!region) {
      logger.error('No region resolved; set AWS_REGION or AWS_DEFAULT_REGION, or run where instance metadata answers');
      return 1;
    }
    const awsConfig = { region, maxAttempts: 4 };
    if (config.cloudwatchGroup) {
      cloudWatch = await createCloudWatchLogsSink({
        client: new CloudWatchLogsClient(awsConfig),
        logGroupName: config.cloudwatchGroup,
        logStreamName: config.cloudwatchStream ?? instanceId,
        reportFailure: (message) => io.stderr.write(`${message}\n`),
      });
      sinks.push(cloudWatch.sink);
    }
    const daemonLogger = logger.child({ instanceId });
    daemonLogger.info('lifecycled starting', {
      version: VERSION,
      handler: config.handler.description,
      region,
      lifecycleActionsVia: config.instanceBrokerUrl === undefined ? 'auto-scaling' : 'instance-broker',
    });
    const autoScaling = new AutoScalingClient(awsConfig);
    const lifecycleActions =
      io.lifecycleActions ??
      (config.instanceBrokerUrl === undefined
        ? new AutoScalingLifecycleAdapter(autoScaling)
        : new InstanceBrokerLifecycleAdapter(
            (io.instanceBrokerClient ?? lazyInstanceBrokerClient)({ url: config.instanceBrokerUrl, region }),
          ));
    const result = await runDaemon(
      {
        instanceId,
        listeners: buildListeners(config, { imds, clock, logger: daemonLogger, instanceId, awsConfig }),
        runHandler: processHandlerRunner({
          handler: config.handler,
          env: io.env,
          logger: daemonLogger.child({ source: 'handler' }),
          clock,
          killTimeoutMs: config.handlerKillTimeoutMs,
        }),
        lifecycleActions,
        groupLookup: io.groupLookup ?? new AutoScalingGroupLookupAdapter(autoScaling),
        clock,
        logger: daemonLogger,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        lifecycleStateIntervalMs: config.lifecycleStateIntervalMs,
        configured: {
          autoScalingGroupName: config.autoscalingGroupName,
          lifecycleHookName: config.lifecycleHookName,
        },
        stateStore: config.stateDir === undefined ? undefined : lifecycleStateFile(config.stateDir),
        // The default handler's markers live here (its STOP_AGENT_STATE_DIR comes from this same environment).
        forgetFinishedDrain: () => forgetSigtermMarkers(io.env.STOP_AGENT_STATE_DIR || DEFAULT_STOP_AGENT_STATE_DIR),
      },
      io.stop,
    );
    if (result.kind === 'listener-failed') return 1;
    daemonLogger.info('lifecycled exiting', { result: result.kind });
    return 0;
  } catch (error) {
    logger.error('lifecycled failed', { error });
    return 1;
  } finally {
    await cloudWatch?.close();
  }
}

async function lookUpInstanceId(imds: ImdsClient, clock: Clock, signal: AbortSignal): Promise<string> {
  const answer = await withRetries(() => imds.get('instance-id', signal), {
    clock,
    // Each try already retries inside the client; systemd restarts the daemon if this still fails.
    attempts: 3,
    baseDelayMs: 500,
    maxDelayMs: 2_000,
    signal,
    isRetryable: () => true,
  }).catch((error: unknown) => {
    throw new Error(`Failed to lookup instance id (set --instance-id off EC2): ${(error as Error).message}`, {
      cause: error,
    });
  });
  const instanceId = answer.found ? answer.body.trim() : '';
  if (!/^i-[0-9a-f]{8,17}$/.test(instanceId)) {
    throw new Error('Failed to lookup instance id: instance metadata did not return one (set --instance-id)');
  }
  return instanceId;
}

async function resolveRegion(env: NodeJS.ProcessEnv, imds: ImdsClient, logger: Logger): Promise<string | undefined> {
  const fromEnv = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim();
  if (fromEnv) return fromEnv;
  try {
    const answer = await imds.get('placement/region');
    const region = answer.found ? answer.body.trim() : '';
    return /^[a-z]{2}(-[a-z]+)+-\d$/.test(region) ? region : undefined;
  } catch (error) {
    logger.warn('Could not read the region from instance metadata', { error });
    return undefined;
  }
}

function buildListeners(
  config: LifecycledConfig,
  context: {
    imds: ImdsClient;
    clock: Clock;
    logger: Logger;
    instanceId: string;
    awsConfig: { region: string; maxAttempts: number };
  },
): Listener[] {
  const listeners: Listener[] = [];
  if (config.lifecycleStateListener) {
    listeners.push(
      targetLifecycleStateListener({
        imds: context.imds,
        clock: context.clock,
        intervalMs: config.lifecycleStateIntervalMs,
        logger: context.logger.child({ listener: 'target-lifecycle-state' }),
      }),
    );
  }
  if (config.spotListener) {
    listeners.push(
      spotListener({
        imds: context.imds,
        clock: context.clock,
        intervalMs: config.spotListenerIntervalMs,
        logger: context.logger.child({ listener: 'spot' }),
      }),
    );
  }
  if (config.snsTopicArn) {
    const adapter = new SqsSnsAdapter(new SQSClient(context.awsConfig), new SNSClient(context.awsConfig));
    listeners.push(
      sqsListener({
        queues: adapter,
        topics: adapter,
        clock: context.clock,
        logger: context.logger.child({ listener: 'sqs' }),
        instanceId: context.instanceId,
        topicArn: config.snsTopicArn,
        tags: config.queueTags,
        waitTimeSeconds: config.sqsWaitTimeSeconds,
      }),
    );
  }
  return listeners;
}
