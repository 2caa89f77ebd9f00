import * as cdk from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { LambdaArchitectureName } from '../elastic-ci-stack-props';
import {
  type AgentToken,
  grantGetSecretValue,
  parameterArnFor,
  SECRETS_MANAGER_REFERENCE_PREFIX,
  stackScopedSecretName,
} from './agent-token';
import { ControlPlaneFunction } from './control-plane-function';
import { allowWithWildcard } from './nag-acknowledgements';

/** Extra time the scheduled function gets beyond its polling budget (last pass + deadline margin + cold start). */
export const SCHEDULED_TIMEOUT_MARGIN_SEC = 70;
/** The webhook function's timeout (agent-scaler README: 30 s). */
export const WEBHOOK_TIMEOUT_SEC = 30;
/** agent-scaler's lease item TTL attribute (epoch seconds), see its README. */
export const LEASE_TTL_ATTRIBUTE = 'expiresAt';

/** Everything the scaler needs, already defaulted by the stack. */
export interface ScalerProps {
  readonly queue: string;
  readonly agentEndpoint: string;
  readonly agentsPerInstance: number;
  readonly autoScalingGroupName: string;
  readonly agentToken: AgentToken;
  /** The environment variables of the scaling policy (INCLUDE_WAITING, SCALE_OUT_FACTOR, …), as strings. */
  readonly policyEnvironment: Record<string, string>;
  readonly warmPoolScalerManaged: boolean;
  readonly drainsInstances: boolean;
  /** The zombie check of the scheduled function (`ZOMBIE_*`); `undefined`: off. */
  readonly zombieCheck: { readonly gracePeriodSec: number; readonly maxPerPass: number } | undefined;
  readonly scheduleIntervalSec: number;
  readonly pollIntervalSec: number;
  readonly invocationBudgetSec: number;
  readonly startupJitterMaxSec: number;
  readonly leaseEnabled: boolean;
  readonly leaseTtlSec: number;
  readonly leaseWaitSec: number;
  readonly webhookEnabled: boolean;
  readonly webhookSecretParameterName: string | undefined;
  readonly webhookAllowTokenHeader: boolean;
  readonly webhookReplayWindowSec: number;
  /** Reserved concurrency of the webhook function; `undefined`: none (the account's unreserved pool). */
  readonly webhookReservedConcurrency: number | undefined;
  readonly architecture: LambdaArchitectureName;
  readonly logRetentionDays: number;
  readonly permissionsBoundaryArn: string | undefined;
  readonly managedPolicyArns: readonly string[];
}

/**
 * agent-scaler: the scheduled poll function (EventBridge, reserved concurrency 1), the optional webhook function
 * with its URL, the SSM String parameter holding the scaler state and the DynamoDB lease table.
 */
export class Scaler extends Construct {
  readonly scheduledFunction: ControlPlaneFunction;
  readonly webhookFunction: ControlPlaneFunction | undefined;
  readonly webhookUrl: lambda.FunctionUrl | undefined;
  readonly webhookSecret: secretsmanager.Secret | undefined;
  readonly stateParameter: ssm.StringParameter;
  readonly leaseTable: dynamodb.Table | undefined;
  readonly schedule: events.Rule;
  /** The scheduled function replaces zombie instances (`ZOMBIE_CHECK=true`). */
  readonly zombieCheckEnabled: boolean;

  constructor(scope: Construct, id: string, props: ScalerProps) {
    super(scope, id);
    const stack = cdk.Stack.of(this);
    this.zombieCheckEnabled = props.zombieCheck !== undefined;

    this.stateParameter = new ssm.StringParameter(this, 'StateParameter', {
      description: 'agent-scaler state (cooldowns, growth throttle) shared by the scheduled and webhook functions',
      // The scaler overwrites it on its first pass; an unparsable value is treated as "no state".
      stringValue: '{}',
      tier: ssm.ParameterTier.STANDARD,
    });

    if (props.leaseEnabled) {
      this.leaseTable = new dynamodb.Table(this, 'LeaseTable', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        timeToLiveAttribute: LEASE_TTL_ATTRIBUTE,
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        removalPolicy: cdk.RemovalPolicy.DESTROY,
      });
      cdk.Validations.of(this.leaseTable).acknowledge({
        id: 'AwsSolutions-DDB3',
        reason:
          'The table holds only scaling leases that expire within seconds; there is nothing to recover to a point in time.',
      });
    }

