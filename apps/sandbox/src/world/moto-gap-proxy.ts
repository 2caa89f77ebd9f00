import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A lifecycle action the sandbox answered in moto's place. */
export interface LifecycleActionCall {
  readonly action: 'CompleteLifecycleAction' | 'RecordLifecycleActionHeartbeat';
  readonly instanceId: string | undefined;
  readonly groupName: string | undefined;
  readonly hookName: string | undefined;
  readonly result: string | undefined;
  readonly at: number;
}

/** One instance's execution of an SSM Run Command, as the sandbox ran it. */
export interface CommandInvocation {
  readonly commandId: string;
  readonly instanceId: string;
  readonly status: 'Pending' | 'InProgress' | 'Success' | 'Failed';
  readonly requestedAt: number;
  readonly documentName: string;
}

export interface MotoGapProxy {
  /** Point every product process here instead of at moto. */
  readonly endpoint: string;
  lifecycleActions(): readonly LifecycleActionCall[];
  onLifecycleAction(listener: (call: LifecycleActionCall) => void): () => void;
  /** Where `ListCommandInvocations` answers come from (the fleet, which runs the commands). */
  setCommandInvocations(provider: (commandId: string | undefined) => readonly CommandInvocation[]): void;
  close(): Promise<void>;
}

/**
 * What moto 5.2.5 lacks and the product calls, answered here; everything else is passed through unchanged:
 * - `CompleteLifecycleAction` and `RecordLifecycleActionHeartbeat` (Auto Scaling): moto has no model of lifecycle
 *   actions (it terminates an instance at once, with no `Terminating:Wait`), so lifecycled's calls are recorded and
 *   answered as AWS answers them. The sandbox keeps the terminating host alive until lifecycled completes.
 * - `ListCommandInvocations` (SSM): moto raises NotImplementedError (HTTP 500), and it never runs commands; the
 *   sandbox runs them on the simulated instances and answers with what happened (stop-agents reads it).
 */
export async function startMotoGapProxy(upstream: string): Promise<MotoGapProxy> {
  const upstreamUrl = new URL(upstream);
  const calls: LifecycleActionCall[] = [];
  const listeners = new Set<(call: LifecycleActionCall) => void>();
  let commandInvocations: (commandId: string | undefined) => readonly CommandInvocation[] = () => [];
  const server: Server = createServer(async (incoming, outgoing) => {
    const body = await readBody(incoming);
    const form = isForm(incoming) ? new URLSearchParams(body.toString('utf8')) : undefined;
    const action = form?.get('Action');
    if (action === 'CompleteLifecycleAction' || action === 'RecordLifecycleActionHeartbeat') {
      const call: LifecycleActionCall = {
        action,
        instanceId: form?.get('InstanceId') ?? undefined,
        groupName: form?.get('AutoScalingGroupName') ?? undefined,
        hookName: form?.get('LifecycleHookName') ?? undefined,
        result: form?.get('LifecycleActionResult') ?? undefined,
        at: Date.now(),
      };
      calls.push(call);
      for (const listener of listeners) listener(call);
      outgoing.writeHead(200, { 'content-type': 'text/xml' });
      outgoing.end(
        `<${action}Response xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><${action}Result/>` +
          `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
      );
      return;
    }
    if (incoming.headers['x-amz-target'] === 'AmazonSSM.ListCommandInvocations') {
      let request: { CommandId?: string; InstanceId?: string } = {};
      try {
        request = JSON.parse(body.toString('utf8') || '{}') as typeof request;
      } catch {
        // An unreadable request lists everything, as an empty filter would.
      }
      const invocations = commandInvocations(request.CommandId).filter(
        (invocation) => request.InstanceId === undefined || invocation.instanceId === request.InstanceId,
      );
      outgoing.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      outgoing.end(
        JSON.stringify({
          CommandInvocations: invocations.map((invocation) => ({
            CommandId: invocation.commandId,
            InstanceId: invocation.instanceId,
            Status: invocation.status,
            StatusDetails: invocation.status,
            DocumentName: invocation.documentName,
            RequestedDateTime: invocation.requestedAt / 1000,
          })),
        }),
      );
      return;
    }
    const forwarded = httpRequest(
      {
        host: upstreamUrl.hostname,
        port: upstreamUrl.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: upstreamUrl.host },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.once('error', (error) => {
      if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'text/plain' });
      outgoing.end(`sandbox proxy: moto did not answer: ${error.message}`);
    });
    forwarded.end(body);
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    lifecycleActions: () => [...calls],
    onLifecycleAction(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    setCommandInvocations(provider) {
      commandInvocations = provider;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function isForm(incoming: IncomingMessage): boolean {
  return String(incoming.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}

function readBody(incoming: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.once('end', () => resolve(Buffer.concat(chunks)));
    incoming.once('error', reject);
  });
}
