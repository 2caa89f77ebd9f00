import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * The wire protocol of one AWS call, which decides the shape of a faked error: the SDK only classifies an error as
 * throttling when its code sits where that protocol's deserializer looks for it.
 */
export type AwsWireProtocol = 'query' | 'ec2-query' | 'json' | 'rest-json' | 'rest-xml' | 'rpc-v2-cbor';

/** What the proxy does to a matching call instead of (or before) forwarding it to moto. */
export type AwsFault =
  /** A throttling error in the protocol's shape; `code` defaults to the service family's usual code. */
  | { kind: 'throttle'; code?: string }
  /** A 5xx answer (default 503 `ServiceUnavailable`; 500 answers `InternalFailure`). */
  | { kind: 'server-error'; status?: 500 | 502 | 503 | 504 }
  /** Forwarded, but only after `delayMs` (a client with a shorter socket timeout sees a timeout). */
  | { kind: 'slow'; delayMs: number }
  /** The connection is dropped without an answer (ECONNRESET on the client side). */
  | { kind: 'connection-reset' };

export interface AwsCallMatcher {
  /** Signing name from the SigV4 credential scope: `autoscaling`, `ec2`, `dynamodb`, `ssm`, `monitoring`, `lambda`… */
  service?: string;
  /** Operation name (`SetDesiredCapacity`, `PutItem`); a RegExp matches any of several. */
  action?: string | RegExp;
}

export interface AwsFaultRule {
  /** Calls it applies to; empty = every call. */
  match?: AwsCallMatcher;
  fault: AwsFault;
  /** Answer this many matching calls, then stop. */
  calls?: number;
  /** Stay active this long (by the proxy's clock) from injection. Without `calls` or `durationMs`: until removed. */
  durationMs?: number;
}

export interface RecordedAwsCall {
  at: number;
  service: string;
  action: string;
  protocol: AwsWireProtocol;
  /** The fault that answered it, if any (a `slow` call is also forwarded). */
  fault?: AwsFault['kind'];
  /** HTTP status the client received; undefined when the connection was dropped or the client went away. */
  status?: number;
}

export interface AwsFaultHandle {
  /** Matching calls this rule answered so far. */
  readonly answered: number;
  /** False once its call budget or duration is used up, or after `remove()`. */
  readonly active: boolean;
  remove(): void;
}

export interface AwsFaultProxy {
  /** Give this to product code as `AWS_ENDPOINT_URL` (or to SDK clients as `endpoint`). */
  readonly endpoint: string;
  inject(rule: AwsFaultRule): AwsFaultHandle;
  /** Removes every rule. */
  clear(): void;
  calls(match?: AwsCallMatcher): readonly RecordedAwsCall[];
  /** Forgets the recorded calls (rules stay). */
  resetCalls(): void;
  stop(): Promise<void>;
}

export interface StartAwsFaultProxyOptions {
  /** moto's endpoint, e.g. `http://127.0.0.1:5000`. */
  target: string;
  /** Clock for `durationMs` and recorded times (epoch ms). @default Date.now */
  now?: () => number;
  /** Keep at most this many recorded calls (oldest dropped). @default 10_000 */
  maxRecordedCalls?: number;
}

export class AwsFaultProxyError extends Error {
  override name = 'AwsFaultProxyError';
}

interface ParsedCall {
  service: string;
  action: string;
  protocol: AwsWireProtocol;
}

const CREDENTIAL_SCOPE = /Credential=[^/,\s]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/;

/** Reads service, operation and protocol from a signed SDK request; exported for tests. */
export function parseAwsCall(
  method: string,
  url: string,
  headers: Record<string, string | string[] | undefined>,
  body: string,
): ParsedCall {
  const header = (name: string): string => {
    const value = headers[name];
    return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
  };
  const scope = CREDENTIAL_SCOPE.exec(header('authorization'));
  const service = scope?.[1] ?? 'unknown';
  const contentType = header('content-type');
  const target = header('x-amz-target');
  if (target) {
    return { service, action: target.slice(target.lastIndexOf('.') + 1), protocol: 'json' };
  }
  const path = url.split('?')[0] ?? '/';
  if (header('smithy-protocol') === 'rpc-v2-cbor') {
    const operation = /\/operation\/([^/?]+)/.exec(path)?.[1];
    return { service, action: operation ?? path, protocol: 'rpc-v2-cbor' };
  }
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    const action = new URLSearchParams(body).get('Action') ?? 'unknown';
    return { service, action, protocol: service === 'ec2' ? 'ec2-query' : 'query' };
  }
  const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
  const queryAction = query.get('Action');
  if (queryAction) return { service, action: queryAction, protocol: service === 'ec2' ? 'ec2-query' : 'query' };
  // REST protocols name the operation only through method and path; s3 is the REST-XML service we use.
  const protocol: AwsWireProtocol = service === 's3' ? 'rest-xml' : 'rest-json';
  return { service, action: `${method} ${path}`, protocol };
}

