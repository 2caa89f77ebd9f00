import { request as httpRequest } from 'node:http';
import * as z from 'zod/mini';
import type { AwsCredentials } from './sigv4';

const TOKEN_TTL_SECONDS = '300';
const DEFAULT_TIMEOUT_MS = 1_000;

/**
 * Where instance metadata answers: `AWS_EC2_METADATA_SERVICE_ENDPOINT`, else the IPv6 address when
 * `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6`, else 169.254.169.254 (the variables the AWS SDKs read).
 */
export function metadataEndpoint(environment: NodeJS.ProcessEnv): URL {
  if (environment.AWS_EC2_METADATA_SERVICE_ENDPOINT) return new URL(environment.AWS_EC2_METADATA_SERVICE_ENDPOINT);
  return new URL(
    environment.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE?.toLowerCase() === 'ipv6'
      ? 'http://[fd00:ec2::254]'
      : 'http://169.254.169.254',
  );
}

/** An IMDSv2 client: one session token, reused for every read of this process. */
export class InstanceMetadataClient {
  #token: Promise<string> | undefined;

  constructor(
    private readonly endpoint: URL,
    private readonly timeoutMs: number = DEFAULT_TIMEOUT_MS,
  ) {}

  /** The text at `/latest/meta-data/<path>`. @throws Error naming the path and what went wrong */
  async get(path: string): Promise<string> {
    this.#token ??= this.#call('PUT', '/latest/api/token', {
      'x-aws-ec2-metadata-token-ttl-seconds': TOKEN_TTL_SECONDS,
    });
    const token = await this.#token;
    return this.#call('GET', `/latest/meta-data/${path}`, { 'x-aws-ec2-metadata-token': token });
  }

  #call(method: 'GET' | 'PUT', path: string, headers: Record<string, string>): Promise<string> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        {
          hostname: this.endpoint.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: this.endpoint.port || 80,
          method,
          path,
          headers,
          timeout: this.timeoutMs,
        },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            body += chunk;
          });
          response.on('end', () =>
            response.statusCode === 200
              ? resolve(body.trim())
              : reject(new Error(`instance metadata answered HTTP ${response.statusCode} for ${path}`)),
          );
        },
      );
      request.on('timeout', () =>
        request.destroy(new Error(`instance metadata did not answer ${path} within ${this.timeoutMs} ms`)),
      );
      request.on('error', (error) => reject(new Error(`instance metadata ${path}: ${error.message}`)));
      request.end();
    });
  }
}

const instanceProfileCredentialsSchema = z.object({
  Code: z.literal('Success'),
  AccessKeyId: z.string().check(z.minLength(1)),
  SecretAccessKey: z.string().check(z.minLength(1)),
  Token: z.string().check(z.minLength(1)),
  Expiration: z.string(),
});

/**
 * The instance profile's temporary credentials, read as the AWS SDKs read them (role name, then the role's document).
 * @throws Error when there is no instance profile or the document is not a successful credentials answer; the message
 *   never contains the secret
 */
export async function instanceProfileCredentials(client: InstanceMetadataClient): Promise<AwsCredentials> {
  const role = (await client.get('iam/security-credentials/')).split('\n')[0]?.trim();
  if (!role) throw new Error('instance metadata lists no instance-profile role: the instance has no IAM role attached');
  let document: unknown;
  try {
    document = JSON.parse(await client.get(`iam/security-credentials/${encodeURIComponent(role)}`));
  } catch (error) {
    if (error instanceof SyntaxError)
      throw new Error(`instance metadata answered role ${role} with something that is not JSON`);
    throw error;
  }
  const parsed = instanceProfileCredentialsSchema.safeParse(document);
  if (!parsed.success) {
    throw new Error(
      `instance metadata answered role ${role} without usable credentials (${parsed.error.issues.map((issue) => issue.path.join('.') || issue.message).join(', ')})`,
    );
  }
  return {
    accessKeyId: parsed.data.AccessKeyId,
    secretAccessKey: parsed.data.SecretAccessKey,
    sessionToken: parsed.data.Token,
  };
}

/** This instance's region from `placement/region`, or undefined when it does not look like a region. */
export async function instanceRegion(client: InstanceMetadataClient): Promise<string | undefined> {
  const region = await client.get('placement/region');
  return /^[a-z]{2}(-[a-z0-9]+)+-\d+$/.test(region) ? region : undefined;
}
