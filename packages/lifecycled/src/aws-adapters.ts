import {
  type AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeLifecycleHooksCommand,
  RecordLifecycleActionHeartbeatCommand,
} from '@aws-sdk/client-auto-scaling';
import { type SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { BrokerCall, InstanceBrokerClient } from '@elastic-ci/instance-broker/client';
import { NoPendingLifecycleActionError } from './errors';
import type { QueueMessage, QueuePort, TopicPort } from './sqs-listener';

/** The lifecycle action of this instance, fully named. */
export interface LifecycleAction {
  autoScalingGroupName: string;
  lifecycleHookName: string;
  instanceId: string;
  lifecycleActionToken: string | undefined;
}

/**
 * RecordLifecycleActionHeartbeat and CompleteLifecycleAction (adapters: `AutoScalingLifecycleAdapter`, or
 * `InstanceBrokerLifecycleAdapter` with `--instance-broker-url`).
 */
export interface LifecycleActionPort {
  recordHeartbeat(action: LifecycleAction, signal: AbortSignal): Promise<void>;
  /** Always CONTINUE: a drained instance is ready to go, and a failed drain must not keep it forever. */
  complete(action: LifecycleAction, signal: AbortSignal): Promise<void>;
}

export interface TerminationHook {
  name: string;
  heartbeatTimeoutSeconds: number | undefined;
  globalTimeoutSeconds: number | undefined;
  defaultResult: string | undefined;
}

/** Finds this instance's group and the group's termination hooks. */
export interface GroupLookupPort {
  groupOfInstance(instanceId: string): Promise<string | undefined>;
  terminationHooks(autoScalingGroupName: string): Promise<TerminationHook[]>;
}

export class AutoScalingLifecycleAdapter implements LifecycleActionPort {
  constructor(private readonly client: AutoScalingClient) {}

  async recordHeartbeat(action: LifecycleAction, signal: AbortSignal): Promise<void> {
    await this.client.send(
      new RecordLifecycleActionHeartbeatCommand({
        AutoScalingGroupName: action.autoScalingGroupName,
        LifecycleHookName: action.lifecycleHookName,
        InstanceId: action.instanceId,
        ...(action.lifecycleActionToken ? { LifecycleActionToken: action.lifecycleActionToken } : {}),
      }),
      { abortSignal: signal },
    );
  }

  async complete(action: LifecycleAction, signal: AbortSignal): Promise<void> {
    await this.client.send(
      new CompleteLifecycleActionCommand({
        AutoScalingGroupName: action.autoScalingGroupName,
        LifecycleHookName: action.lifecycleHookName,
        InstanceId: action.instanceId,
        LifecycleActionResult: 'CONTINUE',
        ...(action.lifecycleActionToken ? { LifecycleActionToken: action.lifecycleActionToken } : {}),
      }),
      { abortSignal: signal },
    );
  }
}

/**
 * The two calls through the stack's instance broker (`--instance-broker-url`): it makes them for the calling
 * instance only, so the request names the group, hook and token, never the instance. Failures come as
 * `InstanceBrokerError` (its `retryable` decides retries) or fetch's network errors.
 */
export class InstanceBrokerLifecycleAdapter implements LifecycleActionPort {
  constructor(private readonly broker: InstanceBrokerClient) {}

  async recordHeartbeat(action: LifecycleAction, signal: AbortSignal): Promise<void> {
    await this.call(
      {
        action: 'record-lifecycle-action-heartbeat',
        autoScalingGroupName: action.autoScalingGroupName,
        lifecycleHookName: action.lifecycleHookName,
        ...(action.lifecycleActionToken ? { lifecycleActionToken: action.lifecycleActionToken } : {}),
      },
      action,
      signal,
    );
  }

  async complete(action: LifecycleAction, signal: AbortSignal): Promise<void> {
    await this.call(
      {
        action: 'complete-lifecycle-action',
        autoScalingGroupName: action.autoScalingGroupName,
        lifecycleHookName: action.lifecycleHookName,
        lifecycleActionResult: 'CONTINUE',
        ...(action.lifecycleActionToken ? { lifecycleActionToken: action.lifecycleActionToken } : {}),
      },
      action,
      signal,
    );
  }

  private async call(request: BrokerCall, action: LifecycleAction, signal: AbortSignal): Promise<void> {
    const answer = await this.broker.call(request, { signal });
    if (answer.outcome === 'no-pending-action') {
      throw new NoPendingLifecycleActionError(
        `No active lifecycle action of hook ${action.lifecycleHookName} for this instance (the instance broker found none)`,
      );
    }
  }
}

export class AutoScalingGroupLookupAdapter implements GroupLookupPort {
  constructor(private readonly client: AutoScalingClient) {}

  async groupOfInstance(instanceId: string): Promise<string | undefined> {
    const answer = await this.client.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }));
    return answer.AutoScalingInstances?.find((instance) => instance.InstanceId === instanceId)?.AutoScalingGroupName;
  }

  async terminationHooks(autoScalingGroupName: string): Promise<TerminationHook[]> {
    const answer = await this.client.send(
      new DescribeLifecycleHooksCommand({ AutoScalingGroupName: autoScalingGroupName }),
    );
    return (answer.LifecycleHooks ?? [])
      .filter((hook) => hook.LifecycleTransition === 'autoscaling:EC2_INSTANCE_TERMINATING' && hook.LifecycleHookName)
      .map((hook) => ({
        name: hook.LifecycleHookName ?? '',
        heartbeatTimeoutSeconds: hook.HeartbeatTimeout,
        globalTimeoutSeconds: hook.GlobalTimeout,
        defaultResult: hook.DefaultResult,
      }));
  }
}

