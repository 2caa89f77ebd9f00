import { LoginFailedError } from './errors';
import type { RegistryVerifier } from './ports';

export interface AuthenticationChallenge {
  scheme: string;
  parameters: Record<string, string>;
}

/** Parses a `WWW-Authenticate` header such as `Bearer realm="https://auth.example/token",service="registry"`. */
export function parseAuthenticationChallenge(header: string): AuthenticationChallenge | undefined {
  const match = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
  if (match === null) return undefined;
  const parameters: Record<string, string> = {};
  for (const parameter of (match[2] ?? '').matchAll(/([A-Za-z_]+)\s*=\s*(?:"([^"]*)"|([^\s,]+))/g)) {
    const name = parameter[1];
    if (name !== undefined) parameters[name.toLowerCase()] = parameter[2] ?? parameter[3] ?? '';
  }
  return { scheme: (match[1] ?? '').toLowerCase(), parameters };
}

/** Node's TLS verification failures: permanent until the CA is trusted or the certificate fixed. */
const UNTRUSTED_CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const basicAuthorization = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;

export interface HttpRegistryVerifierOptions {
  fetch?: typeof fetch;
  /** @default 30_000 */
  timeoutMs?: number;
}

/**
 * Proves credentials the way `docker login` does, with plain HTTP calls: `GET /v2/`; on a Basic challenge repeat it
 * with the credentials; on a Bearer challenge ask the token realm for a token with them. A registry answering 200
 * without credentials accepts any. Rejections (401/403) are final; 429, 5xx and network errors may be retried.
 */
export function httpRegistryVerifier(options: HttpRegistryVerifierOptions = {}): RegistryVerifier {
  const fetchImplementation = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;

  const request = async (url: string, name: string, headers: Record<string, string> = {}) => {
    try {
      return await fetchImplementation(url, { headers, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      // fetch says only "fetch failed": the reason (refused, DNS, TLS) is its cause.
      const cause = (error as { cause?: unknown }).cause;
      const code = (cause as NodeJS.ErrnoException | undefined)?.code;
      const reason = (cause instanceof Error ? cause.message : (error as Error).message).replace(/\s+/g, ' ').trim();
      const untrusted = code !== undefined && UNTRUSTED_CERTIFICATE_CODES.has(code);
      const plainHttp = code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG';
      const hint = untrusted
        ? ` (${code}): its TLS certificate is not trusted; add the CA with NODE_EXTRA_CA_CERTS`
        : plainHttp
          ? ` (${code}): it does not speak TLS; give the server as http://host:port for a plain-HTTP registry`
          : '';
      // Neither a certificate that is not trusted nor a server without TLS changes on a retry.
      throw new LoginFailedError(`cannot reach ${name} at ${url}: ${reason}${hint}`, {
        retryable: !untrusted && !plainHttp,
        cause: error,
      });
    }
  };

  const judge = (response: Response, name: string, what: string) => {
    if (response.ok) return;
    const status = response.status;
    if (status === 401 || status === 403) {
      throw new LoginFailedError(`${name} rejected the ${what} (HTTP ${status}): check the username and password`, {
        retryable: false,
      });
    }
    throw new LoginFailedError(`${name} answered HTTP ${status} to the ${what}`, {
      retryable: status === 429 || status >= 500,
    });
  };

  return {
    async verify(address, username, password) {
      const name = address.displayName;
      const pingUrl = `${address.apiBaseUrl}/v2/`;
      const anonymous = await request(pingUrl, name);
      await anonymous.body?.cancel();
      if (anonymous.ok) return;
      if (anonymous.status !== 401) judge(anonymous, name, 'registry API check');
      const challenge = parseAuthenticationChallenge(anonymous.headers.get('www-authenticate') ?? '');
      if (challenge?.scheme === 'basic') {
        const response = await request(pingUrl, name, { authorization: basicAuthorization(username, password) });
        await response.body?.cancel();
        judge(response, name, 'credentials');
        return;
      }
      if (challenge?.scheme === 'bearer' && challenge.parameters.realm !== undefined) {
        let tokenUrl: URL;
        try {
          tokenUrl = new URL(challenge.parameters.realm);
        } catch (error) {
          throw new LoginFailedError(`${name} sent an invalid token realm`, { retryable: false, cause: error });
        }
        if (challenge.parameters.service !== undefined)
          tokenUrl.searchParams.set('service', challenge.parameters.service);
        tokenUrl.searchParams.set('account', username);
        const response = await request(tokenUrl.toString(), `${name} token service`, {
          authorization: basicAuthorization(username, password),
        });
        await response.body?.cancel();
        judge(response, `${name} token service`, 'credentials');
        return;
      }
      throw new LoginFailedError(
        `${name} asked for an unsupported authentication scheme: ${challenge?.scheme ?? 'none'}`,
        {
          retryable: false,
        },
      );
    },
  };
}
