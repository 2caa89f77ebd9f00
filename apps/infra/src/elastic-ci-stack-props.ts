import type * as cdk from 'aws-cdk-lib';
import { Duration } from 'aws-cdk-lib';
import type { AgentFleetOptions } from './agent-fleet/agent-fleet-options';

/**
 * The props of {@link ElasticCiStack}: flat, one option per setting, every optional one with its `@default`.
 * Units are in the names (`…Sec`, `…Days`, `…Mb`). The typed config file and the Buildkite parameter-file mapping
 * (`src/config/`) both produce this shape, so names here are a contract: rename one and both mappings break.
 *
 * Fleet options (VPC, instances, launch template, group sizes, warm pool, buckets, instance IAM) come from the
 * fleet construct's `AgentFleetOptions`; the control plane (agent token, scaler, webhook, custom resources,
 * logs, dashboard) is declared here.
 */

/** Where the Buildkite agent registration token comes from. Exactly one source must be set. */
export interface AgentTokenOptions {
  /**
   * An existing SSM parameter (SecureString recommended) holding the agent token: a name (`/buildkite/agent-token`)
   * or a parameter ARN (cross-account via RAM). Read by the scaler and the instances with `ssm:GetParameter`.
   * @default - not used
   */
  readonly agentTokenParameterName?: string | undefined;
  /**
   * The KMS key (ARN) that encrypts `agentTokenParameterName`, when it is not the AWS-managed `aws/ssm` key; the
   * scaler and the instance role get `kms:Decrypt` on it through Parameter Store, for that parameter only.
   * @default - the AWS-managed key (no extra grant)
   */
  readonly agentTokenParameterKmsKeyArn?: string | undefined;
  /**
   * An existing Secrets Manager secret (full ARN) whose string is the agent token. Read through SSM's
   * `/aws/reference/secretsmanager/<name>` so the scaler and the instances need only `ssm:GetParameter` +
   * `secretsmanager:GetSecretValue` on that one secret.
   * @default - not used
   */
  readonly agentTokenSecretArn?: string | undefined;
  /**
   * Take the token at deploy time: the template declares a `NoEcho` CloudFormation parameter `BuildkiteAgentToken`
   * and stores its value in a Secrets Manager secret the stack creates (encrypted at rest; the token never appears
   * in the template, the asset files or the outputs). `make deploy` takes it from the environment variable
   * `BUILDKITE_AGENT_TOKEN` and keeps it off every command line; `--parameter-overrides BuildkiteAgentToken=…` of
   * other tools puts it on theirs.
   * @default false
   */
  readonly agentTokenFromDeployParameter?: boolean | undefined;
}

/** `SCALE_IN_STRATEGY` of agent-scaler. */
export type ScaleInStrategy = 'set-desired' | 'drain';
/** `SCALE_IN_ORDER` of agent-scaler (only with the `drain` strategy). */
export type ScaleInOrder = 'oldest-first' | 'newest-first' | 'longest-idle-first';
/** Architecture of the control-plane Lambdas (the bundles are plain JavaScript: both work). */
export type LambdaArchitectureName = 'arm64' | 'x86_64';

