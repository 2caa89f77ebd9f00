import type { InstanceBrokerClient } from '@elastic-ci/instance-broker/client';

export type { InstanceBrokerClient };

/** Makes the client for the broker at `url` (signing for `region`). */
export type InstanceBrokerClientFactory = (options: { url: string; region: string }) => InstanceBrokerClient;

// The broker URL's check is the broker package's own (the boot contract takes the URL with the same rule).
export { INSTANCE_BROKER_URL_MAX_LENGTH, isInstanceBrokerUrl } from '@elastic-ci/instance-broker/client';

/**
 * The real client, loaded on its first call: a daemon that never sees a termination never loads it (nor its signer
 * and credential provider).
 */
export const lazyInstanceBrokerClient: InstanceBrokerClientFactory = (options) => {
  let client: Promise<InstanceBrokerClient> | undefined;
  return {
    call(request, callOptions) {
      client ??= import('./load-instance-broker-client').then(({ createInstanceBrokerClient }) =>
        createInstanceBrokerClient(options),
      );
      return client.then((loaded) => loaded.call(request, callOptions));
    },
  };
};
