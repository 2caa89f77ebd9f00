import { type Clock, sleepUnlessAborted } from './clock';
import { ListenerError } from './errors';
import type { Listener } from './listeners';
import type { Logger } from './logger';
import { withRetries } from './retry';
import { parseLifecycleHookBody } from './sqs-message';

export interface QueueMessage {
  receiptHandle: string;
  body: string;
}

/** The SQS calls the listener makes (adapter: `SqsSnsAdapter`). */
export interface QueuePort {
  createQueue(input: { name: string; policy: string; tags: Record<string, string> | undefined }): Promise<string>;
  queueArn(queueUrl: string): Promise<string>;
  receive(queueUrl: string, waitTimeSeconds: number, signal: AbortSignal): Promise<QueueMessage[]>;
  deleteMessage(queueUrl: string, receiptHandle: string): Promise<void>;
  /** Resolves when the queue is gone, including when it was already gone. */
  deleteQueue(queueUrl: string, signal: AbortSignal): Promise<void>;
}

/** The SNS calls the listener makes. */
export interface TopicPort {
  subscribe(topicArn: string, queueArn: string): Promise<string>;
  unsubscribe(subscriptionArn: string, signal: AbortSignal): Promise<void>;
}

export interface SqsListenerOptions {
  queues: QueuePort;
  topics: TopicPort;
  clock: Clock;
  logger: Logger;
  instanceId: string;
  topicArn: string;
  tags: Record<string, string> | undefined;
  waitTimeSeconds: number;
  /** Pause after a failed receive. @default 5000 */
  receiveErrorBackoffMs?: number;
  /** Budget for unsubscribing and deleting the queue. @default 5000 */
  cleanupTimeoutMs?: number;
}

/** Allows only the lifecycle topic to deliver to the per-instance queue. */
export function queuePolicy(topicArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: '*',
        Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
      },
    ],
  });
}

const isQueueDeletedRecently = (error: unknown) => /QueueDeletedRecently/i.test(String((error as Error)?.name ?? ''));

/**
 * Buildkite lifecycled's SNS→SQS mode: a queue `lifecycled-<instance-id>` subscribed to the lifecycle topic, polled
 * until the listener stops. The queue and subscription are removed on every exit path (notice, stop, failure).
 */
export function sqsListener(options: SqsListenerOptions): Listener {
  const { queues, topics, logger } = options;
  return {
    name: 'sqs',
    async run(emit, signal) {
      let queueUrl: string | undefined;
      let subscriptionArn: string | undefined;
      try {
        try {
          // A crash loop can re-create the queue within AWS's 60 s no-reuse window: wait it out instead of failing.
          queueUrl = await withRetries(
            () =>
              queues.createQueue({
                name: `lifecycled-${options.instanceId}`,
                policy: queuePolicy(options.topicArn),
                tags: options.tags,
              }),
            {
              clock: options.clock,
              attempts: 8,
              baseDelayMs: 2_000,
              maxDelayMs: 15_000,
              signal,
              isRetryable: (error) => isQueueDeletedRecently(error),
              onRetry: (error) => logger.warn('Queue was deleted recently, waiting to re-create it', { error }),
            },
          );
          const queueArn = await queues.queueArn(queueUrl);
          subscriptionArn = await topics.subscribe(options.topicArn, queueArn);
        } catch (error) {
          throw new ListenerError(`cannot listen to SNS topic ${options.topicArn}: ${(error as Error).message}`, {
            cause: error,
          });
        }
        logger.info('Listening for lifecycle notifications', { queueUrl, topicArn: options.topicArn });
        while (!signal.aborted) {
          let messages: QueueMessage[];
          try {
            messages = await queues.receive(queueUrl, options.waitTimeSeconds, signal);
          } catch (error) {
            if (signal.aborted) break;
            logger.warn('Failed to get messages from SQS', { error });
            await sleepUnlessAborted(options.clock, options.receiveErrorBackoffMs ?? 5_000, signal);
            continue;
          }
          for (const message of messages) {
            // Delete first: a notification that crashes the daemon must not be redelivered forever.
            await queues.deleteMessage(queueUrl, message.receiptHandle).catch((error: unknown) => {
              logger.warn('Failed to delete SQS message', { error });
            });
            const parsed = parseLifecycleHookBody(message.body);
            if (!parsed.ok) {
              logger.error('Ignoring malformed SQS message', { reason: parsed.reason });
              continue;
            }
            emit({ source: 'sqs', message: parsed.value, observedAtMs: options.clock.now() });
          }
        }
      } finally {
        await cleanUp(options, queueUrl, subscriptionArn);
      }
    },
  };
}

async function cleanUp(options: SqsListenerOptions, queueUrl?: string, subscriptionArn?: string): Promise<void> {
  // A fresh, bounded signal: the listener's own signal is usually already aborted here.
  const signal = AbortSignal.timeout(options.cleanupTimeoutMs ?? 5_000);
  if (subscriptionArn) {
    await options.topics.unsubscribe(subscriptionArn, signal).then(
      () => options.logger.info('Unsubscribed from SNS topic', { subscriptionArn }),
      (error: unknown) => options.logger.error('Failed to unsubscribe from SNS topic', { subscriptionArn, error }),
    );
  }
  if (queueUrl) {
    await options.queues.deleteQueue(queueUrl, signal).then(
      () => options.logger.info('Deleted SQS queue', { queueUrl }),
      (error: unknown) => options.logger.error('Failed to delete SQS queue', { queueUrl, error }),
    );
  }
}
