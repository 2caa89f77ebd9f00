import { describe, expect, it } from 'vitest';
import { explainStartFailure } from './start-failure';

describe('explainStartFailure', () => {
  it('passes on the moto error, which already names the fix', () => {
    const error = Object.assign(new Error('moto server not found at /x/.venv/bin/moto_server: run `make test`'), {
      name: 'MotoUnavailableError',
    });
    expect(explainStartFailure(error)).toBe('moto server not found at /x/.venv/bin/moto_server: run `make test`');
  });

  it('finds a port in use anywhere in the cause chain and names it', () => {
    const listen = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:4566'), {
      code: 'EADDRINUSE',
      address: '127.0.0.1',
      port: 4566,
    });
    const error = new Error('cannot start the Buildkite stand-in', { cause: listen });
    expect(explainStartFailure(error)).toMatch(
      /^127\.0\.0\.1:4566 is already in use: stop the process listening there/,
    );
  });

  it('leaves other failures to be reported as internal errors', () => {
    expect(explainStartFailure(new TypeError('x is undefined'))).toBeUndefined();
    expect(explainStartFailure('not an error')).toBeUndefined();
  });
});