/** The agent-scaler Lambdas (scheduled poll + optional webhook): every setting its README documents. */
export interface ScalerOptions {
  /**
   * Which defaults the scaler and the warm pool start from. `buildkite`: Buildkite's stack defaults, option for
   * option. `elastic-ci`: the benchmarked policy (scaler-core's `ELASTIC_CI_POLICY`: a warm pool of stopped instances
   * sized by the forecast and the waiting jobs and reused on scale-in, capacity for waiting jobs just in time, no
   * cooldowns, the longest-idle instance drained after 45 s idle) — it needs one instance type and on-demand
   * capacity, as every warm pool does. Options you set win over either; `scalerPolicies` merges key by key.
   * @default 'buildkite'
   */
  readonly scalingProfile?: 'buildkite' | 'elastic-ci' | undefined;
  /**
   * Scale-out step multiplier (`SCALE_OUT_FACTOR`, > 0; rounds up).
   * @default 1
   */
  readonly scaleOutFactor?: number | undefined;
  /**
   * Scale-in step multiplier (`SCALE_IN_FACTOR`, > 0; rounds down).
   * @default 1
   */
  readonly scaleInFactor?: number | undefined;
  /**
   * Minimum time between two scale-outs (`SCALE_OUT_COOLDOWN_PERIOD`), seconds.
   * @default 300
   */
  readonly scaleOutCooldownSec?: number | undefined;
  /**
   * Minimum time between two scale-ins (`SCALE_IN_COOLDOWN_PERIOD`), seconds.
   * @default 3600
   */
  readonly scaleInCooldownSec?: number | undefined;
  /**
   * Cooldowns count from the last scaling event of either direction (`SCALE_ONLY_AFTER_ALL_EVENT`).
   * @default false
   */
  readonly scaleOnlyAfterAllEvent?: boolean | undefined;
  /**
   * Count jobs waiting behind `wait` steps as demand (`INCLUDE_WAITING`).
   * @default false
   */
  readonly includeWaitingJobs?: boolean | undefined;
  /**
   * Extra instances kept while any job exists (`INSTANCE_BUFFER`, Buildkite semantics), ≥ 0.
   * @default 0
   */
  readonly instanceBuffer?: number | undefined;
  /**
   * Cap on the job-based instance count (`MAX_INSTANCE_CAP`); 0 = no cap.
   * @default 0
   */
  readonly maxInstanceCap?: number | undefined;
  /**
   * Add one instance when connected agents / expected agents falls below this (`AVAILABILITY_THRESHOLD`); 0 = off.
   * @default 0.5
   */
  readonly availabilityThreshold?: number | undefined;
  /**
   * The scaler never lowers desired capacity (`DISABLE_SCALE_IN`): idle instances retire themselves after
   * `agentDisconnectAfterIdleTimeout` (Buildkite's default behaviour).
   * @default true
   */
  readonly disableScaleIn?: boolean | undefined;
  /**
   * The scaler never raises desired capacity (`DISABLE_SCALE_OUT`).
   * @default false
   */
  readonly disableScaleOut?: boolean | undefined;
  /**
   * Buildkite's experimental Elastic CI mode flag (`ELASTIC_CI_MODE`).
   * @default false
   */
  readonly elasticCiMode?: boolean | undefined;
  /**
   * Hold instead of acting on Buildkite metrics older than this (`STALE_METRICS_AFTER`), seconds.
   * @default - scaler-core's default (120 s)
   */
  readonly staleMetricsAfterSec?: number | undefined;
  /**
   * How the scaler scales in (`SCALE_IN_STRATEGY`): `set-desired` (the group picks, scale-in protection keeps busy
   * instances) or `drain` (the scaler picks unprotected idle instances and terminates them through the lifecycle hook).
   * @default 'set-desired'
   */
  readonly scaleInStrategy?: ScaleInStrategy | undefined;
  /**
   * Drain order (`SCALE_IN_ORDER`, `drain` strategy only).
   * @default 'oldest-first'
   */
  readonly scaleInOrder?: ScaleInOrder | undefined;
  /**
   * Never drain an instance younger than this (`SCALE_IN_MIN_RUNNING_TIME`), seconds.
   * @default 0
   */
  readonly scaleInMinRunningTimeSec?: number | undefined;
  /**
   * Spare idle agent slots kept ready (`IDLE_COUNT`).
   * @default 0
   */
  readonly idleAgentCount?: number | undefined;
  /**
   * Growth throttle: instance launches per second allowed on average (`GROWTH_THROTTLE_LAUNCHES_PER_SEC`).
   * @default - no throttle
   */
  readonly growthThrottleLaunchesPerSec?: number | undefined;
  /**
   * Growth throttle burst (`GROWTH_THROTTLE_BURST`), whole launches; only with `growthThrottleLaunchesPerSec`.
   * @default - no throttle
   */
  readonly growthThrottleBurst?: number | undefined;
  /**
   * Structured scaler-core policies passed as `SCALER_POLICIES` JSON (`overProvision`, `idlePool`,
   * `scheduledMinimums`, `growthThrottle`, `stepScaling`, `scaleIn`, `warmPool`, `costs`, `forecast`,
   * `dependencies`). A path that an option above sets (`warmPool.prepareForWaitingJobs`, `warmPool.minSize`,
   * `scaleIn.strategy`, …) is refused, naming the option: the scaler's variable would win and the value would be
   * ignored.
   * @default - none
   */
  readonly scalerPolicies?: Readonly<Record<string, unknown>> | undefined;
  /**
   * Let the scaler keep the warm pool's `MinSize` (`WARM_POOL_ENABLED`, floor `warmPoolMinSize`); needs
   * `warmPoolEnabled`.
   * @default - `warmPoolEnabled`
   */
  readonly warmPoolScalerManaged?: boolean | undefined;
  /**
   * Raise the warm pool's `MinSize` for jobs waiting behind `wait` steps (`WARM_POOL_PREPARE_FOR_WAITING_JOBS`).
   * @default false
   */
  readonly warmPoolPrepareForWaitingJobs?: boolean | undefined;
  /**
   * Replace zombie instances (`ZOMBIE_CHECK` of the scheduled scaler): each pass marks unhealthy (the group replaces
   * them) InService, unprotected instances launched at least `zombieGracePeriod` ago whose `elastic-ci:agent-state`
   * tag has not said `running` for 2 minutes. Only for the elastic-ci agent image, whose agent unit writes that tag
   * seconds after the agent starts: on any other image (the default `imageIdSsmParameterName` is stock Amazon Linux)
   * every instance would be replaced after the grace period, which is why it is off by default. Needs the scaler
   * (`minSize` < `maxSize`); grants the scheduled scaler `autoscaling:SetInstanceHealth` on the group and
   * `ec2:DescribeInstances`.
   * @default false
   */
  readonly zombieCheckEnabled?: boolean | undefined;
  /**
   * An instance launched less than this long ago is never judged a zombie (`ZOMBIE_GRACE_PERIOD`: boot, agent start,
   * warm-pool resume), whole seconds from 5 minutes to 24 hours; only with `zombieCheckEnabled`.
   * @default Duration.minutes(10)
   */
  readonly zombieGracePeriod?: Duration | undefined;
  /**
   * Zombies marked unhealthy per scaler pass at most, oldest first (`ZOMBIE_MAX_PER_PASS`), 1–20; only with
   * `zombieCheckEnabled`.
   * @default 3
   */
  readonly zombieMaxInstancesPerPass?: number | undefined;
  /**
   * How often EventBridge starts the scheduled scaler, seconds (a multiple of 60: `rate(n minutes)`).
   * @default 60
   */
  readonly scalerScheduleIntervalSec?: number | undefined;
  /**
   * Poll interval inside one scheduled invocation (`LAMBDA_INTERVAL`), seconds, ≥ 1.
   * @default 10
   */
  readonly scalerPollIntervalSec?: number | undefined;
  /**
   * How long one scheduled invocation keeps polling (`LAMBDA_TIMEOUT`), seconds; the function timeout is this + 70 s.
   * @default 50
   */
  readonly scalerInvocationBudgetSec?: number | undefined;
  /**
   * Deterministic start delay bound (`LAMBDA_STARTUP_JITTER_MAX`), seconds, so many stacks do not poll together.
   * @default 0
   */
  readonly scalerStartupJitterMaxSec?: number | undefined;
  /**
   * Share one scaling lease per group across containers in a DynamoDB table the stack creates (`SCALER_LOCK_TABLE`).
   * @default true
   */
  readonly scalerLeaseEnabled?: boolean | undefined;
  /**
   * Lease lifetime (`SCALER_LOCK_TTL`), seconds, ≥ 10.
   * @default 30
   */
  readonly scalerLeaseTtlSec?: number | undefined;
  /**
   * How long a webhook pass waits for the lease (`SCALER_LOCK_WAIT`), seconds.
   * @default 10
   */
  readonly scalerLeaseWaitSec?: number | undefined;
  /**
   * Managed policies (ARNs) added to the scaler functions' role.
   * @default - none
   */
  readonly scalerManagedPolicyArns?: readonly string[] | undefined;
}

