import { describe, expect, it } from 'vitest';
import { explainStartFailure } from './start-failure';

describe('explainStartFailure', () => {
  it('passes on the moto error, which already names the fix', () => {
    const error = Object.assign(new Error('moto server not found at /x/.venv/bin/moto_server: run `make test`'), {
      name: 'MotoUnavailableError',
    });
    expect(explainStartFailure(error)).toBe('moto server not found at /x/.venv/bin/moto_server: run `make test`');
  });

  it('passes on a product that is not built, whose message says what to build', () => {
    const error = Object.assign(new Error('not built: packages/lifecycled/dist/cli.js; run make demo'), {
      name: 'ProductNotBuiltError',
    });
    expect(explainStartFailure(error)).toBe('not built: packages/lifecycled/dist/cli.js; run make demo');
  });

  it('explains a stack config the infra refuses as a policy problem', () => {
    const error = Object.assign(
      new Error(
        'config.json: invalid stack configuration (1 problem):\n  - buildkite.agentsPerInstance: must be at most 64',
      ),
      {
        name: 'StackConfigError',
      },
    );
    expect(explainStartFailure(new Error('world build failed', { cause: error }))).toMatch(
      /^the policy cannot be deployed as a stack \(apps\/infra refuses its config\): config\.json: invalid stack configuration .*must be at most 64\n {2}change the policy setting/s,
    );
  });

  it('finds a port in use anywhere in the cause chain and names it', () => {
    const listen = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:4566'), {
      code: 'EADDRINUSE',
      address: '127.0.0.1',
      port: 4566,
    });
    const error = new Error('cannot start the Buildkite stand-in', { cause: listen });
    expect(explainStartFailure(error)).toMatch(
      /^127\.0\.0\.1:4566 is already in use: stop the process listening there .*or choose another --moto-port/,
    );
  });

  it('leaves other failures to be reported as internal errors', () => {
    expect(explainStartFailure(new TypeError('x is undefined'))).toBeUndefined();
    expect(explainStartFailure('not an error')).toBeUndefined();
  });
});
