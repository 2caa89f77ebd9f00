import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyAutoScalingError } from './aws-error-classification';

describe('Function: classifyAutoScalingError', () => {
  it('reads a network error by its code when its name says nothing', () => {
    const error = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

    expect(classifyAutoScalingError(error, false)).toEqual({
      kind: 'failure',
      retryable: true,
      awsErrorName: 'ECONNRESET',
      message: 'socket hang up',
    });
  });

  it('classifies a throw that is no error at all as a non-retryable unknown error', () => {
    expect(classifyAutoScalingError('boom', true)).toEqual({
      kind: 'failure',
      retryable: false,
      awsErrorName: 'UnknownError',
      message: '',
    });
  });

  it('treats a 429 as retryable whatever its name', () => {
    const error = Object.assign(new Error('slow down'), { name: 'SlowDown', $metadata: { httpStatusCode: 429 } });

    expect(classifyAutoScalingError(error, false)).toMatchObject({ kind: 'failure', retryable: true });
  });

  it('bounds the message it passes on (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2_000 }), (message) => {
        const classified = classifyAutoScalingError(
          Object.assign(new Error(message), { name: 'ValidationError' }),
          false,
        );

        expect(classified.kind === 'failure' && classified.message.length).toBeLessThanOrEqual(301);
      }),
    );
  });
});
