import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { awsClientConfig } from '@elastic-ci/testing';
import { describe, expect, it } from 'vitest';
import { createCloudWatchLogsSink } from './cloudwatch-logs-sink';
import { createLogger } from './logger';

describe('Function: createCloudWatchLogsSink (moto)', () => {
  it('creates the group and stream, tolerating ones that exist, and ships buffered entries as JSON', async () => {
    // Prepare
    const client = new CloudWatchLogsClient(awsClientConfig());
    await client.send(new CreateLogGroupCommand({ logGroupName: '/elastic-ci/lifecycled' }));
    const failures: string[] = [];
    const cloudWatch = await createCloudWatchLogsSink({
      client,
      logGroupName: '/elastic-ci/lifecycled',
      logStreamName: 'i-0123456789abcdef0',
      flushIntervalMs: 60_000,
      reportFailure: (message) => failures.push(message),
    });
    const logger = createLogger({ sinks: [cloudWatch.sink] });

    // Act
    logger.info('Termination notice received, draining', { source: 'lifecycle-state' });
    logger.error('Handler failed', { exitCode: 3 });
    await cloudWatch.close();

    // Assess
    const events = await client.send(
      new GetLogEventsCommand({ logGroupName: '/elastic-ci/lifecycled', logStreamName: 'i-0123456789abcdef0' }),
    );
    const messages = (events.events ?? []).map((event) => JSON.parse(event.message ?? '{}') as Record<string, unknown>);
    expect(messages).toMatchObject([
      { level: 'info', msg: 'Termination notice received, draining', source: 'lifecycle-state' },
      { level: 'error', msg: 'Handler failed', exitCode: 3 },
    ]);
    expect(failures).toEqual([]);
  });

  it('reports delivery failures out of band instead of throwing', async () => {
    // Prepare
    const client = new CloudWatchLogsClient(awsClientConfig());
    const failures: string[] = [];
    const cloudWatch = await createCloudWatchLogsSink({
      client,
      logGroupName: '/elastic-ci/deleted-later',
      logStreamName: 'stream',
      reportFailure: (message) => failures.push(message),
    });
    await client.send(new DeleteLogGroupCommand({ logGroupName: '/elastic-ci/deleted-later' }));

    // Act
    cloudWatch.sink({ time: new Date().toISOString(), level: 'info', msg: 'hello' });
    await cloudWatch.close();

    // Assess
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/^cloudwatch logs delivery failed: /);
  });

  it('fails at startup when the group cannot be created for another reason than existing or access', async () => {
    // Prepare
    const client = new CloudWatchLogsClient({ ...awsClientConfig(), endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });

    // Act
    const creating = createCloudWatchLogsSink({
      client,
      logGroupName: '/elastic-ci/lifecycled',
      logStreamName: 'stream',
      reportFailure: () => undefined,
    });

    // Assess
    await expect(creating).rejects.toThrow();
  });
});
