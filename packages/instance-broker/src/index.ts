// The whole package: the instance-side surface (protocol, client, URL check — also `./client` alone) and the Lambda's
// pieces (config, caller identity, handler, Auto Scaling adapter) for the infra app's contract tests and the sandbox.
export { type BrokerAutoScalingPort, createAutoScalingPort, type LifecycleActionCall } from './auto-scaling-port';
export { type AutoScalingErrorClass, classifyAutoScalingError } from './aws-error-classification';
export { type CallerIdentity, callerIdentity } from './caller-identity';
export * from './client';
export { type BrokerConfig, type ConfigResult, FLEET_TAG_KEY, loadConfig } from './config';
export { ConfigurationError } from './errors';
export { type BrokerHandlerDependencies, type BrokerLogger, createBrokerHandler, MAX_BODY_BYTES } from './handler';
