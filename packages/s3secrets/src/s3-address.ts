/**
 * Where an S3 request goes, computed without the SDK's endpoint rules: the per-job path only ever talks to one bucket
 * in a standard AWS partition or to an S3-compatible endpoint override. Any setting that could change that answer
 * makes `sdkOnlySetting` name it, and the caller uses the AWS SDK's S3 client instead.
 */

export interface S3Address {
  protocol: 'http:' | 'https:';
  hostname: string;
  /** undefined: the protocol's default port. */
  port: number | undefined;
  /** The `Host` header value (with the port when it is not the default). */
  host: string;
  /** Already percent-encoded once, as SigV4 for S3 signs it. */
  path: string;
}

const UNRESERVED_EXTRA = /[!'()*]/g;

/** RFC 3986 percent-encoding of one path segment or query component (what SigV4 expects). */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    UNRESERVED_EXTRA,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** An object key as an S3 path: every segment encoded, the slashes kept. */
export function encodeKey(key: string): string {
  return key.split('/').map(encodeRfc3986).join('/');
}

/** A bucket name usable as a DNS label under TLS: no dots (a dotted name would not match S3's wildcard certificate). */
export function isVirtualHostable(bucket: string): boolean {
  return /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket) && !bucket.includes('--');
}

/** Partitions whose endpoints this module knows; others (ISO, sovereign clouds) go through the SDK. */
export function dnsSuffixFor(region: string): string | undefined {
  if (/^(us-iso|us-isob|us-isof|eu-isoe|eusc)-/.test(region)) return undefined;
  return region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
}

/**
 * The address of `key` in `bucket` (or of the bucket itself when `key` is undefined). With an endpoint override the
 * bucket goes in the path (MinIO, LocalStack and moto do not resolve bucket sub-domains); on AWS the bucket is a
 * sub-domain when it can be, as the SDK does.
 * @throws Error for a region outside the known partitions (check `sdkOnlySetting` first).
 */
export function s3Address(bucket: string, region: string, endpoint: string | undefined, key?: string): S3Address {
  const keyPath = key === undefined ? '' : `/${encodeKey(key)}`;
  if (endpoint) {
    const url = new URL(endpoint);
    const basePath = url.pathname.replace(/\/+$/, '');
    return {
      protocol: url.protocol === 'http:' ? 'http:' : 'https:',
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port ? Number(url.port) : undefined,
      host: url.host,
      path: `${basePath}/${encodeRfc3986(bucket)}${keyPath}`,
    };
  }
  const suffix = dnsSuffixFor(region);
  if (!suffix) throw new Error(`no built-in S3 endpoint for region ${region}`);
  const virtual = isVirtualHostable(bucket);
  const hostname = virtual ? `${bucket}.s3.${region}.${suffix}` : `s3.${region}.${suffix}`;
  return {
    protocol: 'https:',
    hostname,
    port: undefined,
    host: hostname,
    path: virtual ? keyPath || '/' : `/${encodeRfc3986(bucket)}${keyPath}`,
  };
}

/** A query string in the order and encoding SigV4 canonicalises it. */
export function encodeQuery(query: Readonly<Record<string, string>>): string {
  return Object.keys(query)
    .sort()
    .map((name) => `${encodeRfc3986(name)}=${encodeRfc3986(query[name] ?? '')}`)
    .join('&');
}

const TRUTHY = new Set(['1', 'true', 'yes', 'on']);

/** Shared-config settings that change how the SDK addresses S3 (`endpoint_url` also covers a `services` section). */
const ADDRESSING_SETTINGS =
  /^\s*(endpoint_url|use_fips_endpoint|use_dualstack_endpoint|s3_use_arn_region|s3_disable_multiregion_access_points|use_accelerate_endpoint|addressing_style|s3)\s*=/m;

/**
 * Why the per-job path must use the AWS SDK's S3 client rather than its own requests, or undefined when it need not:
 * FIPS or dual-stack endpoints, a partition without a built-in endpoint, or shared-config addressing settings.
 */
export function sdkOnlySetting(settings: {
  environment: NodeJS.ProcessEnv;
  region: string;
  /** The endpoint override, if any: then the region only signs, it does not address. */
  endpoint: string | undefined;
  /** The text of the AWS shared config file (`AWS_CONFIG_FILE` or ~/.aws/config), when there is one. */
  sharedConfig: string | undefined;
}): string | undefined {
  for (const name of ['AWS_USE_FIPS_ENDPOINT', 'AWS_USE_DUALSTACK_ENDPOINT']) {
    if (TRUTHY.has(settings.environment[name]?.toLowerCase() ?? '')) return `${name} is set`;
  }
  if (!settings.endpoint && !dnsSuffixFor(settings.region)) {
    return `region ${settings.region} is in a partition without a built-in endpoint`;
  }
  const setting =
    settings.sharedConfig === undefined ? undefined : ADDRESSING_SETTINGS.exec(settings.sharedConfig)?.[1];
  return setting ? `the AWS shared config file sets ${setting}` : undefined;
}
