import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LoginFailedError } from './errors';
import { decodeAuthorizationToken, encodeAuth } from './registry-credentials';

describe('Function: decodeAuthorizationToken', () => {
  it('splits base64 "AWS:password" at the first colon', () => {
    const token = Buffer.from('AWS:pass:with:colons').toString('base64');
    expect(decodeAuthorizationToken(token, 'ecr:GetAuthorizationToken')).toEqual({
      username: 'AWS',
      password: 'pass:with:colons',
    });
  });

  it('rejects malformed tokens as retryable without echoing them', () => {
    for (const token of [
      'not base64!',
      Buffer.from('no-colon-canary').toString('base64'),
      Buffer.from(':x').toString('base64'),
      '',
    ]) {
      let thrown: unknown;
      try {
        decodeAuthorizationToken(token, 'ecr:GetAuthorizationToken');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(LoginFailedError);
      expect((thrown as LoginFailedError).retryable).toBe(true);
      expect((thrown as Error).message).not.toContain('canary');
    }
  });

  it('round-trips with encodeAuth (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[^:]+$/), fc.string({ minLength: 1 }), (username, password) => {
        expect(decodeAuthorizationToken(encodeAuth({ username, password }), 'test')).toEqual({ username, password });
      }),
    );
  });
});
