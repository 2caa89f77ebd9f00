import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { awsErrorAnswer } from './aws-fault-proxy';

/**
 * The Auto Scaling calls moto (5.2) does not implement: it models lifecycle hooks (Put/Describe/DeleteLifecycleHook)
 * but no lifecycle actions, so nothing can be completed or heartbeated, and an instance never waits in
 * Terminating:Wait. One stand-in for every package's tests.
 */
export const LIFECYCLE_ACTION_CALLS = ['CompleteLifecycleAction', 'RecordLifecycleActionHeartbeat'] as const;
export type LifecycleActionCallName = (typeof LIFECYCLE_ACTION_CALLS)[number];

export interface StandInLifecycleCall {
  readonly action: LifecycleActionCallName;
  /** The call's query parameters (`InstanceId`, `LifecycleHookName`, `LifecycleActionResult`, …). */
  readonly params: Readonly<Record<string, string>>;
  /** Epoch milliseconds it arrived. */
  readonly at: number;
}

/** How Auto Scaling answers: done, or `ValidationError` "No active Lifecycle Action found" (nothing to act on). */
export type LifecycleCallAnswer = 'done' | 'no-pending-action';

export interface LifecycleActionStandInOptions {
  /** Which of the two calls are answered here; the others go to moto. @default both */
  readonly calls?: readonly LifecycleActionCallName[];
  /** Decides each call's answer, after it is recorded. @default every call is done */
  readonly answer?: (call: StandInLifecycleCall) => LifecycleCallAnswer;
}

export interface LifecycleActionStandIn {
  /** Give this to the SDK client (or the process's `AWS_ENDPOINT_URL`) instead of moto's. */
  readonly endpoint: string;
  /** Every call answered here, in order. */
  readonly calls: StandInLifecycleCall[];
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const HOP_BY_HOP = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'content-encoding']);

/**
 * An HTTP stand-in in front of moto: the lifecycle-action calls (query protocol) are recorded and answered here as
 * Auto Scaling answers them; every other request goes to moto unchanged.
 */
export async function startLifecycleActionStandIn(
  motoEndpoint: string,
  options: LifecycleActionStandInOptions = {},
): Promise<LifecycleActionStandIn> {
  const answeredHere = new Set<string>(options.calls ?? LIFECYCLE_ACTION_CALLS);
  const decide = options.answer ?? (() => 'done');
  const calls: StandInLifecycleCall[] = [];
  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const form = String(request.headers['content-type'] ?? '').includes('x-www-form-urlencoded');
      const params = form ? Object.fromEntries(new URLSearchParams(body.toString('utf8'))) : {};
      const action = params.Action;
      if (action !== undefined && answeredHere.has(action)) {
        const call: StandInLifecycleCall = { action: action as LifecycleActionCallName, params, at: Date.now() };
        calls.push(call);
        if (decide(call) === 'no-pending-action') {
          const answer = awsErrorAnswer(
            'query',
            400,
            'ValidationError',
            `No active Lifecycle Action found with instance ID ${params.InstanceId ?? ''}`,
            'Sender',
          );
          response.writeHead(answer.status, answer.headers);
          response.end(answer.body);
          return;
        }
        response.writeHead(200, { 'content-type': 'text/xml' });
        response.end(
          `<${action}Response xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><${action}Result/><ResponseMetadata><RequestId>stand-in-${calls.length}</RequestId></ResponseMetadata></${action}Response>`,
        );
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === 'string' && !HOP_BY_HOP.has(name)) headers[name] = value;
      }
      const forwarded = await fetch(`${motoEndpoint}${request.url ?? '/'}`, {
        method: request.method ?? 'GET',
        headers,
        ...(body.length > 0 ? { body } : {}),
      });
      const answerHeaders: Record<string, string> = {};
      forwarded.headers.forEach((value, name) => {
        if (!HOP_BY_HOP.has(name)) answerHeaders[name] = value;
      });
      response.writeHead(forwarded.status, answerHeaders);
      response.end(Buffer.from(await forwarded.arrayBuffer()));
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
