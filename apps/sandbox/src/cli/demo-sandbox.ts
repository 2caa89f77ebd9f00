import type { DeliverWebhook } from '../replay/job-scheduled-webhook';
import type { InstanceBrokerTally } from '../report/broker-log';
import type { RecordedInstance, RecordedSample, RecordedScalingAction } from '../report/recorded-run';

/** A stand-in job as the demo reads it, with times in WORLD seconds since the sandbox started. */
export interface DemoJob {
  readonly id: string;
  readonly queue: string;
  readonly state: string;
  readonly scheduledAtSec?: number;
  readonly startedAtSec?: number;
  readonly finishedAtSec?: number;
  readonly interrupted: boolean;
}

/** What the demo starts: the world for one policy, in world seconds (adapter over `startSandbox`, contract §3–4). */
export interface DemoSandboxOptions {
  readonly timeScale: number;
  readonly queue: string;
  /** apps/infra stack config, WORLD durations. */
  readonly stackConfig: Record<string, unknown>;
  readonly bootDelaySec: number;
  readonly logDir: string | undefined;
  /** moto's loopback port; undefined = a free one. */
  readonly motoPort: number | undefined;
  readonly signal: AbortSignal;
}

/**
 * The running sandbox as the demo uses it. Every time is WORLD seconds since the sandbox started (`worldNow()`); the
 * adapter converts the stand-in's and moto's records.
 */
export interface DemoSandbox {
  worldNow(): number;
  addJob(job: { id: string; queue: string; durationSec: number; dependsOn: string[] }): void;
  /** Called for each job of any queue that becomes scheduled; returns the unsubscribe. */
  onJobScheduled(listener: (job: { id: string; queue: string }) => void): () => void;
  jobs(): readonly DemoJob[];
  sample(): Promise<RecordedSample>;
  scalingActions(): readonly RecordedScalingAction[];
  /** Scaling passes the real scaler completed so far. */
  scalerPasses(): number;
  /** Median real seconds between consecutive scheduled passes of one invocation; undefined before there are two. */
  scheduledPassGapRealSec(): number | undefined;
  instances(): readonly RecordedInstance[];
  /** What the instance broker did so far; undefined when the stack deploys none (`instanceBroker: false`). */
  instanceBrokerRequests(): InstanceBrokerTally | undefined;
  /** Where the sandbox's moto answers (credentials testing/testing). */
  readonly awsEndpoint: string;
  readonly webhookSecret: string | undefined;
  readonly deliverWebhook: DeliverWebhook | undefined;
  /** The simulated agents' ping interval, world seconds (what a job waits for an idle agent to notice it). */
  readonly agentPingIntervalSec: number | undefined;
  /** Settings the product could not take at this speed (raised to its minimum), in words. */
  readonly distortions: readonly string[];
  /** The directory every process of the run logs to; it is kept after the run (the report says where). */
  readonly logDir: string;
  logs(): string[];
  /** Stops every process the sandbox started; safe to call twice. */
  stop(): Promise<void>;
}

export type StartDemoSandbox = (options: DemoSandboxOptions) => Promise<DemoSandbox>;
