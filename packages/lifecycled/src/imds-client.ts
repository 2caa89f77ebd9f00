import type { Clock } from './clock';
import { ImdsUnavailableError } from './errors';
import { withRetries } from './retry';

export type MetadataAnswer = { found: true; body: string } | { found: false };

export interface ImdsClientOptions {
  /** Base URL without a path, as `AWS_EC2_METADATA_SERVICE_ENDPOINT` gives it. */
  endpoint: string;
  clock: Clock;
  /** Per-request timeout (real time: it bounds a socket). */
  timeoutMs: number;
  /** @default 21600 (the IMDS maximum, 6 h) */
  tokenTtlSeconds?: number;
  /** Tries per `get` for 5xx, timeouts, network errors, garbage tokens and 401s. @default 3 */
  attempts?: number;
  /** @default 100 */
  retryBaseDelayMs?: number;
  fetch?: typeof fetch;
}

const TOKEN = /^[\x21-\x7e]{1,1024}$/;

/** Marks failures that are worth another try (the retry helper reads `$retryable`). */
class TransientImdsError extends ImdsUnavailableError {
  readonly $retryable = true;
}

/**
 * An IMDSv2 client that survives the hiccups real instances see: it caches the session token until shortly before
 * its TTL ends, fetches a new one on 401, and retries 5xx answers, timeouts, network errors and garbage tokens.
 * A 404 is an answer (`found: false`), not an error: most lifecycle paths are 404 until something happens.
 */
export class ImdsClient {
  readonly #options: Required<Omit<ImdsClientOptions, 'fetch'>> & { fetch: typeof fetch };
  #token: { value: string; refreshAt: number } | undefined;

  constructor(options: ImdsClientOptions) {
    this.#options = {
      tokenTtlSeconds: 21_600,
      attempts: 3,
      retryBaseDelayMs: 100,
      fetch: globalThis.fetch,
      ...options,
    };
  }

  /** GETs `/latest/meta-data/<path>`. @throws ImdsUnavailableError when every try failed. */
  async get(path: string, signal?: AbortSignal): Promise<MetadataAnswer> {
    const options = this.#options;
    try {
      return await withRetries(() => this.#getOnce(path, signal), {
        clock: options.clock,
        attempts: options.attempts,
        baseDelayMs: options.retryBaseDelayMs,
        maxDelayMs: options.retryBaseDelayMs * 8,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (error instanceof ImdsUnavailableError) throw error;
      throw new ImdsUnavailableError(`instance metadata ${path} failed: ${describe(error)}`, { cause: error });
    }
  }

  async #getOnce(path: string, signal: AbortSignal | undefined): Promise<MetadataAnswer> {
    const token = await this.#sessionToken(signal);
    const response = await this.#request(`/latest/meta-data/${path}`, {
      headers: { 'x-aws-ec2-metadata-token': token },
      signal,
    });
    if (response.status === 200) return { found: true, body: await response.text() };
    await response.body?.cancel();
    if (response.status === 404) return { found: false };
    if (response.status === 401) {
      // The token expired early or IMDS restarted: a fresh handshake on the next try.
      this.#token = undefined;
      throw new TransientImdsError(`instance metadata ${path} answered 401 (session token rejected)`);
    }
    if (response.status >= 500 || response.status === 429) {
      throw new TransientImdsError(`instance metadata ${path} answered HTTP ${response.status}`);
    }
    throw new ImdsUnavailableError(`instance metadata ${path} answered HTTP ${response.status}`);
  }

  async #sessionToken(signal: AbortSignal | undefined): Promise<string> {
    const now = this.#options.clock.now();
    if (this.#token && now < this.#token.refreshAt) return this.#token.value;
    const ttl = this.#options.tokenTtlSeconds;
    const response = await this.#request('/latest/api/token', {
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) },
      signal,
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      const message = `instance metadata token request answered HTTP ${response.status}`;
      if (response.status >= 500 || response.status === 429) throw new TransientImdsError(message);
      throw new ImdsUnavailableError(message);
    }
    const value = (await response.text()).trim();
    if (!TOKEN.test(value)) throw new TransientImdsError('instance metadata token request returned a malformed token');
    // Renew well before expiry so a long drain never sends a token that dies in flight.
    this.#token = { value, refreshAt: now + Math.max(1, ttl - Math.min(60, ttl / 2)) * 1000 };
    return value;
  }

  async #request(
    path: string,
    init: { method?: string; headers: Record<string, string>; signal: AbortSignal | undefined },
  ): Promise<Response> {
    const timeout = AbortSignal.timeout(this.#options.timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    try {
      return await this.#options.fetch(`${this.#options.endpoint}${path}`, {
        method: init.method ?? 'GET',
        headers: init.headers,
        signal,
      });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      const reason = timeout.aborted ? `timed out after ${this.#options.timeoutMs}ms` : describe(error);
      throw new TransientImdsError(`instance metadata ${path} unreachable: ${reason}`, { cause: error });
    }
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}
