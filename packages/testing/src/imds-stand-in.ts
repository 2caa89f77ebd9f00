import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the EC2 instance metadata service (IMDSv2 only, as on instances launched with `HttpTokens=required`).
 * Point code under test at it with `AWS_EC2_METADATA_SERVICE_ENDPOINT=<standIn.endpoint>`.
 */
export interface ImdsStandInOptions {
  /** @default 'i-0123456789abcdef0' */
  instanceId?: string;
  /** @default 'us-east-1' */
  region?: string;
  /** @default `${region}a` */
  availabilityZone?: string;
  /** Time source for token expiry (a `FakeClock` works). @default Date.now */
  clock?: { now(): number };
  /** Loopback host to bind. @default '127.0.0.1' */
  host?: string;
}

/** How a matching request misbehaves. */
export type ImdsFault =
  /** Answers with this HTTP status and a short text body. */
  | { kind: 'status'; status: number }
  /** Answers normally, but only after `delayMs` (client timeouts). */
  | { kind: 'slow'; delayMs: number }
  /** Answers 200 with a body that is not what the path normally returns. */
  | { kind: 'garbage'; body?: string }
  /** Answers 401 as IMDS does when the session token has expired. */
  | { kind: 'token-expired' };

export interface ImdsFaultScope {
  /**
   * Which requests the fault hits: `'token'` for the `PUT /latest/api/token` handshake, or a metadata path relative to
   * `/latest/meta-data/` (prefix match, e.g. `'spot/'`). @default every request
   */
  path?: 'token' | string;
  /** How many matching requests fail before the fault clears itself. @default Infinity */
  times?: number;
}

export interface ImdsRecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/latest/meta-data/instance-id`. */
  path: string;
  /** Whether the request carried an `X-aws-ec2-metadata-token` header. */
  hadToken: boolean;
  status: number;
}

export interface ImdsSpotInstanceAction {
  action: 'terminate' | 'stop' | 'hibernate';
  /** ISO-8601 UTC time, e.g. `2026-11-23T12:00:00Z`. */
  time: string;
}

/** Values AWS documents for `autoscaling/target-lifecycle-state`. */
export type ImdsTargetLifecycleState =
  | 'InService'
  | 'Terminated'
  | 'Warmed:Stopped'
  | 'Warmed:Running'
  | 'Warmed:Hibernated'
  | 'Warmed:Terminated'
  | (string & {});

export interface RunningImdsStandIn {
  /** Base URL without a path, the format `AWS_EC2_METADATA_SERVICE_ENDPOINT` takes: `http://127.0.0.1:PORT`. */
  readonly endpoint: string;
  readonly instanceId: string;
  readonly region: string;
  /** Every request answered so far, oldest first. */
  readonly requests: readonly ImdsRecordedRequest[];
  /** `undefined` makes the path answer 404 (the instance is not in an Auto Scaling group). */
  setTargetLifecycleState(state: ImdsTargetLifecycleState | undefined): void;
  /** Sets `spot/instance-action`; with `terminate`/`stop`/`hibernate` real IMDS also sets `spot/termination-time`. */
  setSpotInstanceAction(action: ImdsSpotInstanceAction | undefined, options?: { alsoTerminationTime?: boolean }): void;
  setSpotTerminationTime(time: string | undefined): void;
  /** Sets `events/recommendations/rebalance` to `{"noticeTime": time}`. */
  setRebalanceRecommendation(noticeTime: string | undefined): void;
  /** Any other metadata path (relative to `/latest/meta-data/`); `undefined` removes it. */
  setMetadata(path: string, body: string | undefined): void;
  /** Makes matching requests misbehave until `times` of them have failed or `clearFaults` is called. */
  injectFault(fault: ImdsFault, scope?: ImdsFaultScope): void;
  clearFaults(): void;
  /** Invalidates every token handed out so far: the next metadata GET with one of them gets 401. */
  expireTokens(): void;
  close(): Promise<void>;
}

const TOKEN_PATH = '/latest/api/token';
const METADATA_PREFIX = '/latest/meta-data/';
const TOKEN_TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds';
const TOKEN_HEADER = 'x-aws-ec2-metadata-token';
/** IMDS accepts TTLs from 1 second to 6 hours. */
const MAX_TOKEN_TTL_SECONDS = 21_600;

interface ActiveFault {
  fault: ImdsFault;
  path: string | undefined;
  remaining: number;
}

