import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DockerConfig,
  parseDockerConfig,
  rememberedRegistries,
  serializeDockerConfig,
  updateDockerConfigFile,
  withCredentialHelpers,
  withoutRegistries,
  withRegistryAuths,
} from './docker-config';
import { DockerConfigFileError } from './errors';

const temporaryDirectory = () => mkdtemp(join(tmpdir(), 'docker-config-test-'));

const existingConfig: DockerConfig = {
  auths: { 'ghcr.io': { auth: 'b3RoZXI6c2VjcmV0', email: 'kept@example.com' } },
  credHelpers: { 'gcr.io': 'gcloud' },
  experimental: 'enabled',
  proxies: { default: { httpProxy: 'http://proxy:3128' } },
  psFormat: 'table {{.ID}}',
};

const registryKey = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}(:[0-9]{2,5})?$/);

describe('Function: withRegistryAuths', () => {
  it('adds auths entries and keeps every other key and registry', () => {
    // Act
    const next = withRegistryAuths(existingConfig, [
      { key: '123456789012.dkr.ecr.us-east-1.amazonaws.com', auth: 'QVdTOng=' },
    ]);

    // Assess
    expect(next).toEqual({
      ...existingConfig,
      auths: { ...existingConfig.auths, '123456789012.dkr.ecr.us-east-1.amazonaws.com': { auth: 'QVdTOng=' } },
    });
  });

  it('drops a credHelpers entry for the same registry, which Docker would otherwise use instead', () => {
    // Act
    const next = withRegistryAuths(existingConfig, [{ key: 'gcr.io', auth: 'dTpw' }]);

    // Assess
    expect(next.credHelpers).toEqual({});
    expect(next.auths?.['gcr.io']).toEqual({ auth: 'dTpw' });
  });

  it('preserves unrelated keys and is idempotent for any input (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string().filter((key) => !['auths', 'credHelpers', 'credsStore', '__proto__'].includes(key)),
          fc.jsonValue(),
        ),
        fc.array(fc.record({ key: registryKey, auth: fc.base64String({ minLength: 4 }) }), { maxLength: 5 }),
        (others, entries) => {
          const once = withRegistryAuths(others, entries);
          expect(withRegistryAuths(once, entries)).toEqual(once);
          for (const [key, value] of Object.entries(others)) expect(once[key]).toEqual(value);
          for (const entry of entries) expect(once.auths?.[entry.key]).toBeDefined();
        },
      ),
    );
  });
});

describe('Function: withCredentialHelpers / withoutRegistries', () => {
  it('points registries at a helper and removes them again, leaving the rest', () => {
    // Act
    const withHelper = withCredentialHelpers(existingConfig, ['public.ecr.aws'], 'ecr-login');
    const removed = withoutRegistries(withHelper, ['public.ecr.aws', 'ghcr.io']);

    // Assess
    expect(withHelper.credHelpers).toEqual({ 'gcr.io': 'gcloud', 'public.ecr.aws': 'ecr-login' });
    expect(removed).toEqual({ ...existingConfig, auths: {}, credHelpers: { 'gcr.io': 'gcloud' } });
  });

  it('undoes withRegistryAuths for registries that were not there before (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(registryKey, { maxLength: 5 }), (keys) => {
        const added = withRegistryAuths(
          existingConfig,
          keys.map((key) => ({ key, auth: 'dTpw' })),
        );
        const fresh = keys.filter((key) => !['ghcr.io', 'gcr.io'].includes(key));
        const removed = withoutRegistries(added, fresh);
        for (const key of fresh) expect(removed.auths?.[key]).toBeUndefined();
        expect(removed.experimental).toBe('enabled');
      }),
    );
  });
});

