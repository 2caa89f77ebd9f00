import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LoginFailedError } from './errors';
import { registryAddress } from './registry-hosts';
import { httpRegistryVerifier, parseAuthenticationChallenge } from './registry-verifier';

type Handler = (request: IncomingMessage, response: ServerResponse, baseUrl: string) => void;
const servers: { close: () => void }[] = [];

async function serve(handler: Handler): Promise<string> {
  let baseUrl = '';
  const server = createServer((request, response) => handler(request, response, baseUrl));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  servers.push({ close: () => server.close() });
  return baseUrl;
}

afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

async function failureOf(promise: Promise<unknown>): Promise<LoginFailedError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(LoginFailedError);
  return error as LoginFailedError;
}

describe('Function: parseAuthenticationChallenge', () => {
  it('reads the scheme and quoted or bare parameters', () => {
    expect(parseAuthenticationChallenge('Bearer realm="https://auth.example/token",service=registry.example')).toEqual({
      scheme: 'bearer',
      parameters: { realm: 'https://auth.example/token', service: 'registry.example' },
    });
    expect(parseAuthenticationChallenge('')).toBeUndefined();
  });
});

describe('Function: httpRegistryVerifier', () => {
  it('accepts Basic credentials the registry accepts and rejects others as final', async () => {
    // Prepare
    const baseUrl = await serve((request, response) => {
      if (request.headers.authorization === basic('alice', 'right')) return void response.writeHead(200).end('{}');
      response.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end();
    });
    const address = registryAddress(baseUrl);
    const verifier = httpRegistryVerifier();

    // Act
    const accepted = verifier.verify(address, 'alice', 'right');
    const rejected = await failureOf(verifier.verify(address, 'alice', 'wrong-canary'));

    // Assess
    await expect(accepted).resolves.toBeUndefined();
    expect(rejected.retryable).toBe(false);
    expect(rejected.message).toContain('rejected the credentials (HTTP 401)');
    expect(rejected.message).not.toContain('wrong-canary');
  });

  it('follows a Bearer challenge to the token realm with the credentials', async () => {
    // Prepare
    const tokenRequests: string[] = [];
    const baseUrl = await serve((request, response, self) => {
      if (request.url?.startsWith('/token')) {
        tokenRequests.push(request.url);
        const ok = request.headers.authorization === basic('bob', 'pw');
        return void response.writeHead(ok ? 200 : 401).end(ok ? '{"token":"t"}' : '');
      }
      response.writeHead(401, { 'www-authenticate': `Bearer realm="${self}/token",service="test.registry"` }).end();
    });
    const verifier = httpRegistryVerifier();

    // Act
    await verifier.verify(registryAddress(baseUrl), 'bob', 'pw');
    const rejected = await failureOf(verifier.verify(registryAddress(baseUrl), 'bob', 'nope'));

    // Assess
    expect(tokenRequests[0]).toBe('/token?service=test.registry&account=bob');
    expect(rejected.message).toContain('token service rejected the credentials');
  });

  it('accepts any credentials for a registry without authentication', async () => {
    const baseUrl = await serve((_request, response) => void response.writeHead(200).end());
    await expect(httpRegistryVerifier().verify(registryAddress(baseUrl), 'x', 'y')).resolves.toBeUndefined();
  });

  it('reports 5xx, 429 and unreachable registries as retryable, unknown schemes as final', async () => {
    // Prepare
    const broken = await serve((_request, response) => void response.writeHead(503).end());
    const throttled = await serve((request, response) => {
      if (request.headers.authorization === undefined) {
        return void response.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end();
      }
      response.writeHead(429).end();
    });
    const strange = await serve(
      (_request, response) => void response.writeHead(401, { 'www-authenticate': 'Negotiate' }).end(),
    );
    // The default timeout: these local servers answer at once, and a tight bound would only race a loaded machine.
    const verifier = httpRegistryVerifier();

    // Act
    const failures = await Promise.all([
      failureOf(verifier.verify(registryAddress(broken), 'u', 'p')),
      failureOf(verifier.verify(registryAddress(throttled), 'u', 'p')),
      failureOf(verifier.verify(registryAddress('http://127.0.0.1:1'), 'u', 'p')),
      failureOf(verifier.verify(registryAddress(strange), 'u', 'p')),
    ]);

    // Assess
    expect(failures.map((failure) => failure.retryable)).toEqual([true, true, true, false]);
    expect(failures[2]?.message).toContain('cannot reach 127.0.0.1:1');
    expect(failures[3]?.message).toContain('unsupported authentication scheme: negotiate');
  });

  it('says why a registry cannot be reached, and gives up at once on a certificate it does not trust', async () => {
    // Prepare: fetch's own errors, which say only "fetch failed" and keep the reason in `cause`.
    const failing = (code: string, message: string) =>
      httpRegistryVerifier({
        fetch: async () => {
          throw new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });
        },
      });

    // Act
    const refused = await failureOf(
      failing('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:443').verify(registryAddress('10.0.0.5'), 'u', 'p'),
    );
    const plain = await failureOf(
      failing('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number').verify(registryAddress('r:5000'), 'u', 'p'),
    );
    const untrusted = await failureOf(
      failing('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate').verify(
        registryAddress('registry.internal:5000'),
        'u',
        'p',
      ),
    );

    // Assess
    expect(refused.message).toBe('cannot reach 10.0.0.5 at https://10.0.0.5/v2/: connect ECONNREFUSED 10.0.0.5:443');
    expect(refused.retryable).toBe(true);
    expect(untrusted.message).toBe(
      'cannot reach registry.internal:5000 at https://registry.internal:5000/v2/: self-signed certificate ' +
        '(DEPTH_ZERO_SELF_SIGNED_CERT): its TLS certificate is not trusted; add the CA with NODE_EXTRA_CA_CERTS',
    );
    expect(untrusted.retryable).toBe(false);
    expect(plain.message).toContain('it does not speak TLS; give the server as http://host:port');
    expect(plain.retryable).toBe(false);
  });
});