/** The Buildkite webhook function URL (`job.scheduled` → an immediate scaling pass). */
export interface WebhookOptions {
  /**
   * Deploy the webhook function and its URL (auth type `NONE`: the handler verifies every request's signature).
   * @default false
   */
  readonly webhookEnabled?: boolean | undefined;
  /**
   * An existing SSM SecureString (name or ARN) holding the Buildkite webhook token.
   * @default - the stack creates a Secrets Manager secret with a generated token (read it after deploy and paste it
   * into Buildkite's notification service), read through `/aws/reference/secretsmanager/…`
   */
  readonly webhookSecretParameterName?: string | undefined;
  /**
   * Accept `X-Buildkite-Token` when no `X-Buildkite-Signature` is sent (`WEBHOOK_ALLOW_TOKEN_HEADER`). Off by default:
   * a signature also proves freshness.
   * @default false
   */
  readonly webhookAllowTokenHeader?: boolean | undefined;
  /**
   * Accepted distance between the signature's timestamp and now (`WEBHOOK_REPLAY_WINDOW`), seconds.
   * @default 300
   */
  readonly webhookReplayWindowSec?: number | undefined;
  /**
   * Reserved concurrency of the webhook function, 1–1000: the most webhook invocations that run at once, and capacity
   * no other function can take. The function URL is public, so without it a flood of requests (even unsigned ones,
   * refused by the handler) can use up the account's concurrency and throttle every other Lambda in the region; with
   * it, the excess gets 429 and the scheduled scaler still scales within a minute. Off by default: Lambda refuses a
   * deploy that would leave the account fewer than 100 unreserved executions (the default quota of 1000 has room for
   * it beside the scheduled scaler's 1; a new account's quota of 10 or 50 has room for neither).
   * @default - no reservation (the function shares the account's unreserved concurrency)
   */
  readonly webhookReservedConcurrency?: number | undefined;
}

