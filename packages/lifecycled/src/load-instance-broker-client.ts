// The one module that loads the broker client: imported only by `lazyInstanceBrokerClient`, on a broker call.
export { createInstanceBrokerClient } from '@elastic-ci/instance-broker/client';