/** Starts the stand-in on a free loopback port. Always `close()` it (e.g. in `afterEach`). */
export async function startImdsStandIn(options: ImdsStandInOptions = {}): Promise<RunningImdsStandIn> {
  const instanceId = options.instanceId ?? 'i-0123456789abcdef0';
  const region = options.region ?? 'us-east-1';
  const clock = options.clock ?? { now: () => Date.now() };
  const metadata = new Map<string, string>([
    ['instance-id', instanceId],
    ['placement/region', region],
    ['placement/availability-zone', options.availabilityZone ?? `${region}a`],
    ['instance-type', 't3.micro'],
    ['ami-id', 'ami-0123456789abcdef0'],
  ]);
  const tokens = new Map<string, number>();
  const requests: ImdsRecordedRequest[] = [];
  let faults: ActiveFault[] = [];

  const takeFault = (requestPath: string): ImdsFault | undefined => {
    const relative = requestPath === TOKEN_PATH ? 'token' : requestPath.slice(METADATA_PREFIX.length);
    const match = faults.find(
      (active) =>
        active.path === undefined ||
        (active.path === 'token' ? relative === 'token' : relative !== 'token' && relative.startsWith(active.path)),
    );
    if (!match) return undefined;
    match.remaining -= 1;
    if (match.remaining <= 0) faults = faults.filter((active) => active !== match);
    return match.fault;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const method = request.method ?? 'GET';
    const tokenHeader = request.headers[TOKEN_HEADER];
    const hadToken = typeof tokenHeader === 'string' && tokenHeader.length > 0;
    const answer = (status: number, body: string, headers: Record<string, string> = {}) => {
      requests.push({ method, path, hadToken, status });
      response.writeHead(status, { 'content-type': 'text/plain', ...headers });
      response.end(body);
    };
    // IMDS ignores bodies; draining keeps keep-alive connections usable.
    request.resume();

    const fault = path === TOKEN_PATH || path.startsWith(METADATA_PREFIX) ? takeFault(path) : undefined;
    if (fault?.kind === 'status') return answer(fault.status, `stand-in fault: HTTP ${fault.status}`);
    if (fault?.kind === 'token-expired') return answer(401, '');
    if (fault?.kind === 'slow') await new Promise((resolveDelay) => setTimeout(resolveDelay, fault.delayMs));
    if (response.destroyed) return;

    if (path === TOKEN_PATH) {
      if (method !== 'PUT') return answer(405, '');
      const ttl = Number(request.headers[TOKEN_TTL_HEADER]);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_TTL_SECONDS) return answer(400, '');
      if (fault?.kind === 'garbage') return answer(200, fault.body ?? '');
      const token = `standin-${randomUUID()}`;
      tokens.set(token, clock.now() + ttl * 1000);
      return answer(200, token, { [TOKEN_TTL_HEADER]: String(ttl) });
    }
    if (!path.startsWith(METADATA_PREFIX)) return answer(404, '');
    if (method !== 'GET') return answer(405, '');
    const expiresAt = typeof tokenHeader === 'string' ? tokens.get(tokenHeader) : undefined;
    if (expiresAt === undefined || expiresAt <= clock.now()) return answer(401, '');
    if (fault?.kind === 'garbage') return answer(200, fault.body ?? '\u0000<html>not metadata</html>{');
    const body = metadata.get(path.slice(METADATA_PREFIX.length));
    if (body === undefined) return answer(404, '');
    return answer(200, body);
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(0, options.host ?? '127.0.0.1', () => resolveListen());
  });
  const address = server.address() as AddressInfo;

  const setOrDelete = (path: string, body: string | undefined) => {
    if (body === undefined) metadata.delete(path);
    else metadata.set(path, body);
  };

  return {
    endpoint: `http://${address.address}:${address.port}`,
    instanceId,
    region,
    requests,
    setTargetLifecycleState: (state) => setOrDelete('autoscaling/target-lifecycle-state', state),
    setSpotInstanceAction: (action, actionOptions = {}) => {
      setOrDelete('spot/instance-action', action && JSON.stringify(action));
      if (actionOptions.alsoTerminationTime ?? true) setOrDelete('spot/termination-time', action?.time);
    },
    setSpotTerminationTime: (time) => setOrDelete('spot/termination-time', time),
    setRebalanceRecommendation: (noticeTime) =>
      setOrDelete('events/recommendations/rebalance', noticeTime && JSON.stringify({ noticeTime })),
    setMetadata: setOrDelete,
    injectFault: (fault, scope = {}) => {
      faults.push({ fault, path: scope.path, remaining: scope.times ?? Number.POSITIVE_INFINITY });
    },
    clearFaults: () => {
      faults = [];
    },
    expireTokens: () => tokens.clear(),
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
