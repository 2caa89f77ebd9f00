import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { awsErrorAnswer } from '@elastic-ci/testing';

/** The two Auto Scaling calls moto does not implement (nor does it hold instances in Terminating:Wait). */
const LIFECYCLE_ACTIONS = new Set(['CompleteLifecycleAction', 'RecordLifecycleActionHeartbeat']);

export interface PendingLifecycleAction {
  autoScalingGroupName: string;
  lifecycleHookName: string;
  instanceId: string;
  token: string;
}

export interface LifecycleActionStandIn {
  /** Give this to the SDK client as `endpoint`. */
  readonly endpoint: string;
  /** Actions waiting for completion; a completed one is removed. */
  readonly pending: PendingLifecycleAction[];
  /** Every lifecycle call received, with its query parameters. */
  readonly calls: { action: string; params: Record<string, string> }[];
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * moto lacks CompleteLifecycleAction and RecordLifecycleActionHeartbeat: this stand-in in front of moto answers those
 * two from a table of pending lifecycle actions, as Auto Scaling does — addressed by token when one is given (so a
 * broker that forwarded a token would reach the token's instance, which the tests must catch), else by group, hook
 * and instance; `ValidationError` "No active Lifecycle Action found" when none matches. Every other call is forwarded
 * to moto unchanged.
 */
export async function startLifecycleActionStandIn(
  motoEndpoint: string,
  pending: PendingLifecycleAction[],
): Promise<LifecycleActionStandIn> {
  const calls: LifecycleActionStandIn['calls'] = [];
  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const contentType = String(request.headers['content-type'] ?? '');
      const params = contentType.includes('x-www-form-urlencoded')
        ? Object.fromEntries(new URLSearchParams(body.toString('utf8')))
        : {};
      const action = params.Action;
      if (action && LIFECYCLE_ACTIONS.has(action)) {
        calls.push({ action, params });
        const index = pending.findIndex((candidate) =>
          params.LifecycleActionToken
            ? candidate.token === params.LifecycleActionToken
            : candidate.instanceId === params.InstanceId &&
              candidate.lifecycleHookName === params.LifecycleHookName &&
              candidate.autoScalingGroupName === params.AutoScalingGroupName,
        );
        if (index < 0) {
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
        if (action === 'CompleteLifecycleAction') pending.splice(index, 1);
        response.writeHead(200, { 'content-type': 'text/xml' });
        response.end(
          `<${action}Response xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><${action}Result/><ResponseMetadata><RequestId>stand-in-${calls.length}</RequestId></ResponseMetadata></${action}Response>`,
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
        if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(name)) {
          answerHeaders[name] = value;
        }
      });
      response.writeHead(forwarded.status, answerHeaders);
      response.end(answer);
    })().catch((error: unknown) => {
      response.writeHead(502);
      response.end(String(error));
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', () => listening()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pending,
    calls,
    close: () =>
      new Promise<void>((closed) => {
        server.closeAllConnections();
        server.close(() => closed());
      }),
  };
}
