import type { BrokerCall, BrokerSuccess } from './broker-protocol';

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
