import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBootContract } from '../boot-contract.js';
import { DockerDaemonConfigError, mergeDockerDaemonConfig, parseDockerDaemonConfig } from './docker-daemon.js';

const contract = (extra: object = {}) =>
  parseBootContract(
    JSON.stringify({
      version: 1,
      stack: { name: 's', region: 'eu-west-1', version: '1' },
      agent: { token: { kind: 'ssm-parameter', name: '/t' } },
      ...extra,
    }),
  );

describe('mergeDockerDaemonConfig', () => {
  it('sets the contract keys and keeps the image keys', () => {
    expect(mergeDockerDaemonConfig({ 'storage-driver': 'overlay2', 'log-driver': 'journald' }, contract())).toEqual({
      'storage-driver': 'overlay2',
      'log-driver': 'journald',
      'userns-remap': 'buildkite-agent',
      'default-address-pools': [
        { base: '172.17.0.0/12', size: 20 },
        { base: '192.168.0.0/16', size: 24 },
      ],
    });
  });

  it('dualstack adds IPv6, its pool and experimental; instance store moves the data root', () => {
    const merged = mergeDockerDaemonConfig(
      {},
      contract({
        docker: { networkingProtocol: 'dualstack', userNamespaceRemap: false, fixedCidrV4: '172.17.0.0/16' },
        storage: { instanceStoreRaid0: true },
      }),
    );
    expect(merged).toEqual({
      ipv6: true,
      ip6tables: true,
      'fixed-cidr-v6': '2001:db8:1::/64',
      'fixed-cidr': '172.17.0.0/16',
      experimental: true,
      'data-root': '/mnt/ephemeral/docker',
      'default-address-pools': [
        { base: '172.17.0.0/12', size: 20 },
        { base: '192.168.0.0/16', size: 24 },
        { base: '2001:db8:2::/104', size: 112 },
      ],
    });
  });

  it('an explicit data root wins over the instance store', () => {
    const merged = mergeDockerDaemonConfig(
      {},
      contract({ docker: { dataRoot: '/data/docker', experimental: true }, storage: { instanceStoreRaid0: true } }),
    );
    expect(merged['data-root']).toBe('/data/docker');
    expect(merged.experimental).toBe(true);
  });

  it('docker.buildxDefaultBuilder false puts the classic builder behind `docker build`, keeping other features', () => {
    // The setting was read and then ignored: `docker build` used BuildKit whatever it said.
    const classic = contract({ docker: { buildxDefaultBuilder: false } });
    expect(mergeDockerDaemonConfig({ features: { 'containerd-snapshotter': true } }, classic).features).toEqual({
      'containerd-snapshotter': true,
      buildkit: false,
    });
    expect(mergeDockerDaemonConfig({}, classic).features).toEqual({ buildkit: false });
    // Back to the default: BuildKit again, the image's other features untouched.
    const back = mergeDockerDaemonConfig({ features: { buildkit: false, cdi: true } }, contract());
    expect(back.features).toEqual({ cdi: true });
    expect(mergeDockerDaemonConfig({ features: { buildkit: false } }, contract())).not.toHaveProperty('features');
    expect(mergeDockerDaemonConfig({}, contract())).not.toHaveProperty('features');
  });

  it('is idempotent and never drops a key it does not own (property)', () => {
    const owned = new Set([
      'userns-remap',
      'default-address-pools',
      'ipv6',
      'ip6tables',
      'fixed-cidr-v6',
      'fixed-cidr',
      'experimental',
      'data-root',
    ]);
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1 }), fc.jsonValue()),
        fc.option(fc.dictionary(fc.string({ minLength: 1 }), fc.jsonValue())),
        fc.boolean(),
        fc.boolean(),
        (image, features, dual, buildx) => {
          const existing = features === null ? image : { ...image, features };
          const c = contract({
            docker: { networkingProtocol: dual ? 'dualstack' : 'ipv4', buildxDefaultBuilder: buildx },
          });
          const once = mergeDockerDaemonConfig(existing, c);
          expect(mergeDockerDaemonConfig(once, c)).toEqual(once);
          for (const [key, value] of Object.entries(existing)) {
            if (!owned.has(key) && key !== 'features') expect(once[key]).toEqual(value);
          }
          // Of `features`, only `buildkit` is the contract's.
          for (const [key, value] of Object.entries(features ?? {})) {
            if (key !== 'buildkit') expect((once.features as Record<string, unknown>)[key]).toEqual(value);
          }
        },
      ),
    );
  });
});

describe('parseDockerDaemonConfig', () => {
  it('reads absent or empty as {} and refuses what is not a JSON object', () => {
    expect(parseDockerDaemonConfig(undefined)).toEqual({});
    expect(parseDockerDaemonConfig(' \n')).toEqual({});
    expect(parseDockerDaemonConfig('{"a":1}')).toEqual({ a: 1 });
    expect(() => parseDockerDaemonConfig('{')).toThrow(DockerDaemonConfigError);
    expect(() => parseDockerDaemonConfig('[1]')).toThrow(/not a JSON object/);
  });
});
