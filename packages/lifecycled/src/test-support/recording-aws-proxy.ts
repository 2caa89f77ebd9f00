import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The two Auto Scaling calls moto does not implement; this proxy answers them itself and records them. */
const RECORDED_ACTIONS = new Set(['CompleteLifecycleAction', 'RecordLifecycleActionHeartbeat']);

export interface RecordedAwsCall {
  action: string;
  params: Record<string, string>;
  at: number;
}

export interface RecordingAwsProxy {
  endpoint: string;
  calls: RecordedAwsCall[];
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A recording HTTP stand-in in front of moto for processes that aws-sdk-client-mock cannot reach: Auto Scaling's
 * query-protocol CompleteLifecycleAction and RecordLifecycleActionHeartbeat are answered here; everything else
 * (DescribeAutoScalingInstances, DescribeLifecycleHooks, SQS, SNS, Logs) is forwarded to moto unchanged.
 */
export async function startRecordingAwsProxy(motoEndpoint: string): Promise<RecordingAwsProxy> {
  const calls: RecordedAwsCall[] = [];
  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const contentType = String(request.headers['content-type'] ?? '');
      const params = contentType.includes('x-www-form-urlencoded')
        ? Object.fromEntries(new URLSearchParams(body.toString('utf8')))
        : {};
      const action = params.Action;
      if (action && RECORDED_ACTIONS.has(action)) {
        calls.push({ action, params, at: Date.now() });
        response.writeHead(200, { 'content-type': 'text/xml' });
        response.end(
          `<${action}Response xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><${action}Result/><ResponseMetadata><RequestId>recorded-${calls.length}</RequestId></ResponseMetadata></${action}Response>`,
        );
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(request.headers).flatMap(([name, value]) =>
          typeof value === 'string' && !['host', 'content-length', 'connection'].includes(name) ? [[name, value]] : [],
        ),
      );
      const forwarded = await fetch(`${motoEndpoint}${request.url ?? '/'}`, {
        method: request.method ?? 'GET',
        headers,
        ...(body.length > 0 ? { body } : {}),
      });
      const answer = Buffer.from(await forwarded.arrayBuffer());
      const answerHeaders: Record<string, string> = {};
      forwarded.headers.forEach((value, name) => {
        if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(name))
          answerHeaders[name] = value;
      });
      response.writeHead(forwarded.status, answerHeaders);
      response.end(answer);
    })().catch((error: unknown) => {
      response.writeHead(502);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', () => resolveListen()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
