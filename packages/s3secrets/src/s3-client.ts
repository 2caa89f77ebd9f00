import { setMaxListeners } from 'node:events';
import { GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { ConnectionConfig } from './config';
import { keepAliveAgents } from './http-agents';
import {
  type BucketCheck,
  classifyError,
  type ListResult,
  listAllKeys,
  MAX_OBJECT_BYTES,
  type ObjectResult,
  objectTooLargeError,
  type RegionalSecretStore,
} from './secret-store';

function requestHandler(): NodeHttpHandler {
  const agents = keepAliveAgents();
  return new NodeHttpHandler({
    httpAgent: agents.http,
    httpsAgent: agents.https,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
  });
}

/**
 * An S3 client for `region`, honouring `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` (passed in `connection.endpoint`):
 * an endpoint override means an S3-compatible server on a plain host name, so buckets go in the path.
 */
export function createS3Client(connection: ConnectionConfig, region: string): S3Client {
  return new S3Client({
    region,
    maxAttempts: connection.maxAttempts,
    requestHandler: requestHandler(),
    ...(connection.endpoint ? { endpoint: connection.endpoint, forcePathStyle: true } : {}),
    followRegionRedirects: true,
  });
}

/** A `SecretStore` over one bucket; all calls share the run's deadline. */
export class S3SecretStore implements RegionalSecretStore {
  constructor(
    readonly bucket: string,
    readonly region: string,
    readonly client: S3Client,
    private readonly signal: AbortSignal,
  ) {
    // Every request of a run listens on the one deadline signal; dozens at once is expected, not a leak.
    setMaxListeners(1_000, signal);
  }

  async checkBucket(): Promise<BucketCheck> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: this.signal });
      return { status: 'available' };
    } catch (error) {
      return classifyError(error);
    }
  }

  /** The bucket's own region from `HeadBucket`, or undefined when the server does not say. */
  async bucketRegion(): Promise<{ region: string | undefined; check: BucketCheck }> {
    try {
      const output = await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), {
        abortSignal: this.signal,
      });
      return { region: output.BucketRegion, check: { status: 'available' } };
    } catch (error) {
      return { region: undefined, check: classifyError(error) };
    }
  }

  async getObject(key: string): Promise<ObjectResult> {
    try {
      const output = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
        abortSignal: this.signal,
      });
      if (output.ContentLength !== undefined && output.ContentLength > MAX_OBJECT_BYTES) {
        // Refused from the headers: the body stream is closed unread.
        (output.Body as { destroy?: () => void } | undefined)?.destroy?.();
        return classifyError(objectTooLargeError(output.ContentLength));
      }
      const body = output.Body ? await output.Body.transformToByteArray() : new Uint8Array();
      if (body.byteLength > MAX_OBJECT_BYTES) return classifyError(objectTooLargeError(body.byteLength));
      return { status: 'found', body };
    } catch (error) {
      return classifyError(error);
    }
  }

  listKeys(prefix: string): Promise<ListResult> {
    return listAllKeys(async (continuationToken) => {
      const output = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(continuationToken ? { ContinuationToken: continuationToken } : {}),
        }),
        { abortSignal: this.signal },
      );
      return {
        keys: (output.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])),
        nextContinuationToken: output.IsTruncated ? output.NextContinuationToken : undefined,
      };
    });
  }

  close(): void {
    this.client.destroy();
  }
}

/** Stores over the AWS SDK's S3 client (`put`, `doctor`, and the per-job path when a setting needs the SDK). */
export function sdkSecretStores(
  connection: ConnectionConfig,
  signal: AbortSignal,
): (bucket: string, region: string) => S3SecretStore {
  return (bucket, region) => new S3SecretStore(bucket, region, createS3Client(connection, region), signal);
}
