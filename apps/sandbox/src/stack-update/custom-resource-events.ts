import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a custom resource answered on its ResponseURL (the body CloudFormation would read). */
export interface CustomResourceAnswer {
  readonly requestId: string;
  readonly status: 'SUCCESS' | 'FAILED' | string;
  readonly physicalResourceId: string | undefined;
  readonly reason: string | undefined;
  readonly data: Readonly<Record<string, unknown>> | undefined;
  readonly raw: string;
}

export interface ResponseRecorder {
  /** A pre-signed-looking ResponseURL for one request. */
  urlFor(requestId: string): string;
  /** Resolves with the first answer to the request (later answers are recorded, as CloudFormation ignores them). */
  answer(requestId: string): Promise<CustomResourceAnswer>;
  answers(): readonly CustomResourceAnswer[];
  close(): Promise<void>;
}

/** A local stand-in for CloudFormation's S3 response bucket: takes the PUT of each answer and records it. */
export async function startResponseRecorder(): Promise<ResponseRecorder> {
  const answers: CustomResourceAnswer[] = [];
  const waiters = new Map<string, (answer: CustomResourceAnswer) => void>();
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.once('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const requestId = decodeURIComponent(
        new URL(incoming.url ?? '/', 'http://local').pathname.split('/').pop() ?? '',
      );
      let parsed: Record<string, unknown> = {};
      try {
        parsed = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        // Recorded raw: CloudFormation would fail the resource on an unreadable answer.
      }
      const answer: CustomResourceAnswer = {
        requestId,
        status: String(parsed.Status ?? 'UNREADABLE'),
        physicalResourceId: typeof parsed.PhysicalResourceId === 'string' ? parsed.PhysicalResourceId : undefined,
        reason: typeof parsed.Reason === 'string' ? parsed.Reason : undefined,
        data:
          typeof parsed.Data === 'object' && parsed.Data !== null
            ? (parsed.Data as Record<string, unknown>)
            : undefined,
        raw,
      };
      answers.push(answer);
      waiters.get(requestId)?.(answer);
      waiters.delete(requestId);
      outgoing.writeHead(200);
      outgoing.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    urlFor: (requestId) =>
      `http://127.0.0.1:${port}/cloudformation-custom-resource-response/${encodeURIComponent(requestId)}?X-Amz-Signature=sandbox`,
    answer(requestId) {
      const existing = answers.find((answer) => answer.requestId === requestId);
      if (existing) return Promise.resolve(existing);
      return new Promise((resolve) => waiters.set(requestId, resolve));
    },
    answers: () => [...answers],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface CustomResourceEventInput {
  readonly requestType: 'Create' | 'Update' | 'Delete';
  readonly stackName: string;
  readonly region: string;
  readonly logicalResourceId: string;
  readonly resourceType: string;
  readonly serviceToken: string;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly oldProperties?: Readonly<Record<string, unknown>>;
  readonly physicalResourceId?: string;
  readonly responseUrlFor: (requestId: string) => string;
}

/** The event CloudFormation sends a custom resource's Lambda (string-typed properties, as CloudFormation sends them). */
export function customResourceEvent(input: CustomResourceEventInput): {
  requestId: string;
  event: Record<string, unknown>;
} {
  const requestId = randomUUID();
  const stringify = (properties: Readonly<Record<string, unknown>>) =>
    Object.fromEntries(
      Object.entries(properties).map(([key, value]) => [key, typeof value === 'object' ? value : String(value)]),
    );
  return {
    requestId,
    event: {
      RequestType: input.requestType,
      ServiceToken: input.serviceToken,
      ResponseURL: input.responseUrlFor(requestId),
      StackId: `arn:aws:cloudformation:${input.region}:123456789012:stack/${input.stackName}/${randomUUID()}`,
      RequestId: requestId,
      LogicalResourceId: input.logicalResourceId,
      ResourceType: input.resourceType,
      ResourceProperties: stringify(input.properties),
      ...(input.oldProperties === undefined ? {} : { OldResourceProperties: stringify(input.oldProperties) }),
      ...(input.physicalResourceId === undefined ? {} : { PhysicalResourceId: input.physicalResourceId }),
    },
  };
}
