import packageJson from '../package.json' with { type: 'json' };
import {
  type BuildkiteApiError,
  InvalidTokenError,
  MalformedResponseError,
  NetworkError,
  RateLimitedError,
  RequestTimeoutError,
  ServerError,
  TokenRejectedError,
  UnexpectedStatusError,
} from './errors';
import { type QueueMetricsResponse, queueMetricsResponseSchema } from './queue-metrics-schema';

export const DEFAULT_AGENT_ENDPOINT = 'https://agent.buildkite.com/v3';
/** The issue caps the request at 5 s so one poll can never eat a Lambda invocation. */
export const MAX_REQUEST_TIMEOUT_MS = 5_000;
/** A queue's metrics are a few hundred bytes; a body past this is not one, and is not buffered whole. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;
export const POLL_DURATION_HEADER = 'Buildkite-Agent-Metrics-Poll-Duration';
export const DEFAULT_USER_AGENT = `elastic-ci-buildkite-api/${packageJson.version}`;

export interface AgentMetricsClientOptions {
  /** @default https://agent.buildkite.com/v3 */
  endpoint?: string;
  /** Sent as `User-Agent`; include a version. @default elastic-ci-buildkite-api/<package version> */
  userAgent?: string;
  /** Whole-request timeout (headers and body), at most 5000. @default 5000 */
  timeoutMs?: number;
  /** Injected for tests. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /** Used to turn an HTTP-date `Retry-After` into a delay. @default Date.now */
  now?: () => number;
}

export interface QueueMetricsResult {
  organizationSlug: string;
  queue: string;
  agents: QueueMetricsResponse['agents'];
  jobs: QueueMetricsResponse['jobs'];
  /** Server-suggested poll interval from `Buildkite-Agent-Metrics-Poll-Duration`, when present and valid. */
  pollDurationMs: number | undefined;
  /** Non-fatal oddities, e.g. an unparsable poll-duration header. */
  warnings: string[];
  /** How long the request took, in ms of `now()`. */
  durationMs: number;
}

export interface AgentMetricsClient {
  /** Reads one queue's metrics. Throws a {@link BuildkiteApiError} subclass on any failure. */
  getQueueMetrics(token: string, queue: string): Promise<QueueMetricsResult>;
}

/** Builds `{endpoint}/metrics/queue?name={queue}`, tolerating a trailing slash on the endpoint. */
export function queueMetricsUrl(endpoint: string, queue: string): URL {
  const url = new URL(endpoint);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/metrics/queue`;
  url.search = new URLSearchParams({ name: queue }).toString();
  return url;
}

/** Creates a client for the Buildkite agent API's queue-metrics endpoint. */
export function createAgentMetricsClient(options: AgentMetricsClientOptions = {}): AgentMetricsClient {
  const endpoint = options.endpoint ?? DEFAULT_AGENT_ENDPOINT;
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  const timeoutMs = options.timeoutMs ?? MAX_REQUEST_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_REQUEST_TIMEOUT_MS) {
    throw new RangeError(`timeoutMs must be in (0, ${MAX_REQUEST_TIMEOUT_MS}], got ${timeoutMs}`);
  }
  const fetchImplementation = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  // A malformed endpoint fails here, at cold start, rather than on every poll.
  queueMetricsUrl(endpoint, 'validate');

  return {
    async getQueueMetrics(token, queue) {
      const url = queueMetricsUrl(endpoint, queue);
      // Names the request without the token: errors built from it can be logged as they are.
      const request = `GET ${url.href}`;
      const tokenProblem = headerValueProblem(token);
      if (tokenProblem !== undefined) throw new InvalidTokenError(request, tokenProblem);
      const startedAt = now();
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(new Error('request timeout')), timeoutMs);
      try {
        let response: Response;
        try {
          response = await fetchImplementation(url, {
            method: 'GET',
            headers: { Authorization: `Token ${token}`, 'User-Agent': userAgent, Accept: 'application/json' },
            signal: abort.signal,
            // Never follow a redirect: it would carry the token to wherever the Location header points.
            redirect: 'error',
          });
        } catch (error) {
          throw abort.signal.aborted
            ? new RequestTimeoutError(request, timeoutMs, error)
            : new NetworkError(request, error);
        }
        if (response.status !== 200) {
          // Free the connection; the body of an error page is never needed.
          await response.body?.cancel().catch(() => undefined);
          throw statusError(request, response, now());
        }
        let text: string | undefined;
        try {
          text = await readBodyText(response, MAX_RESPONSE_BYTES);
        } catch (error) {
          throw abort.signal.aborted
            ? new RequestTimeoutError(request, timeoutMs, error)
            : new MalformedResponseError(request, ['body could not be read completely'], error);
        }
        if (text === undefined) {
          throw new MalformedResponseError(request, [`body is larger than ${MAX_RESPONSE_BYTES} bytes`]);
        }
        const parsed = parseBody(request, text);
        const warnings: string[] = [];
        const pollDurationMs = parsePollDuration(response.headers.get(POLL_DURATION_HEADER), warnings);
        return {
          organizationSlug: parsed.organization.slug,
          queue,
          agents: parsed.agents,
          jobs: parsed.jobs,
          pollDurationMs,
          warnings,
          durationMs: now() - startedAt,
        };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * The body as text, or `undefined` once it passes `limitBytes` (reading stops there and the rest is cancelled):
 * `response.text()` buffered whatever a broken proxy or a hostile endpoint sent, within the timeout, in a Lambda's
 * memory.
 */
async function readBodyText(response: Response, limitBytes: number): Promise<string | undefined> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limitBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/**
 * What makes `fetch` refuse a header value (RFC 9110 field-value: no CR, LF or NUL, bytes only). Described by position,
 * never by content, so the token stays out of the message.
 */
function headerValueProblem(value: string): string | undefined {
  const index = value.search(/[\0\r\n]|[^\0-\xff]/);
  if (index === -1) return undefined;
  const code = value.charCodeAt(index);
  const what = code === 0 ? 'a NUL' : code === 10 || code === 13 ? 'a line break' : 'a character beyond Latin-1';
  return `contains ${what} at position ${index + 1} of ${value.length}, which cannot be sent in an HTTP header`;
}

function statusError(request: string, response: Response, nowMs: number): BuildkiteApiError {
  const { status } = response;
  if (status === 401 || status === 403) return new TokenRejectedError(request, status);
  if (status === 429) return new RateLimitedError(request, parseRetryAfter(response.headers.get('Retry-After'), nowMs));
  if (status >= 500) return new ServerError(request, status);
  return new UnexpectedStatusError(request, status);
}

function parseBody(request: string, text: string): QueueMetricsResponse {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const start = text.trimStart().slice(0, 1);
    throw new MalformedResponseError(
      request,
      [start === '<' ? 'got HTML, not JSON' : `not valid JSON (${text.length} bytes)`],
      error,
    );
  }
  const result = queueMetricsResponseSchema.safeParse(json);
  if (!result.success) {
    throw new MalformedResponseError(
      request,
      result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  return result.data;
}

/** `Retry-After` is either delta-seconds or an HTTP-date (RFC 9110 §10.2.3); anything else is ignored. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const dateMs = Date.parse(trimmed);
  if (Number.isNaN(dateMs) || !/[a-z]/i.test(trimmed)) return undefined;
  return Math.max(0, dateMs - nowMs);
}

function parsePollDuration(value: string | null, warnings: string[]): number | undefined {
  if (value === null) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  warnings.push(`ignored ${POLL_DURATION_HEADER} header ${JSON.stringify(value.slice(0, 40))}: not whole seconds`);
  return undefined;
}
