import type { BootContract } from '../boot-contract.js';
import { AGENT_USER } from './paths.js';

export type DockerDaemonConfig = Record<string, unknown>;

/**
 * `/etc/docker/daemon.json` after the boot: the image's file (`existing`) with the keys the contract owns set, every
 * other key kept (the image's `storage-driver`, log options, …). Pure; re-running it on its own output changes nothing.
 */
export function mergeDockerDaemonConfig(
  existing: DockerDaemonConfig,
  contract: Pick<BootContract, 'docker' | 'storage'>,
): DockerDaemonConfig {
  const { docker } = contract;
  const merged: DockerDaemonConfig = { ...existing };
  const dualstack = docker.networkingProtocol === 'dualstack';
  if (docker.userNamespaceRemap) merged['userns-remap'] = AGENT_USER;
  else delete merged['userns-remap'];
  const pools: Array<{ base: string; size: number }> = docker.addressPools.map(({ base, size }) => ({ base, size }));
  if (dualstack) {
    pools.push({ base: docker.ipv6AddressPool, size: 112 });
    merged.ipv6 = true;
    merged.ip6tables = true;
    merged['fixed-cidr-v6'] = docker.fixedCidrV6;
  } else {
    delete merged.ipv6;
    delete merged.ip6tables;
    delete merged['fixed-cidr-v6'];
  }
  merged['default-address-pools'] = pools;
  if (docker.fixedCidrV4 !== undefined) merged['fixed-cidr'] = docker.fixedCidrV4;
  else delete merged['fixed-cidr'];
  // Dualstack networking needs experimental features on the daemons this image ships (as Buildkite's stack does).
  if (docker.experimental || dualstack) merged.experimental = true;
  else delete merged.experimental;
  // `docker build` uses BuildKit (buildx) unless the daemon says its builder is the classic one: of `features`, only
  // `buildkit` is the contract's (docker.buildxDefaultBuilder); the image's other features stay.
  const features = isPlainObject(merged.features) ? { ...merged.features } : undefined;
  if (!docker.buildxDefaultBuilder) merged.features = { ...features, buildkit: false };
  else if (features !== undefined && features.buildkit === false) {
    delete features.buildkit;
    if (Object.keys(features).length > 0) merged.features = features;
    else delete merged.features;
  }
  const dataRoot = dockerDataRoot(contract);
  if (dataRoot !== undefined) merged['data-root'] = dataRoot;
  else delete merged['data-root'];
  return merged;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Where Docker keeps images and containers: the contract's, else on the instance store when it is used. */
export function dockerDataRoot(contract: Pick<BootContract, 'docker' | 'storage'>): string | undefined {
  if (contract.docker.dataRoot !== undefined) return contract.docker.dataRoot;
  if (contract.storage.instanceStoreRaid0) return `${contract.storage.instanceStoreMountPath}/docker`;
  return undefined;
}

export class DockerDaemonConfigError extends Error {
  override name = 'DockerDaemonConfigError';
}

/** The image's daemon.json as an object; absent or empty is `{}`, anything else that is not a JSON object fails. */
export function parseDockerDaemonConfig(text: string | undefined): DockerDaemonConfig {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new DockerDaemonConfigError('/etc/docker/daemon.json is not valid JSON: fix or remove it in the image', {
      cause,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DockerDaemonConfigError('/etc/docker/daemon.json is not a JSON object: fix or remove it in the image');
  }
  return value as DockerDaemonConfig;
}
