import { setMaxListeners } from 'node:events';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { ConnectionConfig } from './config';
import type { Logger } from './logger';
import { type BucketCheck, classifyError, type ListResult, type ObjectResult, type SecretStore } from './secret-store';

const MAX_LIST_PAGES = 20;

/** One keep-alive agent pair per process: every request of a run reuses the same sockets. */
let sharedHandler: NodeHttpHandler | undefined;
const agents = { http: undefined as HttpAgent | undefined, https: undefined as HttpsAgent | undefined };

function requestHandler(): NodeHttpHandler {
  if (!sharedHandler) {
    agents.http = new HttpAgent({ keepAlive: true, maxSockets: 64 });
    agents.https = new HttpsAgent({ keepAlive: true, maxSockets: 64 });
    sharedHandler = new NodeHttpHandler({
      httpAgent: agents.http,
      httpsAgent: agents.https,
      connectionTimeout: 3_000,
      requestTimeout: 10_000,
    });
  }
  return sharedHandler;
}

/** Closes the keep-alive sockets so the process can exit at once. */
export function closeConnections(): void {
  agents.http?.destroy();
  agents.https?.destroy();
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

/**
 * The region this machine runs in: `AWS_REGION` / `AWS_DEFAULT_REGION`, else the instance metadata service (IMDSv2,
 * one second at most), else us-east-1.
 */
export async function currentRegion(connection: ConnectionConfig, environment: NodeJS.ProcessEnv): Promise<string> {
  if (connection.currentRegion) return connection.currentRegion;
  if (environment.AWS_EC2_METADATA_DISABLED?.toLowerCase() !== 'true') {
    const fromMetadata = await regionFromInstanceMetadata().catch(() => undefined);
    if (fromMetadata) return fromMetadata;
  }
  return 'us-east-1';
}

function imdsCall(method: string, path: string, headers: Record<string, string>, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '169.254.169.254', method, path, headers, signal, timeout: 1_000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () =>
          response.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`IMDS HTTP ${response.statusCode}`)),
        );
      },
    );
    request.on('timeout', () => request.destroy(new Error('IMDS timeout')));
    request.on('error', reject);
    request.end();
  });
}

async function regionFromInstanceMetadata(): Promise<string | undefined> {
  const signal = AbortSignal.timeout(1_000);
  const token = await imdsCall('PUT', '/latest/api/token', { 'X-aws-ec2-metadata-token-ttl-seconds': '60' }, signal);
  const region = await imdsCall(
    'GET',
    '/latest/meta-data/placement/region',
    { 'X-aws-ec2-metadata-token': token },
    signal,
  );
  return /^[a-z]{2}(-[a-z0-9]+)+-\d+$/.test(region) ? region : undefined;
}

/** A `SecretStore` over one bucket; all calls share the run's deadline. */
export class S3SecretStore implements SecretStore {
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
      const body = output.Body ? await output.Body.transformToByteArray() : new Uint8Array();
      return { status: 'found', body };
    } catch (error) {
      return classifyError(error);
    }
  }

  async listKeys(prefix: string): Promise<ListResult> {
    const keys: string[] = [];
    let continuationToken: string | undefined;
    try {
      for (let page = 0; page < MAX_LIST_PAGES; page += 1) {
        const output = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(continuationToken ? { ContinuationToken: continuationToken } : {}),
          }),
          { abortSignal: this.signal },
        );
        for (const object of output.Contents ?? []) {
          if (object.Key && !object.Key.endsWith('/')) keys.push(object.Key);
        }
        continuationToken = output.IsTruncated ? output.NextContinuationToken : undefined;
        if (!continuationToken) break;
      }
      return { status: 'listed', keys };
    } catch (error) {
      return classifyError(error);
    }
  }

  close(): void {
    this.client.destroy();
  }
}

export interface OpenedStore {
  store: S3SecretStore;
  check: BucketCheck;
}

/** A store for `bucket` with its own client in `region`. */
function secretStoreIn(
  connection: ConnectionConfig,
  bucket: string,
  region: string,
  signal: AbortSignal,
): S3SecretStore {
  return new S3SecretStore(bucket, region, createS3Client(connection, region), signal);
}

/**
 * Resolves the bucket's region as upstream does (hint; else the current region, then the bucket's own region, with
 * the current region as the fallback) and checks the bucket in the same `HeadBucket` call.
 */
export async function openS3SecretStore(
  connection: ConnectionConfig,
  bucket: string,
  environment: NodeJS.ProcessEnv,
  signal: AbortSignal,
  logger: Logger,
): Promise<OpenedStore> {
  if (connection.regionHint) {
    const store = secretStoreIn(connection, bucket, connection.regionHint, signal);
    return { store, check: await store.checkBucket() };
  }
  const region = await currentRegion(connection, environment);
  logger.info(`Discovered current region as "${region}"`);
  const probe = secretStoreIn(connection, bucket, region, signal);
  const { region: bucketRegion, check } = await probe.bucketRegion();
  if (!bucketRegion) {
    if (check.status === 'available') {
      logger.info(
        `Could not discover the region of bucket "${bucket}"; using "${region}". ` +
          'Set BUILDKITE_PLUGIN_S3_SECRETS_REGION if this is not right.',
      );
    }
    return { store: probe, check };
  }
  logger.info(`Discovered bucket region as "${bucketRegion}"`);
  if (bucketRegion === region) return { store: probe, check };
  probe.close();
  const store = secretStoreIn(connection, bucket, bucketRegion, signal);
  return { store, check };
}

export interface EagerStore {
  /** Ready for reads at once, in the hinted or current region (S3 redirects are followed if the bucket is elsewhere). */
  store: S3SecretStore;
  /**
   * The bucket check and the bucket's region. Without a region hint this is one `HeadBucket` running alongside the
   * reads. With a hint there is nothing to discover, so the caller derives the check from the secret-files listings
   * (`ListObjectsV2` needs the same s3:ListBucket permission and answers NoSuchBucket the same way): `undefined`.
   */
  probe: Promise<{ check: BucketCheck; region: string }> | undefined;
}

/**
 * Like `openS3SecretStore`, but does not wait for the bucket check before reads may start: on the per-job path the
 * existence check and the region discovery overlap the GETs instead of costing a round trip of their own.
 */
export async function openS3SecretStoreEagerly(
  connection: ConnectionConfig,
  bucket: string,
  environment: NodeJS.ProcessEnv,
  signal: AbortSignal,
  logger: Logger,
): Promise<EagerStore> {
  if (connection.regionHint) {
    const store = secretStoreIn(connection, bucket, connection.regionHint, signal);
    return { store, probe: undefined };
  }
  const region = await currentRegion(connection, environment);
  logger.info(`Discovered current region as "${region}"`);
  const store = secretStoreIn(connection, bucket, region, signal);
  const probe = store.bucketRegion().then(({ region: bucketRegion, check }) => {
    if (check.status !== 'available') return { check, region };
    if (!bucketRegion) {
      logger.info(
        `Could not discover the region of bucket "${bucket}"; using "${region}". ` +
          'Set BUILDKITE_PLUGIN_S3_SECRETS_REGION if this is not right.',
      );
      return { check, region };
    }
    logger.info(`Discovered bucket region as "${bucketRegion}"`);
    return { check, region: bucketRegion };
  });
  return { store, probe };
}
