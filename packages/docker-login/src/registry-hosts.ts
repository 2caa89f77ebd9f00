/** The literal account id pipelines use for Amazon ECR Public. */
export const ECR_PUBLIC = 'public.ecr.aws';

/** ECR Public issues tokens only in us-east-1, whatever region the job runs in. */
export const ECR_PUBLIC_REGION = 'us-east-1';

/** The key Docker itself uses in `config.json` for Docker Hub (`docker login` with no server). */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

const DOCKER_HUB_ALIASES = new Set([
  '',
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
]);

/** `<account>.dkr.ecr.<region>.amazonaws.com`, with the `.com.cn` suffix in the China partition. */
export function ecrRegistryHost(accountId: string, region: string): string {
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `${accountId}.dkr.ecr.${region}.${suffix}`;
}

/** Where a registry login goes: the `config.json` key and the base URL its `/v2/` API answers on. */
export interface RegistryAddress {
  /** Key in `auths` / `credHelpers`: host[:port], or Docker Hub's historical URL. */
  authKey: string;
  /** `https://host[:port]` (or `http://` when the server was given with that scheme). */
  apiBaseUrl: string;
  /** Human-readable name for logs. */
  displayName: string;
}

/**
 * Normalises a docker-login server (`DOCKER_LOGIN_SERVER`) the way `docker login` does: empty or any Docker Hub alias
 * means Docker Hub; a scheme and trailing path are dropped from the key; `http://` is kept only for the API URL so a
 * plain-HTTP registry (a loopback test registry) can be verified.
 */
export function registryAddress(server: string): RegistryAddress {
  const trimmed = server.trim();
  const schemeMatch = /^(https?):\/\//i.exec(trimmed);
  const scheme = schemeMatch?.[1]?.toLowerCase() ?? 'https';
  const withoutScheme = schemeMatch ? trimmed.slice(schemeMatch[0].length) : trimmed;
  const host = (withoutScheme.split('/')[0] ?? '').toLowerCase();
  if (DOCKER_HUB_ALIASES.has(host)) {
    return { authKey: DOCKER_HUB_AUTH_KEY, apiBaseUrl: 'https://registry-1.docker.io', displayName: 'Docker Hub' };
  }
  return { authKey: host, apiBaseUrl: `${scheme}://${host}`, displayName: host };
}

/** True when `server` names a registry host docker would accept: host or host:port, optionally with a scheme. */
export function isValidRegistryServer(server: string): boolean {
  const trimmed = server.trim();
  if (trimmed === '') return true;
  const withoutScheme = trimmed.replace(/^https?:\/\//i, '');
  const host = withoutScheme.split('/')[0] ?? '';
  return (
    /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?$/.test(host) || /^\[[0-9a-fA-F:]+\](:\d{1,5})?$/.test(host)
  );
}
