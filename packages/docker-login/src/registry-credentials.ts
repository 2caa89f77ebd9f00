import { LoginFailedError } from './errors';

export interface UsernamePassword {
  username: string;
  password: string;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Decodes an ECR authorization token (base64 of `AWS:<password>`). A malformed token is a retryable failure: it
 * came from AWS, and the content is never echoed.
 */
export function decodeAuthorizationToken(token: string, operation: string): UsernamePassword {
  const trimmed = token.trim();
  const decoded =
    BASE64.test(trimmed) && trimmed.length % 4 === 0 ? Buffer.from(trimmed, 'base64').toString('utf8') : '';
  const separator = decoded.indexOf(':');
  if (separator <= 0 || separator === decoded.length - 1) {
    throw new LoginFailedError(`${operation} returned a token that is not base64 "user:password"`, { retryable: true });
  }
  return { username: decoded.slice(0, separator), password: decoded.slice(separator + 1) };
}

/** The `auth` value Docker stores in `config.json`: base64 of `username:password`. */
export function encodeAuth({ username, password }: UsernamePassword): string {
  return Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}
