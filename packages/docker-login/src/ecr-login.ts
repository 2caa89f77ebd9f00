import type { AwsCredentials, EcrLoginConfig } from './config';
import {
  credsStoreWarning,
  updateDockerConfigFile,
  updateLoginState,
  withCredentialHelpers,
  withRegistryAuths,
} from './docker-config';
import { MissingProgramError } from './errors';
import type { AwsGateway, Dependencies } from './ports';
import { decodeAuthorizationToken, encodeAuth, type UsernamePassword } from './registry-credentials';
import { ECR_PUBLIC, ecrRegistryHost } from './registry-hosts';
import { withRetries } from './retry';

/** Same session name as the ECR plugin, so existing trust policies and CloudTrail queries keep matching. */
export const ROLE_SESSION_NAME = 'ecr-login-buildkite-plugin';
export const OIDC_AUDIENCE = 'sts.amazonaws.com';
export const CREDENTIAL_HELPER_NAME = 'ecr-login';

export interface EcrLoginRequest {
  config: EcrLoginConfig;
  dockerConfigDir: string;
  path: string;
  /** `--docker-login`: hand each credential to `docker login` instead of writing config.json. */
  useDockerCli: boolean;
  /** `BUILDKITE_JOB_ID`, recorded with each registry so another job's logout leaves it while this job runs. */
  jobId?: string | undefined;
}

export interface EcrLoginResult {
  /** Registries configured (config.json keys); empty when login is disabled. */
  registries: string[];
  mode: 'disabled' | 'auths' | 'credential-helper' | 'docker-cli';
}

async function assumedCredentials(
  config: EcrLoginConfig,
  baseGateway: AwsGateway,
  dependencies: Dependencies,
  retry: <T>(attempt: () => Promise<T>) => Promise<T>,
): Promise<AwsCredentials | undefined> {
  const assumeRole = config.assumeRole;
  if (assumeRole === undefined) return undefined;
  const { output } = dependencies;
  const request = {
    roleArn: assumeRole.roleArn,
    sessionName: ROLE_SESSION_NAME,
    durationSeconds: assumeRole.durationSeconds,
  };
  let credentials: AwsCredentials;
  if (assumeRole.oidc) {
    output.info('~~~ Assuming role with web identity using Buildkite OIDC :ecr: :docker:');
    output.info(`Role ARN: ${assumeRole.roleArn}`);
    const webIdentityToken = await retry(() =>
      dependencies.oidc.requestToken({ audience: OIDC_AUDIENCE, lifetimeSeconds: assumeRole.durationSeconds }),
    );
    output.addSecret(webIdentityToken);
    credentials = await retry(() => baseGateway.assumeRoleWithWebIdentity({ ...request, webIdentityToken }));
  } else {
    output.info('~~~ Assuming role :ecr: :docker:');
    output.info(`Role ARN: ${assumeRole.roleArn}`);
    credentials = await retry(() => baseGateway.assumeRole(request));
  }
  output.addSecret(credentials.secretAccessKey);
  if (credentials.sessionToken !== undefined) output.addSecret(credentials.sessionToken);
  return credentials;
}

/**
 * The ECR plugin's environment hook as one function: optional assume-role (plain or Buildkite OIDC) with the
 * credentials kept in memory, account ids from config or STS, one GetAuthorizationToken per region (plus ECR Public in
 * us-east-1), then either `auths` entries, `credHelpers` entries, or `docker login` per registry.
 */
