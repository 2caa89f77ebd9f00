import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the stand-in answers one target: `GET key`, `HEAD key`, `HEAD-BUCKET` or `LIST prefix`. */
export type Behaviour =
  | { kind: 'object'; body: string; kmsKeyId?: string }
  /** Fails `times` times (always when unset), then serves `thenBody`. */
  | { kind: 'error'; status: number; code: string; times?: number; thenBody?: string }
  | { kind: 'hang' };

export interface S3StandIn {
  endpoint: string;
  /** Requests seen per target (`GET key`, `HEAD bucket`, `LIST prefix`). */
  requests: Map<string, number>;
  close(): Promise<void>;
}

const errorXml = (code: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${code} from the stand-in</Message><RequestId>r1</RequestId></Error>`;

/**
 * A tiny S3 on loopback for the failures moto cannot produce (AccessDenied, SlowDown, 5xx, hanging responses): the
 * real SDK talks to it through AWS_ENDPOINT_URL, path-style. Unknown keys answer NoSuchKey; listings are empty.
 */
export async function startS3StandIn(bucket: string, behaviours: Record<string, Behaviour>): Promise<S3StandIn> {
  const requests = new Map<string, number>();
  const remaining = new Map<string, number>();
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
    const behaviour = behaviours[target];
    if (target === 'HEAD-BUCKET' && !behaviour) {
      response.writeHead(200, { 'x-amz-bucket-region': 'us-east-1' }).end();
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
      response.end(
        '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
          `<Name>${bucket}</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`,
      );
      return;
    }
    const body =
      behaviour?.kind === 'object' ? behaviour.body : behaviour?.kind === 'error' ? behaviour.thenBody : undefined;
    if (body !== undefined) {
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': Buffer.byteLength(body),
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
