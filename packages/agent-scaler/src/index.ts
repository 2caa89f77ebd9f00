export { type AwsClientOptions, awsClientSettings } from './aws-adapters';
export { type Clock, systemClock } from './clock';
export { type AgentScalerConfig, CORE_OPTION_VARIABLES, POLICY_JSON_KEYS, parseAgentScalerConfig } from './config';
export {
  ConfigurationError,
  GroupNotFoundError,
  LeaseExpiredError,
  MalformedAwsResponseError,
  SecretUnavailableError,
  StateStoreError,
} from './errors';
export type {
  AutoScalingPort,
  GroupInstance,
  GroupSnapshot,
  InstanceDetails,
  InstanceDetailsPort,
  ParameterStorePort,
  ScalingLeasePort,
} from './ports';
export {
  createRuntimeFromEnvironment,
  createScalerRuntime,
  type ScalerRuntime,
  type ScalerRuntimePorts,
} from './runtime';
export { type PassOutcome, type PassTrigger, runScalingPass, type ZombieOutcome } from './scaling-pass';
export { createScheduledHandler } from './scheduled-handler';
export { createWebhookHandler } from './webhook-handler';
