import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import {
  ECRPUBLICClient,
  GetAuthorizationTokenCommand as GetPublicAuthorizationTokenCommand,
} from '@aws-sdk/client-ecr-public';
import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  type Credentials,
  GetCallerIdentityCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import { fromIni, fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsConnection, AwsCredentials } from './config';
import { LoginFailedError } from './errors';
import type { AwsGateway, AwsGatewayFactory } from './ports';
import { ECR_PUBLIC_REGION } from './registry-hosts';

const THROTTLING = /throttl|toomanyrequests|requestlimitexceeded|slowdown/i;
const NETWORK = /timeout|econnrefused|econnreset|enotfound|eai_again|socket|network/i;

/**
 * Turns an SDK error into a {@link LoginFailedError} naming the operation and the AWS error code. Throttling, HTTP 5xx
 * and network failures are retryable; access denied, bad tokens and other 4xx are not.
 */
export function awsCallError(operation: string, error: unknown): LoginFailedError {
  const details = error as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = details.$metadata?.httpStatusCode;
  const name = details.name ?? 'Error';
  const retryable =
    status === undefined
      ? NETWORK.test(`${name} ${details.code ?? ''} ${details.message ?? ''}`) || THROTTLING.test(name)
      : status >= 500 || status === 429 || THROTTLING.test(name);
  const statusText = status === undefined ? '' : ` (HTTP ${status})`;
  const message = (details.message ?? '').slice(0, 300);
  return new LoginFailedError(`${operation} failed: ${name}${statusText}: ${message}`, { retryable, cause: error });
}

function baseCredentials(connection: AwsConnection) {
  if (connection.profile !== undefined) {
    return fromIni({
      profile: connection.profile,
      ...(connection.configFile === undefined ? {} : { configFilepath: connection.configFile }),
      ...(connection.credentialsFile === undefined ? {} : { filepath: connection.credentialsFile }),
    });
  }
  if (connection.environmentCredentials !== undefined) return connection.environmentCredentials;
  return fromNodeProviderChain();
}

function toCredentials(credentials: Credentials | undefined, operation: string): AwsCredentials {
  if (credentials?.AccessKeyId === undefined || credentials.SecretAccessKey === undefined) {
    throw new LoginFailedError(`${operation} returned no credentials`, { retryable: true });
  }
  return {
    accessKeyId: credentials.AccessKeyId,
    secretAccessKey: credentials.SecretAccessKey,
    ...(credentials.SessionToken === undefined ? {} : { sessionToken: credentials.SessionToken }),
  };
}

async function call<T>(operation: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    if (error instanceof LoginFailedError) throw error;
    throw awsCallError(operation, error);
  }
}

/**
 * The AWS SDK v3 adapter. Credentials (base or assumed) live only in these client objects: nothing is exported to the
 * environment. Endpoints come from the parsed `AWS_ENDPOINT_URL[_<SERVICE>]` variables.
 */
export const createAwsGateway: AwsGatewayFactory = (connection, credentials) => {
  const resolvedCredentials = credentials ?? baseCredentials(connection);
  const common = { credentials: resolvedCredentials, maxAttempts: 3 };
  const sts = new STSClient({
    ...common,
    region: connection.region,
    ...(connection.endpoints.sts === undefined ? {} : { endpoint: connection.endpoints.sts }),
  });
  const ecr = new ECRClient({
    ...common,
    region: connection.region,
    ...(connection.endpoints.ecr === undefined ? {} : { endpoint: connection.endpoints.ecr }),
  });
  const ecrPublic = new ECRPUBLICClient({
    ...common,
    region: ECR_PUBLIC_REGION,
    ...(connection.endpoints.ecrPublic === undefined ? {} : { endpoint: connection.endpoints.ecrPublic }),
  });

  const gateway: AwsGateway = {
    callerAccountId: () =>
      call('sts:GetCallerIdentity', async () => {
        const response = await sts.send(new GetCallerIdentityCommand({}));
        if (response.Account === undefined || !/^\d{12}$/.test(response.Account)) {
          throw new LoginFailedError('sts:GetCallerIdentity returned no account id', { retryable: true });
        }
        return response.Account;
      }),
    ecrAuthorizationToken: () =>
      call('ecr:GetAuthorizationToken', async () => {
        const response = await ecr.send(new GetAuthorizationTokenCommand({}));
        const token = response.authorizationData?.[0]?.authorizationToken;
        if (token === undefined || token === '') {
          throw new LoginFailedError('ecr:GetAuthorizationToken returned no token', { retryable: true });
        }
        return token;
      }),
    ecrPublicAuthorizationToken: () =>
      call('ecr-public:GetAuthorizationToken', async () => {
        const response = await ecrPublic.send(new GetPublicAuthorizationTokenCommand({}));
        const token = response.authorizationData?.authorizationToken;
        if (token === undefined || token === '') {
          throw new LoginFailedError('ecr-public:GetAuthorizationToken returned no token', { retryable: true });
        }
        return token;
      }),
    assumeRole: (request) =>
      call('sts:AssumeRole', async () => {
        const response = await sts.send(
          new AssumeRoleCommand({
            RoleArn: request.roleArn,
            RoleSessionName: request.sessionName,
            DurationSeconds: request.durationSeconds,
          }),
        );
        return toCredentials(response.Credentials, 'sts:AssumeRole');
      }),
    assumeRoleWithWebIdentity: (request) =>
      call('sts:AssumeRoleWithWebIdentity', async () => {
        // The SDK sends this operation unsigned (noAuth): the web identity token is the credential.
        const response = await sts.send(
          new AssumeRoleWithWebIdentityCommand({
            RoleArn: request.roleArn,
            RoleSessionName: request.sessionName,
            DurationSeconds: request.durationSeconds,
            WebIdentityToken: request.webIdentityToken,
          }),
        );
        return toCredentials(response.Credentials, 'sts:AssumeRoleWithWebIdentity');
      }),
  };
  return gateway;
};
