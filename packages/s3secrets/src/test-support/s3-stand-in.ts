import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the stand-in answers one target: `GET key`, `HEAD key`, `HEAD-BUCKET` or `LIST prefix`. */
export type Behaviour =
  | { kind: 'object'; body: string | Uint8Array; kmsKeyId?: string }
  /**
   * Fails `times` times (always when unset), then serves `thenBody`. `listed` puts the key in listings: an object
   * that exists but may not be read (a bucket policy, no kms:Decrypt).
   */
  | { kind: 'error'; status: number; code: string; times?: number; thenBody?: string; listed?: boolean }
  | { kind: 'hang' }
  /** For a `LIST prefix`: every page says more follow (IsTruncated with a continuation token), forever. */
  | { kind: 'endless-listing' };

export interface S3StandIn {
  endpoint: string;
  /** Requests seen per target (`GET key`, `HEAD bucket`, `LIST prefix`), redirected ones included. */
  requests: Map<string, number>;
  close(): Promise<void>;
}

const xmlText = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const errorXml = (code: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${code} from the stand-in</Message><RequestId>r1</RequestId></Error>`;

/**
 * A tiny S3 on loopback: for the failures moto cannot produce (AccessDenied, SlowDown, 5xx, hanging responses), and
 * for the benchmark as a storage that answers as fast as loopback allows (moto is a Python server and slow). The real
 * SDK talks to it through AWS_ENDPOINT_URL, path-style. Unknown keys answer NoSuchKey; a listing holds the `GET` keys
 * given as objects under its prefix.
 */
export interface StandInOptions {
  /**
   * The bucket's region (default `us-east-1`). A request signed for another region is answered as S3 does: 301
   * PermanentRedirect naming this region in `x-amz-bucket-region`.
   */
  region?: string;
}

export async function startS3StandIn(
  bucket: string,
  behaviours: Record<string, Behaviour>,
  options: StandInOptions = {},
): Promise<S3StandIn> {
  const region = options.region ?? 'us-east-1';
  const requests = new Map<string, number>();
  const remaining = new Map<string, number>();
  const lastModified = new Date();
  // What real S3 sends with every object: computed once, so a request costs only the write.
  const objects = new Map<string, { size: number; etag: string }>(
    Object.entries(behaviours).flatMap(([target, behaviour]): [string, { size: number; etag: string }][] =>
      target.startsWith('GET ') && behaviour.kind === 'object'
        ? [
            [
              target.slice(4),
              {
                size: Buffer.byteLength(behaviour.body),
                etag: `"${createHash('md5').update(behaviour.body).digest('hex')}"`,
              },
            ],
          ]
        : target.startsWith('GET ') && behaviour.kind === 'error' && behaviour.listed
          ? [[target.slice(4), { size: 0, etag: '' }]]
          : [],
    ),
  );
  const listingXml = (prefix: string, endless = false) => {
    const keys = [...objects.keys()].filter((key) => key.startsWith(prefix)).sort();
    const contents = keys.map((key) => {
      const object = objects.get(key);
      return (
        `<Contents><Key>${xmlText(key)}</Key><LastModified>${lastModified.toISOString()}</LastModified>` +
        `<ETag>${xmlText(object?.etag ?? '')}</ETag><Size>${object?.size ?? 0}</Size><StorageClass>STANDARD</StorageClass></Contents>`
      );
    });
    return (
      '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      `<Name>${xmlText(bucket)}</Name><Prefix>${xmlText(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount>` +
      `<MaxKeys>1000</MaxKeys><IsTruncated>${endless}</IsTruncated>${contents.join('')}` +
      `${endless ? '<NextContinuationToken>more</NextContinuationToken>' : ''}</ListBucketResult>`
    );
  };
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const path = decodeURIComponent(url.pathname)
      .replace(/^\//, '')
      .replace(new RegExp(`^${bucket}/$`), bucket);
    const key = path.startsWith(`${bucket}/`) ? path.slice(bucket.length + 1) : '';
    const isList = url.searchParams.get('list-type') === '2';
    const target =
      path === bucket && request.method === 'HEAD'
        ? 'HEAD-BUCKET'
        : isList
          ? `LIST ${url.searchParams.get('prefix') ?? ''}`
          : `${request.method === 'HEAD' ? 'HEAD' : 'GET'} ${key}`;
    requests.set(target, (requests.get(target) ?? 0) + 1);
    const signedRegion = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(request.headers.authorization ?? '')?.[1];
    if (signedRegion !== region) {
      response.writeHead(301, { 'content-type': 'application/xml', 'x-amz-bucket-region': region });
      response.end(request.method === 'HEAD' ? undefined : errorXml('PermanentRedirect'));
      return;
    }
    const behaviour = behaviours[target];
    if (target === 'HEAD-BUCKET' && !behaviour) {
      response.writeHead(200, { 'x-amz-bucket-region': region }).end();
      return;
    }
    if (behaviour?.kind === 'hang') return;
    if (behaviour?.kind === 'error') {
      const left = remaining.get(target) ?? behaviour.times ?? Number.POSITIVE_INFINITY;
      if (left > 0) {
        remaining.set(target, left - 1);
        response.writeHead(behaviour.status, { 'content-type': 'application/xml' });
        response.end(request.method === 'HEAD' ? undefined : errorXml(behaviour.code));
        return;
      }
    }
    if (isList) {
      response.writeHead(200, { 'content-type': 'application/xml' });
      response.end(listingXml(url.searchParams.get('prefix') ?? '', behaviour?.kind === 'endless-listing'));
      return;
    }
    const body =
      behaviour?.kind === 'object' ? behaviour.body : behaviour?.kind === 'error' ? behaviour.thenBody : undefined;
    if (body !== undefined) {
      const etag = objects.get(key)?.etag;
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': Buffer.byteLength(body),
        'last-modified': lastModified.toUTCString(),
        ...(etag ? { etag } : {}),
        ...(behaviour?.kind === 'object' && behaviour.kmsKeyId
          ? {
              'x-amz-server-side-encryption': 'aws:kms',
              'x-amz-server-side-encryption-aws-kms-key-id': behaviour.kmsKeyId,
            }
          : {}),
      });
      response.end(request.method === 'HEAD' ? undefined : body);
      return;
    }
    response.writeHead(404, { 'content-type': 'application/xml' });
    response.end(errorXml('NoSuchKey'));
  };
  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
