// The instance-side entry (`@elastic-ci/instance-broker/client`): the protocol, the client and its error only — no
// Lambda handler, Powertools or Auto Scaling client — so an instance's bundles stay small.

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
