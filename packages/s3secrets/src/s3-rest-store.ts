import { setMaxListeners } from 'node:events';
import { type ClientRequest, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { keepAliveAgents } from './http-agents';
import { backoffMs, isRetryable } from './retry-policy';
import { encodeQuery, s3Address } from './s3-address';
import { parseErrorXml, parseListObjectsV2 } from './s3-xml';
import {
  type BucketCheck,
  classifyError,
  type ListResult,
  listAllKeys,
  MAX_OBJECT_BYTES,
  type ObjectResult,
  objectTooLargeError,
  type RegionalSecretStore,
} from './secret-store';
import { type AwsCredentials, EMPTY_PAYLOAD_SHA256, signRequest } from './sigv4';

/** Wrong-region answers: PermanentRedirect, TemporaryRedirect, AuthorizationHeaderMalformed (a HEAD has no code). */
const REDIRECT_STATUSES = new Set([301, 307, 400]);
const CONNECT_TIMEOUT_MS = 3_000;
const IDLE_TIMEOUT_MS = 10_000;

interface S3Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** An S3 error answer, shaped like the SDK's service errors so `classifyError` sorts both the same way. */
class S3ResponseError extends Error {
  readonly Code: string;
  readonly $metadata: { httpStatusCode: number };
  constructor(
    code: string,
    status: number,
    message: string,
    /** The region S3 says the bucket is in (`x-amz-bucket-region`), when it says. */
    readonly bucketRegion: string | undefined,
    /** The server's clock (`Date`), for correcting skew. */
    readonly serverDate: string | undefined,
  ) {
    super(message);
    this.name = code;
    this.Code = code;
    this.$metadata = { httpStatusCode: status };
  }
}

/** What an answer without an XML body (HEAD) means, by status. */
const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  301: 'PermanentRedirect',
  307: 'TemporaryRedirect',
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'NotFound',
  429: 'TooManyRequests',
  503: 'SlowDown',
};

function responseError(response: S3Response): S3ResponseError {
  const { code, message } = parseErrorXml(response.body.toString('utf8'));
  const resolvedCode = code ?? CODE_BY_STATUS[response.status] ?? (response.status >= 500 ? 'ServerError' : 'Error');
  const bucketRegion = response.headers['x-amz-bucket-region'];
  return new S3ResponseError(
    resolvedCode,
    response.status,
    message ?? `S3 answered HTTP ${response.status}`,
    typeof bucketRegion === 'string' && bucketRegion !== '' ? bucketRegion : undefined,
    response.headers.date,
  );
}

function networkError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

export interface S3RestStoreOptions {
  bucket: string;
  region: string;
  /** `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`: path-style requests to that server. */
  endpoint: string | undefined;
  /** The credential chain; called per request, so it must cache (the SDK's providers do). */
  credentials: () => Promise<AwsCredentials>;
  maxAttempts: number;
  /** The run's deadline: aborts requests in flight and waits between attempts. */
  signal: AbortSignal;
  /** [0, 1) for retry jitter; injectable so tests can pin delays. */
  random?: () => number;
}

/**
 * A `SecretStore` that speaks S3's REST API directly: SigV4-signed GET, HEAD and ListObjectsV2 over one keep-alive
 * agent, with the AWS SDK's credential chain but none of its client machinery, which costs more start-up time than all
 * of a job's reads. Follows S3's region redirects, corrects clock skew once, and retries throttling,
 * 5xx and network errors with jittered backoff within `maxAttempts`; 404 and 403 are answers, never retried.
 */
export class S3RestSecretStore implements RegionalSecretStore {
  readonly bucket: string;
  #region: string;
  readonly #options: S3RestStoreOptions;
  readonly #inFlight = new Set<ClientRequest>();
  #clockOffsetMs = 0;

