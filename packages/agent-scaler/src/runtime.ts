import { type AgentMetricsClient, createAgentMetricsClient } from '@elastic-ci/buildkite-api';
import { type Decision, type DecisionInput, decide } from '@elastic-ci/scaler-core';
import type { Context } from 'aws-lambda';
import {
  type AwsClientOptions,
  awsClientSettings,
  createAutoScalingAdapter,
  createDynamoDbLeaseAdapter,
  createInstanceDetailsAdapter,
  createParameterStoreAdapter,
} from './aws-adapters';
import { type Clock, systemClock } from './clock';
import { type AgentScalerConfig, type Environment, parseAgentScalerConfig } from './config';
import { pollDeadlineMs, runPollLoop } from './poll-loop';
import type { AutoScalingPort, InstanceDetailsPort, ParameterStorePort, ScalingLeasePort } from './ports';
import { createQueueMetricsSource } from './queue-metrics-source';
import { createActivityDerivedStateStore, createSsmStateStore, type ScalerStateStore } from './scaler-state-store';
import { createLeasedPassRunner } from './scaling-lease';
import { lastSeenOrganizationSlug, type PassOutcome, type PassTrigger, runScalingPass } from './scaling-pass';
import { SingleFlight } from './single-flight';
import { deterministicJitterMs } from './startup-jitter';
import { createTelemetry, type Telemetry } from './telemetry';
import { CachedSecret } from './token-cache';

export interface ScalerRuntimePorts {
  clock?: Clock;
  autoScaling: AutoScalingPort;
  instanceDetails: InstanceDetailsPort;
  parameterStore: ParameterStorePort;
  /** Required when the config has a lease (`SCALER_LOCK_TABLE`), ignored otherwise. */
  lease?: ScalingLeasePort;
  /** Names this container in lease owners; a random id by default. */
  containerId?: string;
  metricsClient?: AgentMetricsClient;
  telemetry?: Telemetry;
  decide?: (input: DecisionInput) => Decision;
}

