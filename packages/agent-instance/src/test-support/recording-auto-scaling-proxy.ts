// Test support: an HTTP stand-in in front of moto for the Auto Scaling calls moto 5 does not implement.
import { appendFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * moto (5.2) has lifecycle hooks (Put/Describe/DeleteLifecycleHook) but no CompleteLifecycleAction: this proxy answers
 * that one call itself and records it; every other request goes to moto unchanged.
 */
const ANSWERED_HERE = new Set(['CompleteLifecycleAction']);

export interface RecordedAutoScalingCall {
  readonly action: string;
  readonly params: Readonly<Record<string, string>>;
}

export interface RecordingAutoScalingProxy {
  readonly endpoint: string;
  readonly calls: RecordedAutoScalingCall[];
  close(): Promise<void>;
}

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const HOP_BY_HOP = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'content-encoding']);

/**
 * @param motoEndpoint where everything else goes
 * @param timelineFile when given, each answered call is appended to it as one line (`aws <Action> <hook> <result>`),
 *   so a test can see it in order with what the systemctl stand-in appends to the same file
 */
export async function startRecordingAutoScalingProxy(
  motoEndpoint: string,
  timelineFile?: string,
  options: {
    /** Answer CompleteLifecycleAction as Auto Scaling does for an instance that waits in no lifecycle action. */
    readonly noPendingAction?: boolean;
  } = {},
): Promise<RecordingAutoScalingProxy> {
  const calls: RecordedAutoScalingCall[] = [];
  const server = createServer((request, response) => {
    void (async () => {
      const body = await bodyOf(request);
      const form = String(request.headers['content-type'] ?? '').includes('x-www-form-urlencoded');
      const params = form ? Object.fromEntries(new URLSearchParams(body.toString('utf8'))) : {};
      const action = params.Action;
      if (action !== undefined && ANSWERED_HERE.has(action)) {
        calls.push({ action, params });
        if (timelineFile !== undefined) {
          appendFileSync(timelineFile, `aws ${action} ${params.LifecycleHookName} ${params.LifecycleActionResult}\n`);
        }
        if (options.noPendingAction === true) {
          response.writeHead(400, { 'content-type': 'text/xml' });
          response.end(
            `<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>No active Lifecycle Action found with instance ID ${params.InstanceId}</Message></Error><RequestId>proxy-${calls.length}</RequestId></ErrorResponse>`,
          );
          return;
        }
        response.writeHead(200, { 'content-type': 'text/xml' });
        response.end(
          `<${action}Response xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><${action}Result/><ResponseMetadata><RequestId>proxy-${calls.length}</RequestId></ResponseMetadata></${action}Response>`,
        );
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === 'string' && !HOP_BY_HOP.has(name)) headers[name] = value;
      }
      const answer = await fetch(`${motoEndpoint}${request.url ?? '/'}`, {
        method: request.method ?? 'GET',
        headers,
        ...(body.length > 0 ? { body } : {}),
      });
      const answerHeaders: Record<string, string> = {};
      answer.headers.forEach((value, name) => {
        if (!HOP_BY_HOP.has(name)) answerHeaders[name] = value;
      });
      response.writeHead(answer.status, answerHeaders);
      response.end(Buffer.from(await answer.arrayBuffer()));
    })().catch((error: unknown) => {
      response.writeHead(502);
      response.end(String(error));
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', () => listening()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((closed) => {
        server.closeAllConnections();
        server.close(() => closed());
      }),
  };
}