    const common: Record<string, string> = {
      BUILDKITE_QUEUE: props.queue,
      ASG_NAME: props.autoScalingGroupName,
      AGENTS_PER_INSTANCE: String(props.agentsPerInstance),
      BUILDKITE_AGENT_TOKEN_SSM_KEY: props.agentToken.parameterName,
      BUILDKITE_AGENT_ENDPOINT: props.agentEndpoint,
      SCALER_STATE_PARAMETER: this.stateParameter.parameterName,
      ...(this.leaseTable
        ? {
            SCALER_LOCK_TABLE: this.leaseTable.tableName,
            SCALER_LOCK_TTL: `${props.leaseTtlSec}s`,
            SCALER_LOCK_WAIT: `${props.leaseWaitSec}s`,
          }
        : {}),
      ...props.policyEnvironment,
    };
    const functionDefaults = {
      architecture: props.architecture,
      logRetentionDays: props.logRetentionDays,
      permissionsBoundaryArn: props.permissionsBoundaryArn,
      managedPolicyArns: props.managedPolicyArns,
    };

    this.scheduledFunction = new ControlPlaneFunction(this, 'Scheduled', {
      ...functionDefaults,
      bundle: 'scalerScheduled',
      description: `Scales the agent group to the ${props.queue} queue every ${props.scheduleIntervalSec / 60} min`,
      environment: {
        ...common,
        LAMBDA_INTERVAL: `${props.pollIntervalSec}s`,
        LAMBDA_TIMEOUT: `${props.invocationBudgetSec}s`,
        LAMBDA_STARTUP_JITTER_MAX: `${props.startupJitterMaxSec}s`,
        ...zombieCheckEnvironment(props.zombieCheck),
      },
      timeout: cdk.Duration.seconds(props.invocationBudgetSec + SCHEDULED_TIMEOUT_MARGIN_SEC),
      // One poll loop at a time: an overrunning invocation never overlaps the next scheduled one.
      reservedConcurrentExecutions: 1,
    });

