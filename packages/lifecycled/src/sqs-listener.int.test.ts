// SNS and SQS are moto. CompleteLifecycleAction and RecordLifecycleActionHeartbeat, which moto lacks, go to
// aws-sdk-client-mock in the daemon test below.
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  RecordLifecycleActionHeartbeatCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateTopicCommand, ListSubscriptionsCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ListQueuesCommand, ListQueueTagsCommand, SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig, awsEnvironment, type RunningImdsStandIn, startImdsStandIn } from '@elastic-ci/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AutoScalingLifecycleAdapter, type GroupLookupPort, SqsSnsAdapter } from './aws-adapters';
import { systemClock } from './clock';
import type { Observation } from './decide';
import { ListenerError } from './errors';
import { runLifecycled } from './run-lifecycled';
import { sqsListener } from './sqs-listener';
import { captureStream, recordingHandler, temporaryDirectory } from './test-support/harness';
import { memoryLogger } from './test-support/logs';

const INSTANCE_ID = 'i-0123456789abcdef0';
let sqs: SQSClient;
let sns: SNSClient;
let topicArn: string;

beforeEach(async () => {
  sqs = new SQSClient(awsClientConfig());
  sns = new SNSClient(awsClientConfig());
  topicArn = (await sns.send(new CreateTopicCommand({ Name: 'agents-lifecycle' }))).TopicArn ?? '';
});

const lifecycleNotification = (overrides: Record<string, string> = {}) =>
  JSON.stringify({
    Origin: 'AutoScalingGroup',
    Destination: 'EC2',
    Time: new Date().toISOString(),
    AutoScalingGroupName: 'agents',
    EC2InstanceId: INSTANCE_ID,
    LifecycleActionToken: '71514b9d-6a40-4b26-8523-05e7ee35fa40',
    LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
    LifecycleHookName: 'drain',
    ...overrides,
  });

const lifecycledQueues = async () =>
  (await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'lifecycled-' }))).QueueUrls ?? [];
const queueSubscriptions = async () =>
  ((await sns.send(new ListSubscriptionsCommand({}))).Subscriptions ?? []).filter(
    (subscription) => subscription.Protocol === 'sqs',
  );

async function waitUntil(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let waited = 0; !(await condition()); waited += 50) {
    if (waited > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
}

describe('Function: sqsListener (moto SNS + SQS)', () => {
  it('subscribes a tagged per-instance queue, emits notifications, and removes queue and subscription on stop', async () => {
    // Prepare
    const adapter = new SqsSnsAdapter(sqs, sns);
    const { logger } = memoryLogger();
    const seen: Observation[] = [];
    const stop = new AbortController();
    const running = sqsListener({
      queues: adapter,
      topics: adapter,
      clock: systemClock,
      logger,
      instanceId: INSTANCE_ID,
      topicArn,
      tags: { Team: 'platform' },
      waitTimeSeconds: 1,
    }).run((observation) => {
      seen.push(observation);
      if (observation.source === 'sqs' && observation.message.instanceId === INSTANCE_ID) stop.abort();
    }, stop.signal);
    await waitUntil(async () => (await queueSubscriptions()).length === 1, 'the subscription');
    const [queueUrl] = await lifecycledQueues();
    const tags = (await sqs.send(new ListQueueTagsCommand({ QueueUrl: queueUrl }))).Tags;

    // Act
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: '{"Event":"autoscaling:TEST_NOTIFICATION"}' }));
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: lifecycleNotification({ EC2InstanceId: 'i-0fffffffffffffff0' }),
      }),
    );
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: lifecycleNotification() }));
    await running;

    // Assess
    expect(queueUrl).toMatch(/lifecycled-i-0123456789abcdef0$/);
    expect(tags).toEqual({ Team: 'platform' });
    expect(seen.at(-1)).toMatchObject({
      source: 'sqs',
      message: { instanceId: INSTANCE_ID, lifecycleActionToken: '71514b9d-6a40-4b26-8523-05e7ee35fa40' },
    });
    expect(await lifecycledQueues()).toEqual([]);
    expect(await queueSubscriptions()).toEqual([]);
  });

  it('fails with ListenerError and still deletes the queue when the topic does not exist', async () => {
    // Prepare
    const adapter = new SqsSnsAdapter(sqs, sns);
    const { logger } = memoryLogger();

    // Act
    const running = sqsListener({
      queues: adapter,
      topics: adapter,
      clock: systemClock,
      logger,
      instanceId: INSTANCE_ID,
      topicArn: topicArn.replace('agents-lifecycle', 'missing-topic'),
      tags: undefined,
      waitTimeSeconds: 1,
    }).run(() => undefined, new AbortController().signal);

    // Assess
    await expect(running).rejects.toBeInstanceOf(ListenerError);
    expect(await lifecycledQueues()).toEqual([]);
  });
});

