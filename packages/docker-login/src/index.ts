export { createAwsGateway } from './aws-gateway';
export { type CliIo, EXIT_LOGIN_FAILED, EXIT_OK, EXIT_USAGE, main, USAGE } from './cli';
export {
  type AssumeRoleConfig,
  type AwsConnection,
  type AwsCredentials,
  type Command,
  type EcrLoginConfig,
  type HelperConfig,
  parseConfig,
  type RegistryLoginConfig,
} from './config';
export {
  type DockerConfig,
  parseDockerConfig,
  updateDockerConfigFile,
  withCredentialHelpers,
  withoutRegistries,
  withRegistryAuths,
} from './docker-config';
export { loginToEcr } from './ecr-login';
export * from './errors';
export { createIsolatedConfig, logout } from './logout';
export type * from './ports';
export { ecrRegistryHost, registryAddress } from './registry-hosts';
export { loginToRegistry } from './registry-login';
export { withRetries } from './retry';
