export { awsClientConfig, awsEnvironment, type MotoClientConfig } from './aws-client-config';
export * from './aws-fault-proxy';
export * from './buildkite-agent-api';
export * from './buildkite-api-stand-in';
export { type Clock, FakeClock } from './fake-clock';
export * from './imds-stand-in';
export { type LambdaContextOptions, lambdaContext } from './lambda-context';
export * from './lifecycle-action-stand-in';
export {
  createMotoAutoScalingGroup,
  MOTO_LAUNCH_TEMPLATE_NAME,
  type MotoAutoScalingGroupOptions,
} from './moto-auto-scaling-group';
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
export { simulatedAgentPath } from './simulated-agent-path';
export * from './webhook-signing';
