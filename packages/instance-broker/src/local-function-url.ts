import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { NodeSha256 } from './node-sha256';

/** A principal the front knows: the credentials it signs with and the identity AWS would put in the event. */
export interface LocalFunctionUrlCaller {
  readonly secretAccessKey: string;
  /** When set, the request must carry it (`x-amz-security-token`, signed), as temporary credentials do. */
  readonly sessionToken?: string;
  /** `requestContext.authorizer.iam.userArn`, e.g. `arn:aws:sts::123456789012:assumed-role/agents/i-0123456789abcdef0`. */
  readonly userArn: string;
}

export interface LocalFunctionUrlOptions {
  /** The function: what Lambda would invoke with the function URL event. */
  readonly handler: (event: LambdaFunctionURLEvent) => Promise<LambdaFunctionURLResult>;
  /** Known callers by access key id; any other key is refused, as IAM refuses an unknown key. */
  readonly callers: Readonly<Record<string, LocalFunctionUrlCaller>> | ReadonlyMap<string, LocalFunctionUrlCaller>;
  /** The region signatures must be scoped to. @default 'us-east-1' */
  readonly region?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** Milliseconds since the epoch, for the signature's freshness (AWS allows 15 minutes of skew). @default Date.now */
  readonly now?: () => number;
}

export interface LocalFunctionUrl {
  /** `http://127.0.0.1:<port>/`. */
  readonly url: string;
  close(): Promise<void>;
}

/** AWS's answer to a missing or wrong signature on a function URL with `AuthType: AWS_IAM`. */
const FORBIDDEN = JSON.stringify({ Message: 'Forbidden' });
const MAX_REQUEST_BYTES = 1024 * 1024;
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const ACCOUNT_IN_ARN = /^arn:[^:]+:[^:]+:[^:]*:(\d{12}):/;

/**
 * A Lambda function URL with `AuthType: AWS_IAM`, on 127.0.0.1: what moto lacks. It verifies each request's SigV4
 * signature (service `lambda`) against the known callers' secret keys, answers 403 `{"Message":"Forbidden"}` like AWS
 * to a missing or bad one, and otherwise invokes the handler with the event AWS would build — including
 * `requestContext.authorizer.iam` from the caller's mapping — and writes its answer. The sandbox runs the real broker
 * behind it, so a client that signs wrongly fails here as it would in AWS.
 */
