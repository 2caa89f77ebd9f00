import type { InstanceBrokerClient } from '@elastic-ci/instance-broker/client';

export type { InstanceBrokerClient };

/** Makes the client for the broker at `url` (signing for `region`). */
export type InstanceBrokerClientFactory = (options: { url: string; region: string }) => InstanceBrokerClient;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Longest broker URL, as the boot contract's `lifecycle.instanceBrokerUrl` allows. */
export const INSTANCE_BROKER_URL_MAX_LENGTH = 128;

/**
 * An instance broker URL as agent-instance's boot contract takes it (`isInstanceBrokerUrl` there; a test keeps the
 * two equal): https (a Lambda function URL), or http to a loopback address (a local front in tests); no credentials,
 * query or fragment. Not imported from agent-instance: its contract module would put the whole schema in this bundle.
 */
export function isInstanceBrokerUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const schemeAllowed =
    parsed.protocol === 'https:' || (parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname));
  return (
    schemeAllowed &&
    url.length <= INSTANCE_BROKER_URL_MAX_LENGTH &&
    parsed.username === '' &&
    parsed.password === '' &&
    parsed.search === '' &&
    parsed.hash === ''
  );
}

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