describe('Function: runLifecycled (SNS → SQS mode against moto)', () => {
  let standIn: RunningImdsStandIn;
  const autoScaling = mockClient(AutoScalingClient);

  // The mock patches the SDK class every later integration file in this worker shares: undo it.
  afterAll(() => {
    autoScaling.restore();
  });

  beforeEach(async () => {
    standIn = await startImdsStandIn({ instanceId: INSTANCE_ID });
    autoScaling.reset();
    autoScaling.on(CompleteLifecycleActionCommand).resolves({});
    autoScaling.on(RecordLifecycleActionHeartbeatCommand).resolves({});
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    await standIn.close();
  });

  it('drains on its notification, removing the queue before the handler runs, and completes with the token', async () => {
    // Prepare
    const directory = temporaryDirectory();
    const handler = recordingHandler(directory, { sleepMs: 300 });
    const stderr = captureStream();
    // The group and hook come from the notification, so no lookup may happen.
    const groupLookup: GroupLookupPort = {
      groupOfInstance: async () => {
        throw new Error('unexpected lookup');
      },
      terminationHooks: async () => [],
    };
    // The SDK reads AWS_ENDPOINT_URL and credentials from the process environment, as on an instance.
    for (const [name, value] of Object.entries(awsEnvironment())) vi.stubEnv(name, value);
    const exit = runLifecycled({
      argv: [
        '--json',
        '--no-spot',
        '--no-lifecycle-state',
        `--sns-topic=${topicArn}`,
        '--sqs-wait-time=1s',
        '--autoscaling-heartbeat-interval=100ms',
        `--handler=${handler.path}`,
        '--cloudwatch-group=/elastic-ci/lifecycled',
      ],
      env: { ...process.env, AWS_EC2_METADATA_SERVICE_ENDPOINT: standIn.endpoint },
      stdout: captureStream().stream,
      stderr: stderr.stream,
      stop: new AbortController().signal,
      lifecycleActions: new AutoScalingLifecycleAdapter(new AutoScalingClient({ region: 'us-east-1' })),
      groupLookup,
    });
    await waitUntil(async () => (await queueSubscriptions()).length === 1, 'the subscription').catch((error) => {
      throw new Error(`${error.message}; daemon said:\n${stderr.text()}`);
    });

    // Act
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: lifecycleNotification() }));
    const exitCode = await exit;

    // Assess
    expect(exitCode).toBe(0);
    const messages = stderr.entries().map((entry) => entry.msg);
    expect(messages.indexOf('Deleted SQS queue')).toBeGreaterThan(-1);
    expect(messages.indexOf('Deleted SQS queue')).toBeLessThan(messages.indexOf('Executing handler'));
    expect(autoScaling.commandCalls(CompleteLifecycleActionCommand).map((call) => call.args[0].input)).toEqual([
      {
        AutoScalingGroupName: 'agents',
        LifecycleHookName: 'drain',
        InstanceId: INSTANCE_ID,
        LifecycleActionToken: '71514b9d-6a40-4b26-8523-05e7ee35fa40',
        LifecycleActionResult: 'CONTINUE',
      },
    ]);
    expect(autoScaling.commandCalls(RecordLifecycleActionHeartbeatCommand).length).toBeGreaterThanOrEqual(1);
    expect(await lifecycledQueues()).toEqual([]);
    expect(await queueSubscriptions()).toEqual([]);
    // The same structured entries reached CloudWatch Logs, in a stream named after the instance.
    const shipped = await new CloudWatchLogsClient(awsClientConfig()).send(
      new GetLogEventsCommand({ logGroupName: '/elastic-ci/lifecycled', logStreamName: INSTANCE_ID }),
    );
    expect((shipped.events ?? []).map((event) => JSON.parse(event.message ?? '{}').msg)).toContain(
      'Lifecycle action completed successfully',
    );
  });
});