export async function startLocalFunctionUrl(options: LocalFunctionUrlOptions): Promise<LocalFunctionUrl> {
  const callers =
    options.callers instanceof Map
      ? (options.callers as ReadonlyMap<string, LocalFunctionUrlCaller>)
      : new Map(Object.entries(options.callers as Record<string, LocalFunctionUrlCaller>));
  const region = options.region ?? 'us-east-1';
  const now = options.now ?? Date.now;

  const server = createServer((request, response) => {
    serve(request, response).catch(() => {
      // A failure writing the answer (the client went away) has nobody left to tell.
      if (!response.headersSent)
        send(response, 500, { 'content-type': 'application/json' }, '{"Message":"Internal Server Error"}');
      else response.destroy();
    });
  });

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    if (body === undefined) {
      send(
        response,
        413,
        { 'content-type': 'application/json' },
        JSON.stringify({ Message: 'Request must be smaller than 1048576 bytes' }),
      );
      return;
    }
    const url = new URL(request.url ?? '/', 'http://placeholder');
    const caller = await verifiedCaller(request, url, body);
    if (!caller) {
      send(
        response,
        403,
        { 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException' },
        FORBIDDEN,
      );
      return;
    }
    let result: LambdaFunctionURLResult;
    try {
      result = await options.handler(functionUrlEvent(request, url, body, caller));
    } catch {
      // What Lambda answers when the function throws.
      send(response, 502, { 'content-type': 'application/json' }, '{"Message":"Internal Server Error"}');
      return;
    }
    writeResult(response, result);
  }

  async function verifiedCaller(
    request: IncomingMessage,
    url: URL,
    body: Buffer,
  ): Promise<(LocalFunctionUrlCaller & { accessKeyId: string }) | undefined> {
    const authorization = header(request, 'authorization');
    const match = authorization === undefined ? null : AUTHORIZATION.exec(authorization);
    if (!authorization || !match) return undefined;
    const [, accessKeyId = '', scopeDate, scopeRegion, scopeService, signedHeaderList = ''] = match;
    const caller = callers.get(accessKeyId);
    if (!caller || scopeRegion !== region || scopeService !== 'lambda') return undefined;

    const amzDate = header(request, 'x-amz-date');
    const date = amzDate === undefined ? undefined : AMZ_DATE.exec(amzDate);
    if (!amzDate || !date || amzDate.slice(0, 8) !== scopeDate) return undefined;
    const [year, month, day, hour, minute, second] = date.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const signingDate = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
    if (Math.abs(now() - signingDate.getTime()) > MAX_CLOCK_SKEW_MS) return undefined;

    const signedHeaders = signedHeaderList.split(';');
    if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date')) return undefined;
    // The signer trusts a given payload hash header; the body must hash to it.
    const bodyHash = createHash('sha256').update(body).digest('hex');
    const declaredHash = header(request, 'x-amz-content-sha256');
    if (declaredHash !== undefined && declaredHash !== bodyHash) return undefined;
    const sessionToken = header(request, 'x-amz-security-token');
    if ((caller.sessionToken ?? undefined) !== sessionToken) return undefined;

    // Recompute the signature over exactly the headers the caller signed, with the caller's secret key.
    const headers: Record<string, string> = {};
    for (const name of signedHeaders) {
      const value = header(request, name);
      if (value === undefined) return undefined;
      headers[name] = value;
    }
    const signer = new SignatureV4({
      credentials: {
        accessKeyId,
        secretAccessKey: caller.secretAccessKey,
        ...(caller.sessionToken === undefined ? {} : { sessionToken: caller.sessionToken }),
      },
      region,
      service: 'lambda',
      sha256: NodeSha256,
    });
    const expected = await signer.sign(
      {
        method: request.method ?? 'GET',
        protocol: 'http:',
        hostname: url.hostname,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers,
        body,
      },
      { signingDate },
    );
    const expectedAuthorization = Buffer.from(String(expected.headers.authorization ?? ''));
    const givenAuthorization = Buffer.from(authorization);
    if (expectedAuthorization.length !== givenAuthorization.length) return undefined;
    return timingSafeEqual(expectedAuthorization, givenAuthorization) ? { ...caller, accessKeyId } : undefined;
  }

  function functionUrlEvent(
    request: IncomingMessage,
    url: URL,
    body: Buffer,
    caller: LocalFunctionUrlCaller & { accessKeyId: string },
  ): LambdaFunctionURLEvent {
    const host = header(request, 'host') ?? '127.0.0.1';
    const contentType = header(request, 'content-type') ?? '';
    // Lambda passes text bodies as they are and base64-encodes the rest.
    const text = /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript))/i.test(contentType);
    const timeEpoch = now();
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [
        name,
        Array.isArray(value) ? value.join(',') : (value ?? ''),
      ]),
    );
    const queryStringParameters = Object.fromEntries(url.searchParams);
    const accountId = ACCOUNT_IN_ARN.exec(caller.userArn)?.[1] ?? '123456789012';
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      headers,
      ...(url.searchParams.size > 0 ? { queryStringParameters } : {}),
      requestContext: {
        accountId: 'anonymous',
        apiId: 'local',
        authorizer: {
          iam: {
            accessKey: caller.accessKeyId,
            accountId,
            callerId: `AROALOCAL:${caller.userArn.split('/').at(-1) ?? ''}`,
            cognitoIdentity: null,
            principalOrgId: null,
            userArn: caller.userArn,
            userId: `AROALOCAL:${caller.userArn.split('/').at(-1) ?? ''}`,
          },
        },
        domainName: host,
        domainPrefix: 'local',
        http: {
          method: request.method ?? 'GET',
          path: url.pathname,
          protocol: `HTTP/${request.httpVersion}`,
          sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
          userAgent: header(request, 'user-agent') ?? '',
        },
        requestId: randomUUID(),
        routeKey: '$default',
        stage: '$default',
        time: new Date(timeEpoch).toISOString(),
        timeEpoch,
      },
      ...(body.length > 0 ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
      isBase64Encoded: body.length > 0 && !text,
    };
    return event as LambdaFunctionURLEvent;
  }

  await new Promise<void>((listening, failed) => {
    server.once('error', failed);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', failed);
      listening();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((closed, failed) => {
        server.close((error) => (error ? failed(error) : closed()));
        server.closeAllConnections();
      }),
  };
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** The body, or `undefined` when it exceeds the limit (reading stops there). */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Writes a function's answer as Lambda does: a string is a 200 JSON body, an object names status and headers. */
function writeResult(response: ServerResponse, result: LambdaFunctionURLResult): void {
  if (
    typeof result === 'string' ||
    typeof result !== 'object' ||
    result === null ||
    !('statusCode' in result || 'body' in result)
  ) {
    send(
      response,
      200,
      { 'content-type': 'application/json' },
      typeof result === 'string' ? result : JSON.stringify(result),
    );
    return;
  }
  const body =
    result.body === undefined ? '' : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
  const headers: Record<string, string | string[]> = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)]),
  );
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  send(response, result.statusCode ?? 200, headers, body);
}

function send(
  response: ServerResponse,
  status: number,
  headers: Record<string, string | string[]>,
  body: string | Buffer,
): void {
  response.writeHead(status, headers);
  response.end(body);
}