export class SqsSnsAdapter implements QueuePort, TopicPort {
  constructor(
    private readonly sqs: SQSClient,
    private readonly sns: SNSClient,
  ) {}

  async createQueue(input: {
    name: string;
    policy: string;
    tags: Record<string, string> | undefined;
  }): Promise<string> {
    const answer = await this.sqs.send(
      new CreateQueueCommand({
        QueueName: input.name,
        Attributes: { Policy: input.policy, ReceiveMessageWaitTimeSeconds: '20' },
        ...(input.tags ? { tags: input.tags } : {}),
      }),
    );
    if (!answer.QueueUrl) throw new Error('CreateQueue returned no QueueUrl');
    return answer.QueueUrl;
  }

  async queueArn(queueUrl: string): Promise<string> {
    const answer = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    const arn = answer.Attributes?.QueueArn;
    if (!arn) throw new Error('no attribute QueueArn');
    return arn;
  }

  async receive(queueUrl: string, waitTimeSeconds: number, signal: AbortSignal): Promise<QueueMessage[]> {
    const answer = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: waitTimeSeconds,
        VisibilityTimeout: 0,
      }),
      { abortSignal: signal },
    );
    return (answer.Messages ?? []).flatMap((message) =>
      message.ReceiptHandle && message.Body !== undefined
        ? [{ receiptHandle: message.ReceiptHandle, body: message.Body }]
        : [],
    );
  }

  async deleteMessage(queueUrl: string, receiptHandle: string): Promise<void> {
    await this.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle }));
  }

  async deleteQueue(queueUrl: string, signal: AbortSignal): Promise<void> {
    try {
      await this.sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }), { abortSignal: signal });
    } catch (error) {
      if (/QueueDoesNotExist|NonExistentQueue/.test((error as Error).name)) return;
      throw error;
    }
  }

  async subscribe(topicArn: string, queueArn: string): Promise<string> {
    const answer = await this.sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn }),
    );
    if (!answer.SubscriptionArn) throw new Error('Subscribe returned no SubscriptionArn');
    return answer.SubscriptionArn;
  }

  async unsubscribe(subscriptionArn: string, signal: AbortSignal): Promise<void> {
    await this.sns.send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn }), { abortSignal: signal });
  }
}
