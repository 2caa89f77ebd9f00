import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InstanceMetadataClient, instanceProfileCredentials, metadataEndpoint } from './instance-metadata';
import type { AwsCredentials } from './sigv4';

/**
 * Where the per-job commands take credentials from, in the AWS SDK default chain's order. The two sources an agent
 * almost always uses are read directly: environment variables, and the instance profile when nothing else could
 * apply. Anything else (profiles, SSO, credential_process, web identity, container credentials) goes to the SDK's own
 * chain, whose modules cost more start-up time than a job's reads and are loaded only then.
 */
export type CredentialSource =
  | { kind: 'environment'; credentials: AwsCredentials }
  | { kind: 'instance-profile' }
  | { kind: 'sdk-chain'; reason: string };

/** Variables that make the SDK chain use a source other than the environment or the instance profile. */
const OTHER_SOURCE_VARIABLES = [
  'AWS_PROFILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
];

/** The AWS shared config and credentials files, where the SDK looks for them (`AWS_CONFIG_FILE`, ~/.aws/...). */
export function sharedAwsFiles(environment: NodeJS.ProcessEnv): { config?: string; credentials?: string } {
  const inHome = (name: string) => (environment.HOME ? join(environment.HOME, '.aws', name) : undefined);
  const config = environment.AWS_CONFIG_FILE || inHome('config');
  const credentials = environment.AWS_SHARED_CREDENTIALS_FILE || inHome('credentials');
  return { ...(config ? { config } : {}), ...(credentials ? { credentials } : {}) };
}

/**
 * Decides the source as the SDK's default chain would end up deciding it.
 * @param fileExists injected so the decision is testable without a home directory
 */
export function credentialSource(
  environment: NodeJS.ProcessEnv,
  fileExists: (path: string) => boolean = existsSync,
): CredentialSource {
  // The chain skips environment credentials when a profile is named; so do we.
  if (!environment.AWS_PROFILE && environment.AWS_ACCESS_KEY_ID && environment.AWS_SECRET_ACCESS_KEY) {
    return {
      kind: 'environment',
      credentials: {
        accessKeyId: environment.AWS_ACCESS_KEY_ID,
        secretAccessKey: environment.AWS_SECRET_ACCESS_KEY,
        ...(environment.AWS_SESSION_TOKEN ? { sessionToken: environment.AWS_SESSION_TOKEN } : {}),
      },
    };
  }
  const variable = OTHER_SOURCE_VARIABLES.find((name) => environment[name]);
  if (variable) return { kind: 'sdk-chain', reason: `${variable} is set` };
  const { config, credentials } = sharedAwsFiles(environment);
  const sharedFile = [config, credentials].find((file) => file !== undefined && fileExists(file));
  if (sharedFile) return { kind: 'sdk-chain', reason: `${sharedFile} exists` };
  if (environment.AWS_EC2_METADATA_DISABLED?.toLowerCase() === 'true') {
    return { kind: 'sdk-chain', reason: 'AWS_EC2_METADATA_DISABLED is set' };
  }
  return { kind: 'instance-profile' };
}

/**
 * A credential provider for one run: resolves once and shares the answer (or the failure) with every request.
 */
export function credentialProvider(
  environment: NodeJS.ProcessEnv,
  /** The AWS SDK's default chain; injectable so tests do not depend on the machine they run on. */
  sdkChain: () => Promise<AwsCredentials> = sdkChainCredentials,
): () => Promise<AwsCredentials> {
  const source = credentialSource(environment);
  let resolved: Promise<AwsCredentials> | undefined;
  return () => {
    resolved ??= resolveCredentials(source, environment, sdkChain);
    return resolved;
  };
}

async function resolveCredentials(
  source: CredentialSource,
  environment: NodeJS.ProcessEnv,
  sdkChain: () => Promise<AwsCredentials>,
): Promise<AwsCredentials> {
  switch (source.kind) {
    case 'environment':
      return source.credentials;
    case 'instance-profile':
      try {
        return await instanceProfileCredentials(new InstanceMetadataClient(metadataEndpoint(environment)));
      } catch (direct) {
        // The SDK's provider also retries and may fall back to IMDSv1: when the direct read fails, the chain decides.
        return sdkChain().catch((chainError: unknown) => {
          throw new Error(
            `no AWS credentials: none in the environment or shared files, and the instance profile failed ` +
              `(${messageOf(direct)}; the AWS SDK credential chain: ${messageOf(chainError)})`,
          );
        });
      }
    case 'sdk-chain':
      return sdkChain();
  }
}

async function sdkChainCredentials(): Promise<AwsCredentials> {
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  return defaultProvider()();
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