/** The functions around the group's lifecycle: the instance broker and the custom resources. */
export interface LifecycleResourceOptions {
  /**
   * Make the instances' Auto Scaling writes (scale-in protection, lifecycle-action completion and heartbeats, health,
   * terminate) through the instance broker: a Lambda behind a function URL with IAM auth that acts only on the instance
   * whose credentials signed the request. The instance role then has none of those actions on the stack's group (only on a group replaced by switching the broker on, until it is drained and deleted); the broker's resource
   * policy lets it (and only it) invoke the URL. It protects against a job acting on *another* instance of its fleet:
   * IAM has no condition key for the target instance, so with direct calls any job can complete another instance's
   * termination lifecycle action or unprotect it, and kill the job running there. It costs one Lambda invocation per
   * job start and end and per lifecycle heartbeat (every 10 s while an instance drains: lifecycled's interval) and one
   * log record each. `false` restores the direct calls (the role gets the five actions back, on the fleet's own group)
   * and deploys no broker.
   * @default true
   */
  readonly instanceBroker?: boolean | undefined;
  /**
   * Suspend `AZRebalance` on the group (az-rebalancing-suspender) so Auto Scaling never kills a busy instance to
   * even out zones.
   * @default true
   */
  readonly azRebalancingSuspenderEnabled?: boolean | undefined;
  /**
   * Drain a replaced or deleted group gracefully (stop-agents) before CloudFormation deletes it. Turning it off on a
   * deployed stack removes the custom resource, and CloudFormation's Delete of it drains the *current* group once:
   * every agent stops after its job and capacity is held at 0 until the drain ends (up to
   * `stopAgentsDrainTimeoutSec`). Do that when the queue may stand still.
   * @default true
   */
  readonly stopAgentsEnabled?: boolean | undefined;
  /**
   * Longest a drain may take (`DRAIN_TIMEOUT_SECONDS`), 60–3540 seconds.
   * @default 3000
   */
  readonly stopAgentsDrainTimeoutSec?: number | undefined;
  /**
   * Time between two looks at the draining group (`POLL_INTERVAL_SECONDS`), 5–300 seconds.
   * @default 15
   */
  readonly stopAgentsPollIntervalSec?: number | undefined;
  /**
   * Answer when instances are still busy at the drain deadline (`ON_DRAIN_TIMEOUT`): `fail` keeps the old group
   * (nothing is killed), `succeed` lets CloudFormation delete it.
   * @default 'fail'
   */
  readonly stopAgentsOnDrainTimeout?: 'fail' | 'succeed' | undefined;
}

