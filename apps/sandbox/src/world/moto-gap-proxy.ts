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

/** An instance the sandbox keeps in `Terminating:Wait` (moto has already removed it from the group). */
export interface TerminatingInstance {
  readonly instanceId: string;
  readonly groupName: string;
  readonly availabilityZone: string;
}

export interface MotoGapProxy {
  /** Point every product process here instead of at moto. */
  readonly endpoint: string;
  lifecycleActions(): readonly LifecycleActionCall[];
  onLifecycleAction(listener: (call: LifecycleActionCall) => void): () => void;
  /** Where `ListCommandInvocations` answers come from (the fleet, which runs the commands). */
  setCommandInvocations(provider: (commandId: string | undefined) => readonly CommandInvocation[]): void;
  /** Instances shown in `Terminating:Wait` until their lifecycle action is completed (the fleet's draining hosts). */
  setTerminatingInstances(provider: () => readonly TerminatingInstance[]): void;
  close(): Promise<void>;
}

/**
 * What moto 5.2.5 lacks and the product calls, answered here; everything else is passed through unchanged:
 * - `CompleteLifecycleAction` and `RecordLifecycleActionHeartbeat` (Auto Scaling): moto has no model of lifecycle
 *   actions (it terminates an instance at once, with no `Terminating:Wait`), so lifecycled's calls are recorded and
 *   answered as AWS answers them. The sandbox keeps the terminating host alive until lifecycled completes.
 * - `ListCommandInvocations` (SSM): moto raises NotImplementedError (HTTP 500), and it never runs commands; the
 *   sandbox runs them on the simulated instances and answers with what happened (stop-agents reads it).
 * - `Terminating:Wait`: moto removes a terminated instance from its group at once, so `DescribeAutoScalingGroups` and
 *   `DescribeAutoScalingInstances` answers get the instances the sandbox still drains added in `Terminating:Wait`, as
 *   AWS lists them until the lifecycle action completes (stop-agents waits for them; the scaler sees them).
 */
export async function startMotoGapProxy(upstream: string): Promise<MotoGapProxy> {
  const upstreamUrl = new URL(upstream);
  const calls: LifecycleActionCall[] = [];
  const listeners = new Set<(call: LifecycleActionCall) => void>();
  let commandInvocations: (commandId: string | undefined) => readonly CommandInvocation[] = () => [];
  let terminating: () => readonly TerminatingInstance[] = () => [];
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
        const rewrite =
          answer.statusCode === 200 &&
          (action === 'DescribeAutoScalingGroups' || action === 'DescribeAutoScalingInstances') &&
          terminating().length > 0;
        if (!rewrite) {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.once('end', () => {
          const xml = Buffer.concat(chunks).toString('utf8');
          const requested = form === undefined ? [] : listParameter(form, 'InstanceIds');
          const rewritten =
            action === 'DescribeAutoScalingGroups'
              ? withTerminatingGroupInstances(xml, terminating())
              : withTerminatingInstances(
                  xml,
                  terminating().filter((instance) => requested.length === 0 || requested.includes(instance.instanceId)),
                );
          const headers = { ...answer.headers, 'content-length': String(Buffer.byteLength(rewritten)) };
          outgoing.writeHead(200, headers);
          outgoing.end(rewritten);
        });
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
    setTerminatingInstances(provider) {
      terminating = provider;
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

/** `Name.member.1`, `Name.member.2`, … of a query-protocol request. */
function listParameter(form: URLSearchParams, name: string): string[] {
  const values: string[] = [];
  for (let index = 1; form.has(`${name}.member.${index}`); index += 1) {
    values.push(form.get(`${name}.member.${index}`) as string);
  }
  return values;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (character) => `&#${character.charCodeAt(0)};`);
}

function instanceMember(instance: TerminatingInstance, withGroup: boolean): string {
  return (
    `<member><InstanceId>${escapeXml(instance.instanceId)}</InstanceId>` +
    (withGroup ? `<AutoScalingGroupName>${escapeXml(instance.groupName)}</AutoScalingGroupName>` : '') +
    `<AvailabilityZone>${escapeXml(instance.availabilityZone)}</AvailabilityZone>` +
    '<LifecycleState>Terminating:Wait</LifecycleState><HealthStatus>Healthy</HealthStatus>' +
    '<ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>'
  );
}

/** Adds members to the list element `tag` (present, empty `<tag/>`, or missing: then placed at `fallbackAt`). */
function addToList(segment: string, tag: string, members: string, fallbackAt: number): string {
  if (members === '') return segment;
  const open = segment.indexOf(`<${tag}>`);
  if (open >= 0) return `${segment.slice(0, open + tag.length + 2)}${members}${segment.slice(open + tag.length + 2)}`;
  const empty = segment.indexOf(`<${tag}/>`);
  if (empty >= 0)
    return `${segment.slice(0, empty)}<${tag}>${members}</${tag}>${segment.slice(empty + tag.length + 3)}`;
  return `${segment.slice(0, fallbackAt)}<${tag}>${members}</${tag}>${segment.slice(fallbackAt)}`;
}

/** DescribeAutoScalingGroups: each group's `Instances` gets its terminating instances. */
export function withTerminatingGroupInstances(xml: string, instances: readonly TerminatingInstance[]): string {
  const marker = '<AutoScalingGroupName>';
  const starts: number[] = [];
  for (let at = xml.indexOf(marker); at >= 0; at = xml.indexOf(marker, at + 1)) starts.push(at);
  if (starts.length === 0) return xml;
  let result = xml.slice(0, starts[0]);
  starts.forEach((start, index) => {
    const end = starts[index + 1] ?? xml.length;
    const segment = xml.slice(start, end);
    const name = segment.slice(marker.length, segment.indexOf('</AutoScalingGroupName>'));
    const members = instances
      .filter((instance) => escapeXml(instance.groupName) === name)
      .map((instance) => instanceMember(instance, false))
      .join('');
    const afterName = segment.indexOf('</AutoScalingGroupName>') + '</AutoScalingGroupName>'.length;
    result += addToList(segment, 'Instances', members, afterName);
  });
  return result;
}

/** DescribeAutoScalingInstances: the terminating instances asked for, with their group. */
export function withTerminatingInstances(xml: string, instances: readonly TerminatingInstance[]): string {
  const members = instances.map((instance) => instanceMember(instance, true)).join('');
  const result = xml.indexOf('<DescribeAutoScalingInstancesResult>');
  const fallback = result >= 0 ? result + '<DescribeAutoScalingInstancesResult>'.length : 0;
  return addToList(xml, 'AutoScalingInstances', members, fallback);
}
