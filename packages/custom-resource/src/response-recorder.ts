import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request CloudFormation's stand-in received. */
export interface RecordedAnswer {
  method: string;
  path: string;
  query: string;
  headers: IncomingHttpHeaders;
  /** The body as text; tests parse it with `JSON.parse` because the runner under test produced it. */
  body: string;
}

export interface ResponseRecorder {
  /** A pre-signed-looking URL on this server: `http://127.0.0.1:<port>/<path>?X-Amz-Signature=...`. */
  urlFor(path?: string): string;
  /** Every request received, in order, including rejected ones. */
  readonly answers: RecordedAnswer[];
  /** Makes the next `count` requests fail with `status` (to exercise retries). */
  failNext(count: number, status: number): void;
  close(): Promise<void>;
}

/**
 * A loopback HTTP server standing in for the pre-signed S3 URL CloudFormation hands a custom resource: records
 * every PUT so a test can assert exactly what CloudFormation would have read.
 */
export async function startResponseRecorder(): Promise<ResponseRecorder> {
  const answers: RecordedAnswer[] = [];
  let failures: { count: number; status: number } = { count: 0, status: 500 };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      answers.push({
        method: request.method ?? '',
        path: url.pathname,
        query: url.search,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      if (failures.count > 0) {
        failures = { ...failures, count: failures.count - 1 };
        response.statusCode = failures.status;
        response.end('<Error><Code>InternalError</Code></Error>');
        return;
      }
      response.statusCode = 200;
      response.end();
    });
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    urlFor: (path = 'stack/resource/request') =>
      `http://127.0.0.1:${port}/${path}?X-Amz-Signature=canary-signature-0123456789&X-Amz-Expires=7200`,
    answers,
    failNext(count, status) {
      failures = { count, status };
    },
    close: () =>
      new Promise((resolveClose, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolveClose()));
      }),
  };
}