function defaultThrottleCode(call: ParsedCall): string {
  switch (call.protocol) {
    case 'query':
      return 'Throttling';
    case 'ec2-query':
      return 'RequestLimitExceeded';
    case 'rest-xml':
      return 'SlowDown';
    case 'rest-json':
      return 'TooManyRequestsException';
    default:
      return 'ThrottlingException';
  }
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** Minimal CBOR for a map of text strings (the smithy RPC v2 error body). */
function cborTextMap(entries: Record<string, string>): Buffer {
  const head = (major: number, length: number): Buffer => {
    if (length < 24) return Buffer.from([(major << 5) | length]);
    if (length < 256) return Buffer.from([(major << 5) | 24, length]);
    const buffer = Buffer.alloc(3);
    buffer[0] = (major << 5) | 25;
    buffer.writeUInt16BE(length, 1);
    return buffer;
  };
  const text = (value: string): Buffer => {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  };
  const parts = [head(5, Object.keys(entries).length)];
  for (const [key, value] of Object.entries(entries)) parts.push(text(key), text(value));
  return Buffer.concat(parts);
}

interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** An AWS error answer in the shape the SDK's deserializer for `protocol` reads its code from. */
export function awsErrorAnswer(
  protocol: AwsWireProtocol,
  status: number,
  code: string,
  message: string,
  fault: 'Sender' | 'Receiver',
): ErrorAnswer {
  const requestId = randomUUID();
  switch (protocol) {
    case 'query':
      return {
        status,
        headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
        body: Buffer.from(
          `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>${fault}</Type><Code>${escapeXml(code)}</Code>` +
            `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
        ),
      };
    case 'ec2-query':
      return {
        status,
        headers: { 'content-type': 'text/xml;charset=UTF-8' },
        body: Buffer.from(
          `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(code)}</Code>` +
            `<Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
        ),
      };
    case 'rest-xml':
      return {
        status,
        headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
        body: Buffer.from(
          `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>` +
            `<RequestId>${requestId}</RequestId></Error>`,
        ),
      };
    case 'rpc-v2-cbor':
      return {
        status,
        headers: {
          'content-type': 'application/cbor',
          'smithy-protocol': 'rpc-v2-cbor',
          'x-amzn-requestid': requestId,
          // awsQueryCompatible services (CloudWatch) read the query-era code from here.
          'x-amzn-query-error': `${code};${fault}`,
        },
        body: cborTextMap({ __type: code, message }),
      };
    default:
      return {
        status,
        headers: {
          'content-type': protocol === 'json' ? 'application/x-amz-json-1.1' : 'application/json',
          'x-amzn-requestid': requestId,
          'x-amzn-errortype': code,
          'x-amzn-query-error': `${code};${fault}`,
        },
        body: Buffer.from(JSON.stringify({ __type: code, message })),
      };
  }
}

interface ActiveRule {
  rule: AwsFaultRule;
  injectedAt: number;
  answered: number;
  removed: boolean;
}

