import type { RegistryLoginConfig } from './config';
import { credsStoreWarning, updateDockerConfigFile, updateLoginState, withRegistryAuths } from './docker-config';
import type { Dependencies } from './ports';
import { encodeAuth } from './registry-credentials';
import { registryAddress } from './registry-hosts';
import { withRetries } from './retry';

export interface RegistryLoginRequest {
  config: RegistryLoginConfig;
  dockerConfigDir: string;
  /** `--docker-login`: run `docker login --password-stdin` instead of writing config.json. */
  useDockerCli: boolean;
  /** `BUILDKITE_JOB_ID`, recorded with the registry so another job's logout leaves it while this job runs. */
  jobId?: string | undefined;
}

/**
 * The docker-login plugin's pre-command hook: verify the credentials against the registry (unless turned off), with
 * retries and backoff for transient failures, then record them in config.json (or via `docker login`).
 */
export async function loginToRegistry(request: RegistryLoginRequest, dependencies: Dependencies): Promise<string> {
  const { config } = request;
  const { output } = dependencies;
  output.addSecret(config.password);
  const address = registryAddress(config.server);
  output.info(`~~~ :docker: Logging into docker registry ${address.displayName}`);
  await withRetries(
    async () => {
      if (request.useDockerCli) {
        await dependencies.dockerCli.login({
          server: config.server,
          username: config.username,
          password: config.password,
          dockerConfigDir: request.dockerConfigDir,
        });
      } else if (config.verify) {
        await dependencies.verifier.verify(address, config.username, config.password);
      }
    },
    { retries: config.retries, sleep: dependencies.sleep, warn: output.warn },
  );
  if (request.useDockerCli) {
    // Docker may keep it in a credential store that editing config.json never empties: logout runs docker logout.
    await updateLoginState(request.dockerConfigDir, {
      remember: [address.authKey],
      rememberDockerLogins: [config.server],
      job: request.jobId,
    });
  } else {
    const written = await updateDockerConfigFile(request.dockerConfigDir, {
      change: (dockerConfig) =>
        withRegistryAuths(dockerConfig, [
          { key: address.authKey, auth: encodeAuth({ username: config.username, password: config.password }) },
        ]),
      remember: [address.authKey],
      job: request.jobId,
    });
    const hidden = credsStoreWarning(request.dockerConfigDir, written);
    if (hidden !== undefined) output.warn(hidden);
  }
  output.info(`Logged in to ${address.displayName} as ${config.username}${config.verify ? '' : ' (not verified)'}`);
  return address.authKey;
}
