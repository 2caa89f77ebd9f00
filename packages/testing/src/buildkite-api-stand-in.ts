import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import {
  type BuildkiteAgentApiOptions,
  createBuildkiteAgentApi,
  type StandInAgent,
  type StandInEvent,
  type StandInJob,
  type StandInJobSpec,
} from './buildkite-agent-api';

/** One queue's numbers as `GET /metrics/queue` reports them; unset fields are 0. */
export interface StandInQueueMetrics {
  scheduled?: number;
  running?: number;
  waiting?: number;
  idle?: number;
  busy?: number;
  total?: number;
}

/** A failure the stand-in answers with instead of metrics. */
export type BuildkiteApiFault =
  | { kind: 'unauthorized' }
  | { kind: 'forbidden' }
  | { kind: 'rate-limited'; retryAfter?: string }
  | { kind: 'server-error'; status?: number }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'html-error-page'; status?: number }
  | { kind: 'truncated-json' };

export interface RecordedBuildkiteRequest {
  method: string;
  path: string;
  queue: string | null;
  headers: Record<string, string | undefined>;
  /** What the stand-in answered: `metrics`, `agent-api` (an agent route, see `status`) or the fault kind. */
  answer: 'metrics' | 'agent-api' | 'not-found' | BuildkiteApiFault['kind'];
  /** The HTTP status sent (for agent routes and faults). */
  status?: number;
}

/** Which requests a fault applies to: the metrics endpoint (the default), the agent routes, or both. */
export type BuildkiteApiFaultScope = 'metrics' | 'agent' | 'all';

export interface BuildkiteApiStandInOptions extends BuildkiteAgentApiOptions {
  /** The only accepted agent token (`Authorization: Token <token>`); others get 401. @default accept any token */
  token?: string;
  organizationSlug?: string;
  queues?: Record<string, StandInQueueMetrics>;
  /** Sent as `Buildkite-Agent-Metrics-Poll-Duration` when set (a string, so tests can send junk). */
  pollDurationHeader?: string;
}

export interface BuildkiteApiStandIn {
  /** Use as `BUILDKITE_AGENT_ENDPOINT`: `http://127.0.0.1:<port>/v3`. */
  readonly endpoint: string;
  /** Every request received, oldest first. */
  readonly requests: readonly RecordedBuildkiteRequest[];
  setQueueMetrics(queue: string, metrics: StandInQueueMetrics): void;
  setPollDurationHeader(value: string | undefined): void;
  /**
   * Answers the next `times` requests in `scope` (default: metrics requests; all of them until cleared) with `fault`;
   * `undefined` clears.
   */
  setFault(fault: BuildkiteApiFault | undefined, options?: { times?: number; scope?: BuildkiteApiFaultScope }): void;
  /** Queues a job: `waiting` while any `dependsOn` job is unfinished, then `scheduled`. Throws on a bad spec. */
  addJob(spec: StandInJobSpec): void;
  /** Cancels a job; a running one is canceled through its agent (the agent polls the job state). */
  cancelJob(id: string): void;
  jobs(): readonly StandInJob[];
  agents(): readonly StandInAgent[];
  /** Subscribes to job and agent events; returns the unsubscribe function. */
  onEvent(listener: (event: StandInEvent) => void): () => void;
  close(): Promise<void>;
}

const METRICS_PATH = '/v3/metrics/queue';
const API_ROOT = '/v3';

/**
 * A stand-in for the Buildkite agent API's `GET /v3/metrics/queue` on a free loopback port, with configurable
 * per-queue metrics and the faults a real deployment meets (401/403, 429 + Retry-After, 5xx, slow answers, HTML error
 * pages, truncated JSON). It records every request so tests can assert on headers and counts.
 */
