import {
  type CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { formatJson, type LogEntry, type LogSink } from './logger';

const MAX_BATCH = 500;

/** Ships log entries to a CloudWatch Logs stream in batches (one call per second at most), unlike upstream's call per line. */
export interface CloudWatchLogsSink {
  sink: LogSink;
  /** Sends whatever is buffered; call before exiting. Never throws. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

function isTolerated(error: unknown): boolean {
  const name = (error as Error)?.name ?? '';
  return name === 'ResourceAlreadyExistsException' || name.includes('AccessDenied');
}

/**
 * Creates the group and stream (already-exists and AccessDenied are fine: a narrow IAM policy may allow only
 * PutLogEvents), then buffers entries. Delivery failures go to `reportFailure`, never back into the log.
 */
export async function createCloudWatchLogsSink(options: {
  client: CloudWatchLogsClient;
  logGroupName: string;
  logStreamName: string;
  flushIntervalMs?: number;
  reportFailure: (message: string) => void;
}): Promise<CloudWatchLogsSink> {
  const { client, logGroupName, logStreamName } = options;
  const tolerate = (error: unknown) => {
    if (!isTolerated(error)) throw error;
  };
  await client.send(new CreateLogGroupCommand({ logGroupName })).catch(tolerate);
  await client.send(new CreateLogStreamCommand({ logGroupName, logStreamName })).catch(tolerate);
  let buffer: LogEntry[] = [];
  let sending = Promise.resolve();
  const flush = (): Promise<void> => {
    if (buffer.length === 0) return sending;
    const batch = buffer.slice(0, MAX_BATCH);
    buffer = buffer.slice(MAX_BATCH);
    sending = sending.then(async () => {
      try {
        await client.send(
          new PutLogEventsCommand({
            logGroupName,
            logStreamName,
            logEvents: batch.map((entry) => ({ timestamp: Date.parse(entry.time), message: formatJson(entry) })),
          }),
        );
      } catch (error) {
        options.reportFailure(`cloudwatch logs delivery failed: ${(error as Error).message}`);
      }
    });
    return buffer.length > 0 ? flush() : sending;
  };
  const timer = setInterval(() => void flush(), options.flushIntervalMs ?? 1_000);
  timer.unref();
  return {
    sink: (entry) => {
      buffer.push(entry);
    },
    flush,
    close: async () => {
      clearInterval(timer);
      await flush();
    },
  };
}
