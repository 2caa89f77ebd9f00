/**
 * The one check of a broker URL, shared by everything that takes one (agent-instance's boot contract field
 * `lifecycle.instanceBrokerUrl`, lifecycled's `--instance-broker-url`): a renamed rule cannot drift between the two.
 */

/**
 * Longest instance broker URL. A Lambda function URL is `https://<32-character id>.lambda-url.<region>.<domain>/`,
 * under 100 characters in every partition; the cap keeps a maximal boot contract within its user-data budget.
 */
export const INSTANCE_BROKER_URL_MAX_LENGTH = 128;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * An instance broker URL: https (a Lambda function URL), or http to a loopback address (a local front in tests —
 * signatures are no secret, but a plaintext hop off the machine would expose the signed request); no credentials,
 * query or fragment (the client signs the path alone).
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