export async function startBuildkiteApiStandIn(options: BuildkiteApiStandInOptions = {}): Promise<BuildkiteApiStandIn> {
  const queues = new Map(Object.entries(options.queues ?? {}));
  const requests: RecordedBuildkiteRequest[] = [];
  const pendingTimers = new Set<NodeJS.Timeout>();
  const agentApi = createBuildkiteAgentApi(options);
  let pollDurationHeader = options.pollDurationHeader;
  let fault: BuildkiteApiFault | undefined;
  let faultRemaining = Number.POSITIVE_INFINITY;
  let faultScope: BuildkiteApiFaultScope = 'metrics';

  const takeFault = (scope: 'metrics' | 'agent'): BuildkiteApiFault | undefined => {
    if (!fault) return undefined;
    if (faultScope !== 'all' && faultScope !== scope) return undefined;
    const current = fault;
    faultRemaining -= 1;
    if (faultRemaining <= 0) fault = undefined;
    return current;
  };

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const record: RecordedBuildkiteRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      queue: url.searchParams.get('name'),
      headers,
      answer: 'metrics',
    };
    requests.push(record);

    if (request.method === 'GET' && url.pathname === METRICS_PATH) {
      answerMetricsRequest(record, response);
      return;
    }
    if (url.pathname.startsWith(`${API_ROOT}/`)) {
      void readBody(request).then(
        (body) => answerAgentRequest(record, request, url, body, response),
        () => sendJson(response, 400, { message: 'Unreadable request body' }),
      );
      return;
    }
    record.answer = 'not-found';
    sendJson(response, 404, { message: 'No route matches' });
  };

  const answerAgentRequest = (
    record: RecordedBuildkiteRequest,
    request: IncomingMessage,
    url: URL,
    body: string,
    response: ServerResponse,
  ) => {
    const run = () => {
      const answer = agentApi.handle({
        method: request.method ?? 'GET',
        path: url.pathname.slice(API_ROOT.length),
        query: url.searchParams,
        authorization: record.headers.authorization,
        body,
      });
      record.answer = answer.status === 404 ? 'not-found' : 'agent-api';
      record.status = answer.status;
      sendJson(response, answer.status, answer.body);
    };
    const activeFault = takeFault('agent');
    if (activeFault) {
      record.answer = activeFault.kind;
      answerFault(activeFault, response, run);
      return;
    }
    run();
  };

  const answerMetricsRequest = (record: RecordedBuildkiteRequest, response: ServerResponse) => {
    const activeFault = takeFault('metrics');
    if (activeFault) {
      record.answer = activeFault.kind;
      answerFault(activeFault, response, () => answerMetrics(record, response));
      return;
    }
    if (options.token !== undefined && record.headers.authorization !== `Token ${options.token}`) {
      record.answer = 'unauthorized';
      sendJson(response, 401, { message: 'Unauthorized' });
      return;
    }
    answerMetrics(record, response);
  };

  const answerMetrics = (record: RecordedBuildkiteRequest, response: ServerResponse) => {
    const queue = record.queue ?? '';
    const metrics = queues.get(queue) ?? agentApi.queueState(queue) ?? {};
    const extraHeaders: Record<string, string> = {};
    if (pollDurationHeader !== undefined) extraHeaders['Buildkite-Agent-Metrics-Poll-Duration'] = pollDurationHeader;
    sendJson(response, 200, metricsBody(options.organizationSlug ?? 'elastic-ci-test', queue, metrics), extraHeaders);
  };

  const answerFault = (activeFault: BuildkiteApiFault, response: ServerResponse, thenMetrics: () => void) => {
    switch (activeFault.kind) {
      case 'unauthorized':
        sendJson(response, 401, { message: 'Unauthorized' });
        return;
      case 'forbidden':
        sendJson(response, 403, { message: 'Forbidden' });
        return;
      case 'rate-limited':
        sendJson(response, 429, { message: 'Too Many Requests' }, { 'Retry-After': activeFault.retryAfter ?? '7' });
        return;
      case 'server-error':
        sendJson(response, activeFault.status ?? 500, { message: 'Internal Server Error' });
        return;
      case 'html-error-page':
        response.writeHead(activeFault.status ?? 200, { 'Content-Type': 'text/html; charset=utf-8' });
        response.end('<!DOCTYPE html><html><head><title>Buildkite is down</title></head><body>Oops</body></html>');
        return;
      case 'truncated-json': {
        const full = JSON.stringify(metricsBody('elastic-ci-test', 'default', { scheduled: 3 }));
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(full.slice(0, Math.floor(full.length / 2)));
        return;
      }
      case 'slow': {
        const timer = setTimeout(() => {
          pendingTimers.delete(timer);
          if (!response.destroyed) thenMetrics();
        }, activeFault.delayMs);
        pendingTimers.add(timer);
        return;
      }
    }
  };

  const server = createServer(handle);
  // Lost agents are noticed without a request: events fire while the world is quiet too.
  const sweepTimer = setInterval(() => agentApi.sweep(), 250);
  sweepTimer.unref();
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}/v3`,
    requests,
    setQueueMetrics(queue, metrics) {
      queues.set(queue, { ...metrics });
    },
    setPollDurationHeader(value) {
      pollDurationHeader = value;
    },
    setFault(nextFault, faultOptions = {}) {
      fault = nextFault;
      faultRemaining = faultOptions.times ?? Number.POSITIVE_INFINITY;
      faultScope = faultOptions.scope ?? 'metrics';
    },
    addJob: (spec) => agentApi.addJob(spec),
    cancelJob: (id) => agentApi.cancelJob(id),
    jobs: () => agentApi.jobs(),
    agents: () => agentApi.agents(),
    onEvent: (listener) => agentApi.onEvent(listener),
    async close() {
      clearInterval(sweepTimer);
      for (const timer of pendingTimers) clearTimeout(timer);
      pendingTimers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
    },
  };
}

/** The contract's name for {@link startBuildkiteApiStandIn}. */
export const createBuildkiteApiStandIn = startBuildkiteApiStandIn;

/** Reads a request body, gunzipping it when the agent sent it compressed (log chunks). */
async function readBody(request: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  const raw = Buffer.concat(parts);
  const encoding = String(request.headers['content-encoding'] ?? '').toLowerCase();
  return (encoding === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
}

function metricsBody(organizationSlug: string, queue: string, metrics: StandInQueueMetrics) {
  const scheduled = metrics.scheduled ?? 0;
  const running = metrics.running ?? 0;
  const waiting = metrics.waiting ?? 0;
  const idle = metrics.idle ?? 0;
  const busy = metrics.busy ?? 0;
  return {
    agents: {
      idle,
      busy,
      total: metrics.total ?? idle + busy,
      queues: { [queue]: { idle, busy, total: idle + busy } },
    },
    jobs: { scheduled, running, waiting, total: scheduled + running + waiting },
    organization: { slug: organizationSlug },
  };
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}
