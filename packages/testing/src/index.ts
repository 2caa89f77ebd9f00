export { awsClientConfig, awsEnvironment, type MotoClientConfig } from './aws-client-config';
export { type Clock, FakeClock } from './fake-clock';
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
