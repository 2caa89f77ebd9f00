/**
 * Errors of the Buildkite agent API client. Every message names the request (method, path and queue) but never the
 * token, so an error can be logged as it is.
 */

/** Base class: catch this to handle every failure of a metrics request. */
export class BuildkiteApiError extends Error {
  override name = 'BuildkiteApiError';
  /** `true` when trying again later can succeed (rate limits, 5xx, timeouts, network errors). */
  readonly retryable: boolean;

  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable;
  }
}

/** Thrown on HTTP 401 or 403: the agent token is wrong, revoked or not allowed for this queue. */
export class TokenRejectedError extends BuildkiteApiError {
  override name = 'TokenRejectedError';
  readonly status: 401 | 403;

  constructor(request: string, status: 401 | 403) {
    super(
      `${request}: HTTP ${status}, the agent token was rejected; check the token parameter holds a current agent token for this organization/cluster`,
      { retryable: false },
    );
    this.status = status;
  }
}

/**
 * Thrown before any request when the token cannot be sent as an HTTP header value (a line break, NUL or a character
 * beyond Latin-1, e.g. a token file with a second line). `fetch` would refuse it with a message that quotes the whole
 * header, token included.
 */
export class InvalidTokenError extends BuildkiteApiError {
  override name = 'InvalidTokenError';

  constructor(request: string, problem: string) {
    super(`${request}: the agent token ${problem}; check the token parameter holds exactly one agent token`, {
      retryable: false,
    });
  }
}

/** Thrown on HTTP 429. `retryAfterMs` comes from the `Retry-After` header when it was present and valid. */
export class RateLimitedError extends BuildkiteApiError {
  override name = 'RateLimitedError';
  readonly retryAfterMs: number | undefined;

  constructor(request: string, retryAfterMs: number | undefined) {
    super(
      `${request}: HTTP 429, rate limited${retryAfterMs === undefined ? '' : `; retry after ${Math.ceil(retryAfterMs / 1000)} s`}`,
      { retryable: true },
    );
    this.retryAfterMs = retryAfterMs;
  }
}

/** Thrown on HTTP 5xx: Buildkite is having trouble; the next poll tries again. */
export class ServerError extends BuildkiteApiError {
  override name = 'ServerError';
  readonly status: number;

  constructor(request: string, status: number) {
    super(`${request}: HTTP ${status}, Buildkite server error`, { retryable: true });
    this.status = status;
  }
}

/** Thrown on any other non-200 status (e.g. 404 for a wrong endpoint). */
export class UnexpectedStatusError extends BuildkiteApiError {
  override name = 'UnexpectedStatusError';
  readonly status: number;

  constructor(request: string, status: number) {
    super(`${request}: unexpected HTTP ${status}; check BUILDKITE_AGENT_ENDPOINT`, { retryable: false });
    this.status = status;
  }
}

/** Thrown when no complete response arrived within the timeout. */
export class RequestTimeoutError extends BuildkiteApiError {
  override name = 'RequestTimeoutError';
  readonly timeoutMs: number;

  constructor(request: string, timeoutMs: number, cause?: unknown) {
    super(`${request}: no complete response within ${timeoutMs} ms`, { retryable: true, cause });
    this.timeoutMs = timeoutMs;
  }
}

/** Thrown when the connection failed (DNS, refused, reset) before a status arrived. */
export class NetworkError extends BuildkiteApiError {
  override name = 'NetworkError';

  constructor(request: string, cause: unknown) {
    super(`${request}: network error (${describeCause(cause)})`, { retryable: true, cause });
  }
}

/** Thrown when a 200 response is not the JSON document the metrics API promises (HTML page, truncated JSON, …). */
export class MalformedResponseError extends BuildkiteApiError {
  override name = 'MalformedResponseError';
  /** Human-readable list of what was wrong, e.g. `jobs.scheduled: expected number`. */
  readonly problems: string[];

  constructor(request: string, problems: string[], cause?: unknown) {
    super(`${request}: malformed response body: ${problems.join('; ')}`, { retryable: true, cause });
    this.problems = problems;
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code ?? (cause.cause as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' ? `${cause.message}: ${code}` : cause.message;
  }
  return String(cause);
}
