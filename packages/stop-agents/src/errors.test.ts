import { describe, expect, it } from 'vitest';
import { AwsCallError, isTransientAwsFailure } from './errors';

describe('Function: isTransientAwsFailure', () => {
  it.each([
    ['a throttling the SDK marks retryable', { name: 'ThrottlingException', $retryable: { throttling: true } }, true],
    ['Auto Scaling busy with a scaling activity', { name: 'ScalingActivityInProgressFault' }, true],
    ['a 5xx', { name: 'InternalFailure', $metadata: { httpStatusCode: 503 } }, true],
    ['a connection reset', { code: 'ECONNRESET' }, true],
    ['access denied', { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }, false],
    ['a validation error', { name: 'ValidationError', $metadata: { httpStatusCode: 400 } }, false],
    ['no cause at all', undefined, false],
  ])('says %s is %s', (_case, cause, transient) => {
    // Act
    const error = new AwsCallError('call failed', cause === undefined ? {} : { cause });

    // Assess
    expect(isTransientAwsFailure(cause)).toBe(transient);
    expect(error.transient).toBe(transient);
  });
});
