import { SignatureV4 } from '@smithy/signature-v4';
import {
  BROKER_PROTOCOL_VERSION,
  type BrokerCall,
  type BrokerSuccess,
  brokerFailureSchema,
  brokerSuccessSchema,
} from './broker-protocol';
import { NodeSha256 } from './node-sha256';

/**
 * What an instance asks the broker for. One method, one HTTPS request: callers keep their own retry loops and
 * clocks, as they do for the direct SDK calls this replaces.
 */
export interface InstanceBrokerClient {
  /**
   * Signs the call with the instance's credentials (SigV4, service `lambda`) and POSTs it to the function URL.
   * Resolves with the broker's answer; rejects with an `InstanceBrokerError` (HTTP answer) or the transport's error
   * (network, abort).
   */
  call(request: BrokerCall, options?: { signal?: AbortSignal }): Promise<BrokerSuccess>;
}

/**
 * The broker answered with a failure. `name` is Auto Scaling's error name when the call itself failed (e.g.
 * `ValidationError`, `Throttling`, `ScalingActivityInProgress`), else `InstanceBrokerError`, so retry classifiers
 * that look at SDK error names keep working; `retryable` says whether the same request may succeed later.
 */
export class InstanceBrokerError extends Error {
  override name: string;
  constructor(
    message: string,
    readonly status: number,
    readonly retryable: boolean,
    awsErrorName?: string,
  ) {
    super(message);
    this.name = awsErrorName ?? 'InstanceBrokerError';
  }
}

export interface InstanceBrokerClientOptions {
  /** The function URL (`https://<id>.lambda-url.<region>.on.aws/`; tests: a local http:// front). */
  readonly url: string;
  /** Region the function is in (the signing scope). */
  readonly region: string;
  /** Credentials; default: the SDK's Node provider chain (the instance profile on an instance). */
  readonly credentials?: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
  /** Injected for tests; default: global fetch. */
  readonly fetch?: typeof fetch;
}

type Credentials = Awaited<ReturnType<NonNullable<InstanceBrokerClientOptions['credentials']>>>;

/**
 * The instance-side client: signs each call with the instance's credentials (SigV4, service `lambda`) and POSTs it to
 * the function URL. Nothing is fetched or loaded before the first call; the SDK's credential provider chain is
 * imported then (a job-start hook should not pay for it at startup), unless `credentials` is given.
 */
export function createInstanceBrokerClient(options: InstanceBrokerClientOptions): InstanceBrokerClient {
  const url = new URL(options.url);
  const fetchImplementation = options.fetch ?? fetch;
  let credentialProvider: Promise<() => Promise<Credentials>> | undefined;

  function credentials(): Promise<Credentials> {
    credentialProvider ??= options.credentials
      ? Promise.resolve(options.credentials)
      : import('@aws-sdk/credential-provider-node').then(({ defaultProvider }) => defaultProvider());
    return credentialProvider.then((provider) => provider());
  }

  return {
    async call(request, callOptions = {}) {
      const { signal } = callOptions;
      signal?.throwIfAborted();
      const body = JSON.stringify({ version: BROKER_PROTOCOL_VERSION, ...request });
      const signer = new SignatureV4({
        credentials: await credentials(),
        region: options.region,
        service: 'lambda',
        sha256: NodeSha256,
      });
      signal?.throwIfAborted();
      const signed = await signer.sign({
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: { host: url.host, 'content-type': 'application/json' },
        body,
      });
      // fetch sets Host itself, from the same URL the signature covers.
      const { host: _host, ...headers } = signed.headers;
      const response = await fetchImplementation(url, {
        method: 'POST',
        headers,
        body,
        ...(signal ? { signal } : {}),
      });
      const text = await response.text();
      const json = parseJson(text);
      if (response.status === 200) {
        const success = brokerSuccessSchema.safeParse(json);
        if (success.success) return success.data;
        throw new InstanceBrokerError('the instance broker answered 200 without a broker answer', 200, false);
      }
      const failure = brokerFailureSchema.safeParse(json);
      if (failure.success) {
        throw new InstanceBrokerError(
          `the instance broker answered ${response.status}: ${failure.data.error}`,
          response.status,
          failure.data.retryable,
          failure.data.awsErrorName,
        );
      }
      // Not the broker's JSON: Lambda itself answered (throttling, a refused signature, a crash) or something between.
      const retryable = response.status === 429 || response.status >= 500;
      const detail = lambdaMessage(json);
      throw new InstanceBrokerError(
        `the instance broker's function URL answered ${response.status}${detail ? `: ${detail}` : ''}`,
        response.status,
        retryable,
      );
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Lambda's own error answers are `{"Message": "..."}`; a short one is worth passing on (e.g. `Forbidden`). */
function lambdaMessage(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const { Message, message } = json as { Message?: unknown; message?: unknown };
  const text = typeof Message === 'string' ? Message : typeof message === 'string' ? message : undefined;
  return text === undefined ? undefined : text.slice(0, 200);
}
