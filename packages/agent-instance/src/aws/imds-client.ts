import type { Clock } from './clock.js';

/** What the instance-side commands read from the instance metadata service. */
export interface InstanceMetadata {
  instanceId(): Promise<string>;
  /** `autoscaling/target-lifecycle-state`; `undefined` when the instance is not in an Auto Scaling group (404). */
  targetLifecycleState(): Promise<string | undefined>;
  /** `placement/region`. */
  region(): Promise<string>;
}

export class ImdsError extends Error {
  override name = 'ImdsError';
}

export interface ImdsClientOptions {
  /** Base URL, e.g. `http://169.254.169.254` (`AWS_EC2_METADATA_SERVICE_ENDPOINT`). */
  readonly endpoint: string;
  readonly clock: Clock;
  /** Attempts per read (token included). @default 5 */
  readonly attempts?: number;
  /** Per-request timeout. @default 2000 */
  readonly requestTimeoutMs?: number;
  /** First backoff; doubles per attempt, capped at 8 s. @default 1000 */
  readonly backoffMs?: number;
  readonly fetch?: typeof fetch;
}

const TOKEN_TTL_SECONDS = 300;

export function imdsEndpointFromEnv(env: NodeJS.ProcessEnv): string {
  const configured = env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
  if (configured !== undefined && configured !== '') return configured.replace(/\/+$/, '');
  return env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE?.toLowerCase() === 'ipv6'
    ? 'http://[fd00:ec2::254]'
    : 'http://169.254.169.254';
}

class NotFound extends Error {}

/**
 * IMDSv2 (token PUT, then GETs with the token) with bounded retries: `attempts` tries with exponential backoff on
 * the clock; a 401 drops the cached token and retries. A 404 is an answer, not a failure.
 */
export function createImdsClient(options: ImdsClientOptions): InstanceMetadata {
  const attempts = options.attempts ?? 5;
  const timeoutMs = options.requestTimeoutMs ?? 2000;
  const backoffMs = options.backoffMs ?? 1000;
  const doFetch = options.fetch ?? fetch;
  let token: string | undefined;

  const request = async (method: 'PUT' | 'GET', path: string, headers: Record<string, string>) => {
    const response = await doFetch(`${options.endpoint}${path}`, {
      method,
      headers,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.text();
    return { status: response.status, body };
  };

  const fetchToken = async () => {
    const { status, body } = await request('PUT', '/latest/api/token', {
      'x-aws-ec2-metadata-token-ttl-seconds': String(TOKEN_TTL_SECONDS),
    });
    if (status !== 200 || body === '') throw new ImdsError(`token request answered HTTP ${status}`);
    return body;
  };

  const get = async (path: string): Promise<string> => {
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        token ??= await fetchToken();
        const { status, body } = await request('GET', `/latest/meta-data/${path}`, {
          'x-aws-ec2-metadata-token': token,
        });
        if (status === 200) return body;
        if (status === 404) throw new NotFound();
        if (status === 401) token = undefined;
        throw new ImdsError(`${path} answered HTTP ${status}`);
      } catch (error) {
        if (error instanceof NotFound) throw error;
        lastError = error;
      }
      if (attempt < attempts) await options.clock.sleep(Math.min(backoffMs * 2 ** (attempt - 1), 8000));
    }
    const reason = lastError instanceof Error ? lastError.message : String(lastError);
    throw new ImdsError(`instance metadata ${path} unavailable after ${attempts} attempts: ${reason}`, {
      cause: lastError,
    });
  };

  return {
    async instanceId() {
      let id: string;
      try {
        id = (await get('instance-id')).trim();
      } catch (error) {
        if (error instanceof NotFound) throw new ImdsError('instance metadata has no instance-id (HTTP 404)');
        throw error;
      }
      if (!/^i-[0-9a-f]{8,32}$/.test(id))
        throw new ImdsError('instance metadata returned an instance id that is not i-…');
      return id;
    },
    async region() {
      const region = (await get('placement/region')).trim();
      if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region))
        throw new ImdsError('instance metadata returned a region that is not a region name');
      return region;
    },
    async targetLifecycleState() {
      try {
        return (await get('autoscaling/target-lifecycle-state')).trim();
      } catch (error) {
        if (error instanceof NotFound) return undefined;
        throw error;
      }
    },
  };
}