function matches(matcher: AwsCallMatcher | undefined, call: { service: string; action: string }): boolean {
  if (!matcher) return true;
  if (matcher.service !== undefined && matcher.service !== call.service) return false;
  if (matcher.action === undefined) return true;
  return typeof matcher.action === 'string' ? matcher.action === call.action : matcher.action.test(call.action);
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.once('end', () => resolveBody(Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

/**
 * An HTTP proxy in front of moto that answers selected AWS calls with throttling, 5xx, slowness or a dropped
 * connection, for a number of calls or a duration, and records every call. Product processes get its endpoint as
 * `AWS_ENDPOINT_URL`; everything not faulted is forwarded to moto unchanged (moto does not check signatures, so the
 * Host header signed for the proxy is fine).
 */
export async function startAwsFaultProxy(options: StartAwsFaultProxyOptions): Promise<AwsFaultProxy> {
  const target = new URL(options.target);
  if (target.protocol !== 'http:') {
    throw new AwsFaultProxyError(
      `the fault proxy forwards to http:// only, got ${options.target}; pass moto's endpoint`,
    );
  }
  const now = options.now ?? Date.now;
  const maxRecordedCalls = options.maxRecordedCalls ?? 10_000;
  const rules: ActiveRule[] = [];
  const recorded: RecordedAwsCall[] = [];
  const sockets = new Set<Socket>();
  const pendingTimers = new Set<NodeJS.Timeout>();

  const isActive = (active: ActiveRule): boolean => {
    if (active.removed) return false;
    if (active.rule.calls !== undefined && active.answered >= active.rule.calls) return false;
    if (active.rule.durationMs !== undefined && now() >= active.injectedAt + active.rule.durationMs) return false;
    return true;
  };

  const record = (call: RecordedAwsCall): RecordedAwsCall => {
    recorded.push(call);
    if (recorded.length > maxRecordedCalls) recorded.splice(0, recorded.length - maxRecordedCalls);
    return call;
  };

  const forward = (request: IncomingMessage, response: ServerResponse, body: Buffer, entry: RecordedAwsCall) => {
    const upstream = httpRequest(
      {
        hostname: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (upstreamResponse) => {
        entry.status = upstreamResponse.statusCode ?? 502;
        response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        upstreamResponse.pipe(response);
      },
    );
    upstream.once('error', (error) => {
      entry.status = 502;
      if (!response.headersSent) {
        const answer = awsErrorAnswer(entry.protocol, 502, 'BadGateway', `moto: ${error.message}`, 'Receiver');
        response.writeHead(answer.status, answer.headers).end(answer.body);
      } else {
        response.destroy();
      }
    });
    // A client that gave up (its own timeout) must not leave the upstream call open.
    response.once('close', () => {
      if (!response.writableFinished) upstream.destroy();
    });
    upstream.end(body);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readBody(request);
    const call = parseAwsCall(request.method ?? 'GET', request.url ?? '/', request.headers, body.toString('utf8'));
    const active = rules.find((candidate) => isActive(candidate) && matches(candidate.rule.match, call));
    const entry = record({ at: now(), ...call });
    if (!active) {
      forward(request, response, body, entry);
      return;
    }
    active.answered += 1;
    const fault = active.rule.fault;
    entry.fault = fault.kind;
    switch (fault.kind) {
      case 'throttle': {
        const code = fault.code ?? defaultThrottleCode(call);
        const status =
          call.protocol === 'ec2-query' || call.protocol === 'rest-xml'
            ? 503
            : call.protocol === 'rest-json'
              ? 429
              : 400;
        const answer = awsErrorAnswer(call.protocol, status, code, 'Rate exceeded', 'Sender');
        entry.status = answer.status;
        response.writeHead(answer.status, answer.headers).end(answer.body);
        return;
      }
      case 'server-error': {
        const status = fault.status ?? 503;
        const code = status === 500 ? 'InternalFailure' : 'ServiceUnavailable';
        const answer = awsErrorAnswer(call.protocol, status, code, 'Service unavailable (injected)', 'Receiver');
        entry.status = answer.status;
        response.writeHead(answer.status, answer.headers).end(answer.body);
        return;
      }
      case 'connection-reset':
        request.socket.destroy();
        return;
      case 'slow': {
        const timer = setTimeout(() => {
          pendingTimers.delete(timer);
          if (!response.destroyed) forward(request, response, body, entry);
        }, fault.delayMs);
        pendingTimers.add(timer);
        response.once('close', () => {
          clearTimeout(timer);
          pendingTimers.delete(timer);
        });
        return;
      }
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
      else response.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    inject(rule) {
      if (rule.calls !== undefined && (!Number.isInteger(rule.calls) || rule.calls < 1)) {
        throw new AwsFaultProxyError(`calls must be a positive integer, got ${rule.calls}`);
      }
      if (rule.durationMs !== undefined && !(rule.durationMs > 0)) {
        throw new AwsFaultProxyError(`durationMs must be positive, got ${rule.durationMs}`);
      }
      const active: ActiveRule = { rule, injectedAt: now(), answered: 0, removed: false };
      rules.push(active);
      return {
        get answered() {
          return active.answered;
        },
        get active() {
          return isActive(active);
        },
        remove() {
          active.removed = true;
        },
      };
    },
    clear() {
      for (const active of rules) active.removed = true;
      rules.length = 0;
    },
    calls(match) {
      return recorded.filter((call) => matches(match, call));
    },
    resetCalls() {
      recorded.length = 0;
    },
    async stop() {
      for (const timer of pendingTimers) clearTimeout(timer);
      pendingTimers.clear();
      const closed = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