export interface ScalerRuntime {
  config: AgentScalerConfig;
  telemetry: Telemetry;
  clock: Clock;
  /** The webhook token from SSM, cached for the container's life. */
  webhookSecret: CachedSecret | undefined;
  /**
   * One scaling pass, single-flight per group within this container and, with a lease configured, across containers.
   * Without the lease it is skipped, or with `leaseWaitUntilMs` retried until that time (epoch ms).
   */
  pass(trigger: PassTrigger, options?: { leaseWaitUntilMs?: number | undefined }): Promise<PassOutcome>;
  /** The scheduled invocation: jitter, then passes every interval until the deadline. */
  pollUntilDeadline(context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<{ passes: number }>;
}

/** Everything one container keeps between invocations: config, clients, the cached token and scaler state. */
export function createScalerRuntime(config: AgentScalerConfig, ports: ScalerRuntimePorts): ScalerRuntime {
  const clock = ports.clock ?? systemClock;
  const telemetry = ports.telemetry ?? createTelemetry({ publishMetrics: config.publishMetrics });
  const agentToken = new CachedSecret(() => ports.parameterStore.getSecureString(config.agentTokenParameter));
  const webhookParameter = config.webhook.secretParameter;
  const webhookSecret =
    webhookParameter === undefined
      ? undefined
      : new CachedSecret(() => ports.parameterStore.getSecureString(webhookParameter));
  const metricsClient =
    ports.metricsClient ??
    createAgentMetricsClient({
      endpoint: config.agentEndpoint,
      userAgent: config.userAgent,
      timeoutMs: config.requestTimeoutMs,
      now: () => clock.now(),
    });
  const activityScan = {
    autoScaling: ports.autoScaling,
    groupName: config.groupName,
    timeoutMs: config.activityScanTimeoutMs,
    maxPages: config.maxActivityPages,
    wantScaleOut: !config.scaler.disableScaleOut,
    wantScaleIn: !config.scaler.disableScaleIn || config.scaler.elasticCiMode,
    drains: config.scaler.scaleIn.strategy === 'drain',
    clock,
    onWarning: (message: string, details: Record<string, unknown>) => telemetry.logger.warn(message, details),
  };
  const stateStore: ScalerStateStore =
    config.stateParameter === undefined
      ? createActivityDerivedStateStore(activityScan)
      : createSsmStateStore({
          parameterStore: ports.parameterStore,
          parameterName: config.stateParameter,
          activityScan,
          clock,
          onWarning: (message) => telemetry.logger.warn(message),
        });
  const dependencies = {
    config,
    clock,
    metricsSource: createQueueMetricsSource(metricsClient, agentToken, config.queue),
    autoScaling: ports.autoScaling,
    instanceDetails: ports.instanceDetails,
    zombieSightings: new Map<string, number>(),
    stateStore,
    decide: ports.decide ?? decide,
    telemetry,
  };
  const singleFlight = new SingleFlight<PassOutcome>();
  const leaseConfig = config.lease;
  if (leaseConfig !== undefined && ports.lease === undefined) {
    throw new Error('createScalerRuntime: the config has a scaling lease (SCALER_LOCK_TABLE) but no lease port');
  }
  const leased =
    leaseConfig === undefined || ports.lease === undefined
      ? undefined
      : createLeasedPassRunner({
          lease: ports.lease,
          groupName: config.groupName,
          ttlMs: leaseConfig.ttlMs,
          clock,
          logger: telemetry.logger,
          ...(ports.containerId === undefined ? {} : { containerId: ports.containerId }),
        });
  // The in-container single-flight comes first: passes this container coalesces never ask DynamoDB at all.
  const pass = (trigger: PassTrigger, options: { leaseWaitUntilMs?: number | undefined } = {}) =>
    singleFlight.run(config.groupName, async () => {
      if (leased === undefined) return runScalingPass(dependencies, trigger);
      const outcome = await leased(
        trigger,
        (actBeforeMs, callsEndByMs) => runScalingPass(dependencies, trigger, { actBeforeMs, callsEndByMs }),
        options.leaseWaitUntilMs,
      );
      // A lease store that fails (a wrong table, a missing permission) stops all scaling: counted as a scaling error
      // like any failed pass, so an alarm on ScalingErrors sees it. A lease held by another pass is no error.
      if (outcome.status === 'skipped' && outcome.reason === 'lease-unavailable') {
        telemetry.publishPassMetrics({
          organizationSlug: lastSeenOrganizationSlug(),
          queue: config.queue,
          error: true,
        });
      }
      return outcome;
    });

  return {
    config,
    telemetry,
    clock,
    webhookSecret,
    pass,
    async pollUntilDeadline(context) {
      const nowMs = clock.now();
      const deadlineMs = pollDeadlineMs({
        nowMs,
        remainingTimeMs: context.getRemainingTimeInMillis(),
        invocationBudgetMs: config.invocationBudgetMs,
        deadlineMarginMs: config.deadlineMarginMs,
      });
      const result = await runPollLoop({
        clock,
        startupJitterMs: deterministicJitterMs(config.groupName, config.startupJitterMaxMs),
        intervalMs: config.pollIntervalMs,
        deadlineMs,
        pass: () => pass('schedule'),
        onIntervalIncrease: (fromMs, toMs) =>
          telemetry.logger.info('increasing poll interval as the Buildkite API asked', { fromMs, toMs }),
      });
      return { passes: result.passes };
    },
  };
}

/** The production runtime: config from the environment, AWS SDK v3 adapters. */
export function createRuntimeFromEnvironment(
  environment: Environment,
  options: { requireWebhook?: boolean; aws?: AwsClientOptions; clock?: Clock } = {},
): ScalerRuntime {
  const config = parseAgentScalerConfig(environment, options);
  const settings = awsClientSettings(environment, options.aws);
  return createScalerRuntime(config, {
    ...(options.clock ? { clock: options.clock } : {}),
    autoScaling: createAutoScalingAdapter(settings),
    instanceDetails: createInstanceDetailsAdapter(settings),
    parameterStore: createParameterStoreAdapter(settings),
    ...(config.lease === undefined ? {} : { lease: createDynamoDbLeaseAdapter(settings, config.lease.tableName) }),
  });
}