/** Logs, dashboard, Lambda platform. */
export interface ObservabilityOptions {
  /**
   * Retention of every control-plane log group, days (one of CloudWatch's allowed values: 1, 3, 5, 7, 14, 30, 60,
   * 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653).
   * @default 30
   */
  readonly logRetentionDays?: number | undefined;
  /**
   * Create the CloudWatch dashboard (queue demand vs capacity, decisions, warm pool, Lambda errors and duration).
   * @default true
   */
  readonly dashboardEnabled?: boolean | undefined;
  /**
   * Architecture of the control-plane Lambdas.
   * @default 'arm64'
   */
  readonly lambdaArchitecture?: LambdaArchitectureName | undefined;
  /**
   * Permissions boundary (managed policy ARN) of the control-plane roles (scaler, custom resources).
   * @default - `instanceRolePermissionsBoundaryArn` (Buildkite applies one boundary to every role)
   */
  readonly rolePermissionsBoundaryArn?: string | undefined;
}

/** Everything the control plane owns. */
export interface ControlPlaneOptions
  extends AgentTokenOptions,
    ScalerOptions,
    WebhookOptions,
    LifecycleResourceOptions,
    ObservabilityOptions {}

/**
 * Props of {@link ElasticCiStack}: the fleet's options (`AgentFleetOptions`: instances, network, group sizes, queue,
 * agent endpoint, warm pool, buckets, instance IAM) and the control plane's. `StackProps.tags` are applied to every
 * resource.
 */
export interface ElasticCiStackProps extends cdk.StackProps, AgentFleetOptions, ControlPlaneOptions {}

/** The documented defaults, in one place (the README table and the construct both read them). */
export const CONTROL_PLANE_DEFAULTS = {
  scaleOutFactor: 1,
  scaleInFactor: 1,
  scaleOutCooldownSec: 300,
  scaleInCooldownSec: 3600,
  scaleOnlyAfterAllEvent: false,
  includeWaitingJobs: false,
  instanceBuffer: 0,
  maxInstanceCap: 0,
  availabilityThreshold: 0.5,
  disableScaleIn: true,
  disableScaleOut: false,
  elasticCiMode: false,
  scaleInStrategy: 'set-desired',
  scaleInOrder: 'oldest-first',
  scaleInMinRunningTimeSec: 0,
  idleAgentCount: 0,
  warmPoolPrepareForWaitingJobs: false,
  zombieCheckEnabled: false,
  zombieGracePeriod: Duration.minutes(10),
  zombieMaxInstancesPerPass: 3,
  scalerScheduleIntervalSec: 60,
  scalerPollIntervalSec: 10,
  scalerInvocationBudgetSec: 50,
  scalerStartupJitterMaxSec: 0,
  scalerLeaseEnabled: true,
  scalerLeaseTtlSec: 30,
  scalerLeaseWaitSec: 10,
  webhookEnabled: false,
  webhookAllowTokenHeader: false,
  webhookReplayWindowSec: 300,
  instanceBroker: true,
  azRebalancingSuspenderEnabled: true,
  stopAgentsEnabled: true,
  stopAgentsDrainTimeoutSec: 3000,
  stopAgentsPollIntervalSec: 15,
  stopAgentsOnDrainTimeout: 'fail',
  logRetentionDays: 30,
  dashboardEnabled: true,
  lambdaArchitecture: 'arm64',
  agentEndpoint: 'https://agent-edge.buildkite.com/v3',
  agentTokenFromDeployParameter: false,
} as const satisfies Partial<Record<keyof ElasticCiStackProps, unknown>>;