describe('Function: parseDockerConfig', () => {
  it('treats an empty file as an empty config', () => {
    expect(parseDockerConfig('  \n', '/x/config.json')).toEqual({});
  });

  it('rejects invalid JSON without echoing the content', () => {
    // Act
    const parse = () => parseDockerConfig('{"auths": {"x": {"auth": "c2VjcmV0LWNhbmFyeQ=="}', '/x/config.json');

    // Assess
    expect(parse).toThrow(DockerConfigFileError);
    expect(parse).toThrow(/invalid JSON in Docker config file \/x\/config.json/);
    expect(parse).not.toThrow(/c2VjcmV0/);
  });

  it('rejects JSON of the wrong shape, naming the field', () => {
    expect(() => parseDockerConfig('{"credHelpers": {"gcr.io": 7}}', '/x/config.json')).toThrow(/credHelpers.gcr.io/);
    expect(() => parseDockerConfig('[]', '/x/config.json')).toThrow(DockerConfigFileError);
  });
});

describe('Function: updateDockerConfigFile', () => {
  it('creates the directory and writes config.json with mode 0600, leaving no temporary files', async () => {
    // Prepare
    const directory = join(await temporaryDirectory(), 'nested', 'docker');

    // Act
    await updateDockerConfigFile(directory, {
      change: (config) => withRegistryAuths(config, [{ key: 'registry.example.com', auth: 'dTpw' }]),
      remember: ['registry.example.com'],
    });

    // Assess
    const file = join(directory, 'config.json');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ auths: { 'registry.example.com': { auth: 'dTpw' } } });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(directory)).mode & 0o777).toBe(0o700);
    expect((await readdir(directory)).sort()).toEqual(['config.json', 'elastic-ci-docker-login.json']);
    expect(await rememberedRegistries(directory)).toEqual(['registry.example.com']);
  });

  it('preserves every existing key and registry of a file written by someone else', async () => {
    // Prepare
    const directory = await temporaryDirectory();
    await writeFile(join(directory, 'config.json'), serializeDockerConfig(existingConfig), { mode: 0o644 });

    // Act
    await updateDockerConfigFile(directory, {
      change: (config) => withRegistryAuths(config, [{ key: 'public.ecr.aws', auth: 'QVdTOnB1Yg==' }]),
    });

    // Assess
    const written = JSON.parse(await readFile(join(directory, 'config.json'), 'utf8'));
    expect(written).toEqual({
      ...existingConfig,
      auths: { ...existingConfig.auths, 'public.ecr.aws': { auth: 'QVdTOnB1Yg==' } },
    });
    expect((await stat(join(directory, 'config.json'))).mode & 0o777).toBe(0o600);
  });

  it('fails on an invalid existing file and leaves it untouched', async () => {
    // Prepare
    const directory = await temporaryDirectory();
    await writeFile(join(directory, 'config.json'), 'invalid json');

    // Act
    const update = updateDockerConfigFile(directory, { change: (config) => config });

    // Assess
    await expect(update).rejects.toThrow(/invalid JSON in Docker config file/);
    expect(await readFile(join(directory, 'config.json'), 'utf8')).toBe('invalid json');
    expect(await readdir(directory)).toEqual(['config.json']);
  });

  it('loses no update when many writers share one directory', async () => {
    // Prepare
    const directory = await temporaryDirectory();
    const keys = Array.from({ length: 20 }, (_, index) => `registry-${index}.example.com`);

    // Act
    await Promise.all(
      keys.map((key) =>
        updateDockerConfigFile(directory, {
          change: (config) => withRegistryAuths(config, [{ key, auth: 'dTpw' }]),
          remember: [key],
        }),
      ),
    );

    // Assess
    const written = JSON.parse(await readFile(join(directory, 'config.json'), 'utf8'));
    expect(Object.keys(written.auths).sort()).toEqual([...keys].sort());
    expect((await rememberedRegistries(directory)).sort()).toEqual([...keys].sort());
  });

  it('breaks a stale lock left by a crashed helper', async () => {
    // Prepare
    const directory = await temporaryDirectory();
    await writeFile(join(directory, 'config.json.lock'), '99999');

    // Act
    await updateDockerConfigFile(
      directory,
      { change: (config) => ({ ...config, experimental: 'enabled' }) },
      { staleMs: -1 },
    );

    // Assess
    expect(JSON.parse(await readFile(join(directory, 'config.json'), 'utf8'))).toEqual({ experimental: 'enabled' });
  });
});
