/**
 * A minimal IMDSv2 reader (token handshake, then GET) for the hook-time commands. Honours
 * `AWS_EC2_METADATA_SERVICE_ENDPOINT` like the AWS SDK, so tests point it at the IMDS stand-in.
 */
export interface InstanceMetadata {
  /** The value at `latest/meta-data/<path>`, or undefined when IMDS answers 404 (e.g. not in an Auto Scaling group). */
  get(path: string): Promise<string | undefined>;
}

export class InstanceMetadataError extends Error {
  override name = 'InstanceMetadataError';
}

export function instanceMetadata(options: {
  readonly env: NodeJS.ProcessEnv;
  readonly attempts?: number;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}): InstanceMetadata {
  const base = (options.env.AWS_EC2_METADATA_SERVICE_ENDPOINT || 'http://169.254.169.254').replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const attempts = options.attempts ?? 3;
  const timeoutMs = options.timeoutMs ?? 2000;
  let token: string | undefined;

  const request = async (method: 'PUT' | 'GET', path: string, headers: Record<string, string>) => {
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        return await doFetch(`${base}${path}`, { method, headers, signal: AbortSignal.timeout(timeoutMs) });
      } catch (error) {
        lastError = error;
      }
    }
    throw new InstanceMetadataError(`instance metadata unreachable at ${base}`, { cause: lastError });
  };

  const fetchToken = async () => {
    const response = await request('PUT', '/latest/api/token', { 'X-aws-ec2-metadata-token-ttl-seconds': '300' });
    if (!response.ok) throw new InstanceMetadataError(`instance metadata token request answered ${response.status}`);
    return (await response.text()).trim();
  };

  return {
    async get(path) {
      for (let attempt = 1; ; attempt++) {
        token ??= await fetchToken();
        const response = await request('GET', `/latest/meta-data/${path}`, { 'X-aws-ec2-metadata-token': token });
        if (response.status === 404) return undefined;
        if (response.status === 401 && attempt < attempts) {
          token = undefined; // expired: one fresh handshake
          continue;
        }
        if (response.ok) return (await response.text()).trim();
        if (attempt >= attempts)
          throw new InstanceMetadataError(`instance metadata ${path} answered ${response.status}`);
      }
    },
  };
}