  constructor(options: S3RestStoreOptions) {
    this.bucket = options.bucket;
    this.#region = options.region;
    this.#options = options;
    // Waits between attempts listen on the deadline signal; dozens at once is expected, not a leak.
    setMaxListeners(1_000, options.signal);
    // One listener ends every request in flight at the deadline (a `signal` per request costs more than the request).
    options.signal.addEventListener(
      'abort',
      () => {
        for (const request of this.#inFlight) request.destroy(deadlineError());
      },
      { once: true },
    );
  }

  /** The region requests are signed for; changes when S3 redirects to the bucket's own region. */
  get region(): string {
    return this.#region;
  }

  async checkBucket(): Promise<BucketCheck> {
    return (await this.bucketRegion()).check;
  }

  async bucketRegion(): Promise<{ region: string | undefined; check: BucketCheck }> {
    try {
      const response = await this.#send('HEAD', undefined, {});
      const region = response.headers['x-amz-bucket-region'];
      return {
        region: typeof region === 'string' && region !== '' ? region : undefined,
        check: { status: 'available' },
      };
    } catch (error) {
      return { region: undefined, check: classifyError(error) };
    }
  }

  async getObject(key: string): Promise<ObjectResult> {
    try {
      const response = await this.#send('GET', key, {});
      return {
        status: 'found',
        body: new Uint8Array(response.body.buffer, response.body.byteOffset, response.body.byteLength),
      };
    } catch (error) {
      return classifyError(error);
    }
  }

  listKeys(prefix: string): Promise<ListResult> {
    return listAllKeys(async (continuationToken) => {
      const response = await this.#send('GET', undefined, {
        'list-type': '2',
        prefix,
        ...(continuationToken ? { 'continuation-token': continuationToken } : {}),
      });
      return parseListObjectsV2(response.body.toString('utf8'));
    });
  }

  close(): void {
    // The sockets belong to the process-wide keep-alive agents (closeConnections).
  }

  /** One logical request: redirects, skew correction and retries included. Resolves only on a 2xx answer. */
  async #send(method: 'GET' | 'HEAD', key: string | undefined, query: Record<string, string>): Promise<S3Response> {
    const { maxAttempts, signal } = this.#options;
    const random = this.#options.random ?? Math.random;
    let redirected = false;
    let skewCorrected = false;
    // The region this request is signed for next: the store's, unless S3 redirected this very request.
    let region: string | undefined;
    for (let attempt = 1; ; attempt += 1) {
      let failure: unknown;
      const signedFor = region ?? this.#region;
      try {
        const response = await this.#exchange(method, key, query, signedFor);
        if (response.status >= 200 && response.status < 300) return response;
        failure = responseError(response);
      } catch (error) {
        failure = error;
      }
      if (failure instanceof S3ResponseError) {
        // S3 names the bucket's region when a request went to the wrong one: ask again there (as the SDK does).
        // Compared with the region *this* request was signed for, not the store's: requests sent in parallel were
        // all signed for the old region, and the first redirect to come back has already moved the store's.
        if (
          !redirected &&
          REDIRECT_STATUSES.has(failure.$metadata.httpStatusCode) &&
          failure.bucketRegion &&
          failure.bucketRegion !== signedFor
        ) {
          redirected = true;
          region = failure.bucketRegion;
          this.#region = failure.bucketRegion;
          attempt -= 1;
          continue;
        }
        if (!skewCorrected && failure.Code === 'RequestTimeTooSkewed' && failure.serverDate) {
          const serverTime = Date.parse(failure.serverDate);
          if (!Number.isNaN(serverTime)) {
            skewCorrected = true;
            this.#clockOffsetMs = serverTime - Date.now();
            attempt -= 1;
            continue;
          }
        }
      }
      const outcome = classifyError(failure);
      if (!isRetryable(outcome) || attempt >= maxAttempts || signal.aborted) throw failure;
      // Rejects with the deadline's AbortError, so the result says "deadline" rather than the last failure.
      await abortableDelay(backoffMs(attempt, outcome, random()), signal);
    }
  }

  /** One HTTP exchange: sign, send, read the whole body. */
  async #exchange(
    method: 'GET' | 'HEAD',
    key: string | undefined,
    query: Record<string, string>,
    region: string,
  ): Promise<S3Response> {
    if (this.#options.signal.aborted) throw deadlineError();
    const address = s3Address(this.bucket, region, this.#options.endpoint, key);
    const headers = signRequest(
      {
        method,
        host: address.host,
        path: address.path,
        query,
        region,
        payloadHash: EMPTY_PAYLOAD_SHA256,
      },
      await this.#options.credentials(),
      new Date(Date.now() + this.#clockOffsetMs),
    );
    const queryString = encodeQuery(query);
    const agents = keepAliveAgents();
    const send = address.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<S3Response>((resolve, reject) => {
      const request = send({
        method,
        hostname: address.hostname,
        ...(address.port === undefined ? {} : { port: address.port }),
        path: queryString ? `${address.path}?${queryString}` : address.path,
        headers,
        agent: address.protocol === 'https:' ? agents.https : agents.http,
        timeout: IDLE_TIMEOUT_MS,
      });
      this.#inFlight.add(request);
      request.once('close', () => this.#inFlight.delete(request));
      request.on('socket', (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(
          () => request.destroy(networkError(`connecting to ${address.host} timed out`, 'ETIMEDOUT')),
          CONNECT_TIMEOUT_MS,
        );
        socket.once('connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      request.on('timeout', () =>
        request.destroy(networkError(`no answer from ${address.host} for ${IDLE_TIMEOUT_MS / 1000} s`, 'ETIMEDOUT')),
      );
      request.on('error', reject);
      request.on('response', (response: IncomingMessage) => {
        const status = response.statusCode ?? 0;
        const isObject = method === 'GET' && key !== undefined && status >= 200 && status < 300;
        const declared = Number(response.headers['content-length'] ?? Number.NaN);
        const refuse = (size: number | undefined) => {
          // Rejected before the destroy's own error, so the read fails as "too large", not as a network error.
          reject(objectTooLargeError(size));
          request.destroy();
        };
        if (isObject && declared > MAX_OBJECT_BYTES) {
          refuse(declared);
          return;
        }
        const chunks: Buffer[] = [];
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.byteLength;
          // A body without (or beyond) its Content-Length: stop reading at the cap.
          if (isObject && received > MAX_OBJECT_BYTES) refuse(undefined);
          else chunks.push(chunk);
        });
        response.on('error', reject);
        response.on('end', () => {
          const body = Buffer.concat(chunks);
          const expected = method === 'GET' ? response.headers['content-length'] : undefined;
          if (expected !== undefined && Number(expected) !== body.byteLength) {
            reject(networkError(`S3 sent ${body.byteLength} of ${expected} bytes`, 'ECONNRESET'));
            return;
          }
          resolve({ status, headers: response.headers, body });
        });
      });
      request.end();
    });
  }
}

/** What a request ended by the run's deadline fails with (`classifyError` reports it as "deadline"). */
function deadlineError(): Error {
  return Object.assign(new Error('the deadline for this run passed'), { name: 'AbortError' });
}

function abortableDelay(milliseconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, milliseconds);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