    const minutes = props.scheduleIntervalSec / 60;
    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Starts the agent scaler poll loop',
      schedule: events.Schedule.rate(cdk.Duration.minutes(minutes)),
      // The next tick is a retry: a failed or throttled invocation is not worth repeating late.
      targets: [new targets.LambdaFunction(this.scheduledFunction.function, { retryAttempts: 0 })],
    });

    const functions = [this.scheduledFunction];
    if (props.webhookEnabled) {
      let secretParameterName = props.webhookSecretParameterName;
      if (secretParameterName === undefined) {
        const secretName = stackScopedSecretName(stack, 'webhook-token');
        this.webhookSecret = new secretsmanager.Secret(this, 'WebhookSecret', {
          secretName,
          description: 'Token of the Buildkite webhook (paste it into the Buildkite notification service)',
          generateSecretString: { passwordLength: 48, excludePunctuation: true },
        });
        cdk.Validations.of(this.webhookSecret).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason:
            'The webhook token must match the one pasted into Buildkite: an automatic rotation would break the webhook until someone copies it again.',
        });
        secretParameterName = `${SECRETS_MANAGER_REFERENCE_PREFIX}${secretName}`;
      }
      this.webhookFunction = new ControlPlaneFunction(this, 'Webhook', {
        ...functionDefaults,
        bundle: 'scalerWebhook',
        description: `Scales the agent group at once when Buildkite schedules a job on the ${props.queue} queue`,
        environment: {
          ...common,
          WEBHOOK_SECRET_SSM_KEY: secretParameterName,
          WEBHOOK_ALLOW_TOKEN_HEADER: String(props.webhookAllowTokenHeader),
          WEBHOOK_REPLAY_WINDOW: `${props.webhookReplayWindowSec}s`,
        },
        timeout: cdk.Duration.seconds(WEBHOOK_TIMEOUT_SEC),
        // A cap on what the public URL can take from the account's concurrency (other functions keep theirs).
        reservedConcurrentExecutions: props.webhookReservedConcurrency,
      });
      // Auth NONE on purpose: Buildkite cannot sign AWS requests; the handler verifies every request's signature.
      this.webhookUrl = this.webhookFunction.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
      const webhookSecretArn = secretParameterName.startsWith('arn:')
        ? secretParameterName
        : parameterArnFor(stack, secretParameterName);
      this.webhookFunction.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [webhookSecretArn] }),
      );
      if (this.webhookSecret !== undefined)
        grantGetSecretValue(this.webhookFunction.role, this.webhookSecret.secretArn);
      functions.push(this.webhookFunction);
    }

    const groupArn = autoScalingGroupArn(stack, props.autoScalingGroupName);
    for (const fn of functions) {
      const { role } = fn;
      // Only the scheduled function checks for zombies: its container sees the group every poll, so its 2-minute
      // "seen without a running agent" window is continuous; a webhook container's sightings are minutes apart.
      const checksZombies = this.zombieCheckEnabled && fn === this.scheduledFunction;
      props.agentToken.grantRead(role);
      allowWithWildcard(role, {
        actions: [
          'autoscaling:DescribeAutoScalingGroups',
          'autoscaling:DescribeAutoScalingInstances',
          'autoscaling:DescribeScalingActivities',
          ...(props.warmPoolScalerManaged ? ['autoscaling:DescribeWarmPool'] : []),
        ],
        resources: ['*'],
        reason:
          'Auto Scaling Describe* actions support no resource-level permissions: `*` is the only resource IAM accepts.',
      });
      allowWithWildcard(role, {
        actions: [
          'autoscaling:SetDesiredCapacity',
          ...(props.drainsInstances ? ['autoscaling:TerminateInstanceInAutoScalingGroup'] : []),
          ...(props.warmPoolScalerManaged ? ['autoscaling:PutWarmPool'] : []),
          ...(checksZombies ? ['autoscaling:SetInstanceHealth'] : []),
        ],
        resources: [groupArn],
        reason:
          "The stack's own group only: its name is in the ARN; the wildcard is the group id, unknown until the group exists.",
      });
      if (props.drainsInstances || checksZombies) {
        allowWithWildcard(role, {
          actions: ['ec2:DescribeInstances'],
          resources: ['*'],
          reason:
            'ec2:DescribeInstances supports no resource-level permissions (the drain and the zombie check read launch times and instance-state tags).',
        });
      }
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['ssm:GetParameter', 'ssm:PutParameter'],
          resources: [this.stateParameter.parameterArn],
        }),
      );
      if (this.leaseTable) {
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
            resources: [this.leaseTable.tableArn],
          }),
        );
      }
    }
  }
}

/**
 * The scheduled function's zombie-check variables (agent-scaler README, "Zombie check"). Off is spelled out
 * (`ZOMBIE_CHECK=false`), and the other two are left out then: agent-scaler refuses them without the check.
 */
export function zombieCheckEnvironment(zombieCheck: ScalerProps['zombieCheck']): Record<string, string> {
  if (zombieCheck === undefined) return { ZOMBIE_CHECK: 'false' };
  return {
    ZOMBIE_CHECK: 'true',
    ZOMBIE_GRACE_PERIOD: `${zombieCheck.gracePeriodSec}s`,
    ZOMBIE_MAX_PER_PASS: String(zombieCheck.maxPerPass),
  };
}

/** The group's ARN with the group id wildcarded (the id is unknown until creation; the name pins the group). */
export function autoScalingGroupArn(stack: cdk.Stack, groupName: string): string {
  return stack.formatArn({
    service: 'autoscaling',
    resource: 'autoScalingGroup',
    resourceName: `*:autoScalingGroupName/${groupName}`,
    arnFormat: cdk.ArnFormat.COLON_RESOURCE_NAME,
  });
}
