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
export { type InstanceBrokerClient, type InstanceBrokerClientOptions, InstanceBrokerError } from './broker-client';
