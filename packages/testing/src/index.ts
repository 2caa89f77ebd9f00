export { awsClientConfig, awsEnvironment, type MotoClientConfig } from './aws-client-config';
export * from './buildkite-api-stand-in';
export { type Clock, FakeClock } from './fake-clock';
export * from './imds-stand-in';
export { type LambdaContextOptions, lambdaContext } from './lambda-context';
export {
  defaultMotoExecutable,
  findRepositoryRoot,
  type MotoEndpoint,
  MotoUnavailableError,
  type RunningMotoServer,
  resetMoto,
  type StartMotoServerOptions,
  startMotoServer,
} from './moto-server';
