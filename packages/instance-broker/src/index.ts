export { type BrokerAutoScalingPort, createAutoScalingPort, type LifecycleActionCall } from './auto-scaling-port';
export { type AutoScalingErrorClass, classifyAutoScalingError } from './aws-error-classification';
export {
  createInstanceBrokerClient,
  type InstanceBrokerClient,
  type InstanceBrokerClientOptions,
  InstanceBrokerError,
} from './broker-client';
export {
  BROKER_PROTOCOL_VERSION,
  BROKER_STATUS,
  type BrokerAction,
  type BrokerCall,
  type BrokerFailure,
  type BrokerRequest,
  type BrokerSuccess,
  brokerFailureSchema,
  brokerRequestSchema,
  brokerSuccessSchema,
} from './broker-protocol';
export { INSTANCE_BROKER_URL_MAX_LENGTH, isInstanceBrokerUrl } from './broker-url';
export { type CallerIdentity, callerIdentity } from './caller-identity';
export { type BrokerConfig, type ConfigResult, FLEET_TAG_KEY, loadConfig } from './config';
export { ConfigurationError } from './errors';
export { type BrokerHandlerDependencies, type BrokerLogger, createBrokerHandler, MAX_BODY_BYTES } from './handler';
