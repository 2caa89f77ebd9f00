import { InstanceBrokerError } from '@elastic-ci/instance-broker/client';
import { describe, expect, it } from 'vitest';
import { isRetryableAwsError, withRetries } from './retry.js';
import { SteppingClock } from './test-fakes.js';

/** What Node's fetch throws when the connection fails: a TypeError whose cause carries the socket's code. */
function fetchFailed(code: string): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ${code}`), { code }) });
}

describe('Function: isRetryableAwsError', () => {
  it('takes an instance broker failure the broker calls retryable as transient', () => {
    expect(isRetryableAwsError(new InstanceBrokerError('Auto Scaling throttled', 502, true, 'Throttling'))).toBe(true);
    expect(isRetryableAwsError(new InstanceBrokerError('broker overloaded', 500, true))).toBe(true);
  });

  it('takes an instance broker failure the broker calls final as final, whatever its name or status', () => {
    // The broker has classified it already: a name that is retryable for the SDK must not override that.
    expect(isRetryableAwsError(new InstanceBrokerError('not an instance of this fleet', 403, false))).toBe(false);
    expect(isRetryableAwsError(new InstanceBrokerError('misconfigured', 500, false))).toBe(false);
    expect(isRetryableAwsError(new InstanceBrokerError('throttled, gave up', 502, false, 'Throttling'))).toBe(false);
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'])(
    'takes a fetch that failed with %s as transient',
    (code) => {
      expect(isRetryableAwsError(fetchFailed(code))).toBe(true);
    },
  );

  it('takes a refused TLS certificate as final', () => {
    expect(isRetryableAwsError(fetchFailed('CERT_HAS_EXPIRED'))).toBe(false);
  });

  it('keeps classifying SDK errors as before', () => {
    expect(isRetryableAwsError(Object.assign(new Error('x'), { name: 'Throttling' }))).toBe(true);
    expect(isRetryableAwsError(Object.assign(new Error('x'), { name: 'ValidationError' }))).toBe(false);
    expect(
      isRetryableAwsError(Object.assign(new Error('x'), { name: 'Whatever', $metadata: { httpStatusCode: 503 } })),
    ).toBe(true);
  });
});

describe('Function: withRetries', () => {
  it('retries a retryable broker failure and stops at a final one', async () => {
    // Prepare
    const failures = [
      new InstanceBrokerError('Auto Scaling timed out', 502, true),
      new InstanceBrokerError('forbidden', 403, false),
    ];
    let calls = 0;

    // Act
    const outcome = withRetries(
      async () => {
        calls++;
        throw failures.shift();
      },
      { clock: new SteppingClock() },
    );

    // Assess
    await expect(outcome).rejects.toMatchObject({ status: 403, retryable: false });
    expect(calls).toBe(2);
  });
});
