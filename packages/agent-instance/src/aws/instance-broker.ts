import type { BrokerCall, BrokerSuccess, InstanceBrokerClient } from '@elastic-ci/instance-broker/client';

export type { BrokerCall, BrokerSuccess, InstanceBrokerClient };

/** Makes the client for the broker at `url` (the function URL of the boot contract's `lifecycle.instanceBrokerUrl`). */
export type InstanceBrokerClientFactory = (options: { url: string; region: string }) => InstanceBrokerClient;

/**
 * The real client, loaded on its first call, not with the command: a job hook whose event changes nothing in AWS
 * must not pay for loading it (and its signer) before the job starts. Make one per command: the module and its
 * credential provider load once.
 */
export const lazyInstanceBrokerClient: InstanceBrokerClientFactory = (options) => {
  let client: Promise<InstanceBrokerClient> | undefined;
  return {
    call(request, callOptions) {
      client ??= import('./instance-broker-client.js').then(({ createInstanceBrokerClient }) =>
        createInstanceBrokerClient(options),
      );
      return client.then((loaded) => loaded.call(request, callOptions));
    },
  };
};