export async function loginToEcr(request: EcrLoginRequest, dependencies: Dependencies): Promise<EcrLoginResult> {
  const { config } = request;
  const { output } = dependencies;
  if (!config.enabled) {
    output.info('ECR login is disabled (BUILDKITE_PLUGIN_ECR_LOGIN / AWS_ECR_LOGIN): nothing to do');
    return { registries: [], mode: 'disabled' };
  }
  const region = config.aws.region;
  if (config.regionDefaulted) {
    output.warn('AWS region should be specified via plugin config or AWS_DEFAULT_REGION environment.');
    output.warn('Defaulting to us-east-1 for legacy compatibility.');
  }
  const retry = <T>(attempt: () => Promise<T>) =>
    withRetries(attempt, { retries: config.retries, sleep: dependencies.sleep, warn: output.warn });

  const baseGateway = dependencies.aws(config.aws);
  const credentials = await assumedCredentials(config, baseGateway, dependencies, retry);
  const gateway = credentials === undefined ? baseGateway : dependencies.aws(config.aws, credentials);
  const accountIds =
    config.accountIds.length > 0 ? [...config.accountIds] : [await retry(() => gateway.callerAccountId())];
  const registryFor = (accountId: string) =>
    accountId === ECR_PUBLIC ? ECR_PUBLIC : ecrRegistryHost(accountId, region);
  const registries = accountIds.map(registryFor);

  if (config.credentialHelper) {
    output.info('~~~ Configuring ECR credential helper :ecr: :docker:');
    if ((await dependencies.findProgram('docker-credential-ecr-login', request.path)) === undefined) {
      throw new MissingProgramError(
        'docker-credential-ecr-login',
        'install amazon-ecr-credential-helper, or turn off BUILDKITE_PLUGIN_ECR_CREDENTIAL_HELPER',
      );
    }
    await updateDockerConfigFile(request.dockerConfigDir, {
      change: (dockerConfig) => withCredentialHelpers(dockerConfig, registries, CREDENTIAL_HELPER_NAME),
      remember: registries,
      job: request.jobId,
    });
    for (const registry of registries) output.info(`Configured ECR credential helper for ${registry}`);
    output.info('ECR credential helper configured successfully');
    const unused = [
      ...(config.assumeRole === undefined ? [] : [config.assumeRole.roleArn]),
      ...(config.aws.profile === undefined ? [] : [`profile "${config.aws.profile}"`]),
    ];
    if (unused.length > 0) {
      // The pulls happen later, in Docker's own process: nothing here can hand them these credentials.
      output.warn(
        "Warning: docker-credential-ecr-login gets its own AWS credentials when Docker pulls (the job's environment, " +
          `AWS_PROFILE or the instance role): it will not use ${unused.join(' or ')}. ` +
          'Turn off BUILDKITE_PLUGIN_ECR_CREDENTIAL_HELPER to log in with them.',
      );
    }
    return { registries, mode: 'credential-helper' };
  }

  output.info('~~~ Authenticating with AWS ECR :ecr: :docker:');
  output.info(`Authenticating with AWS ECR in ${region} for ${accountIds.join(' ')}`);
  const logins: { registry: string; credentials: UsernamePassword }[] = [];
  if (accountIds.some((id) => id !== ECR_PUBLIC)) {
    const token = await retry(() => gateway.ecrAuthorizationToken());
    output.addSecret(token);
    const privateCredentials = decodeAuthorizationToken(token, 'ecr:GetAuthorizationToken');
    output.addSecret(privateCredentials.password);
    for (const id of accountIds) {
      if (id !== ECR_PUBLIC) logins.push({ registry: registryFor(id), credentials: privateCredentials });
    }
  }
  if (accountIds.includes(ECR_PUBLIC)) {
    output.info('Ignoring region for public.ecr.aws and forcing us-east-1');
    const token = await retry(() => gateway.ecrPublicAuthorizationToken());
    output.addSecret(token);
    const publicCredentials = decodeAuthorizationToken(token, 'ecr-public:GetAuthorizationToken');
    output.addSecret(publicCredentials.password);
    logins.push({ registry: ECR_PUBLIC, credentials: publicCredentials });
  }

  if (request.useDockerCli) {
    for (const login of logins) {
      await retry(() =>
        dependencies.dockerCli.login({
          server: login.registry,
          username: login.credentials.username,
          password: login.credentials.password,
          dockerConfigDir: request.dockerConfigDir,
        }),
      );
      // Docker may keep it in a credential store that editing config.json never empties: logout runs docker logout.
      await updateLoginState(request.dockerConfigDir, {
        remember: [login.registry],
        rememberDockerLogins: [login.registry],
        job: request.jobId,
      });
      output.info(`Logged in to ${login.registry} with docker login`);
    }
    return { registries, mode: 'docker-cli' };
  }

  const written = await updateDockerConfigFile(request.dockerConfigDir, {
    change: (dockerConfig) =>
      withRegistryAuths(
        dockerConfig,
        logins.map((login) => ({ key: login.registry, auth: encodeAuth(login.credentials) })),
      ),
    remember: registries,
    job: request.jobId,
  });
  for (const login of logins) output.info(`Logged in to ${login.registry}`);
  const hidden = credsStoreWarning(request.dockerConfigDir, written);
  if (hidden !== undefined) output.warn(hidden);
  return { registries, mode: 'auths' };
}
