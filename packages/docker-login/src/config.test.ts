import { describe, expect, it } from 'vitest';
import { parseConfig } from './config';
import { ConfigurationError } from './errors';

const base = { HOME: '/home/agent', PATH: '/usr/bin' };

function problemsOf(action: () => unknown): readonly string[] {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}

describe('Function: parseConfig (ecr)', () => {
  it('uses the defaults the stack gives when only HOME is set', () => {
    // Act
    const config = parseConfig('ecr', base);

    // Assess
    expect(config.dockerConfigDir).toBe('/home/agent/.docker');
    expect(config.ecr).toMatchObject({
      enabled: true,
      accountIds: [],
      regionDefaulted: true,
      retries: 3,
      credentialHelper: false,
      aws: { region: 'us-east-1', endpoints: {} },
    });
    expect(config.ecr?.assumeRole).toBeUndefined();
  });

  it('reads the list form ACCOUNT_IDS_0..N until the first empty item and splits each on commas', () => {
    // Prepare
    const env = {
      ...base,
      BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS_0: '111111111111, 222222222222',
      BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS_1: 'public.ecr.aws',
      BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS_2: '',
      BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS_3: '333333333333',
      BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: '444444444444',
    };

    // Act
    const config = parseConfig('ecr', env);

    // Assess
    expect(config.ecr?.accountIds).toEqual(['111111111111', '222222222222', 'public.ecr.aws']);
  });

  it('falls back from the plugin list to the single variable, then to AWS_ECR_LOGIN_REGISTRY_IDS', () => {
    expect(
      parseConfig('ecr', { ...base, BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: '333333333333,444444444444' }).ecr?.accountIds,
    ).toEqual(['333333333333', '444444444444']);
    expect(parseConfig('ecr', { ...base, AWS_ECR_LOGIN_REGISTRY_IDS: '555555555555' }).ecr?.accountIds).toEqual([
      '555555555555',
    ]);
  });

  it('prefers REGISTRY_REGION over REGION over AWS_DEFAULT_REGION over AWS_REGION', () => {
    const all = {
      ...base,
      BUILDKITE_PLUGIN_ECR_REGISTRY_REGION: 'ap-southeast-2',
      BUILDKITE_PLUGIN_ECR_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'us-west-2',
      AWS_REGION: 'ca-central-1',
    };
    expect(parseConfig('ecr', all).ecr?.aws.region).toBe('ap-southeast-2');
    expect(parseConfig('ecr', { ...all, BUILDKITE_PLUGIN_ECR_REGISTRY_REGION: '' }).ecr?.aws.region).toBe('eu-west-1');
    expect(
      parseConfig('ecr', { ...base, AWS_DEFAULT_REGION: 'us-west-2', AWS_REGION: 'ca-central-1' }).ecr?.aws.region,
    ).toBe('us-west-2');
    expect(parseConfig('ecr', { ...base, AWS_REGION: 'ca-central-1' }).ecr).toMatchObject({
      regionDefaulted: false,
      aws: { region: 'ca-central-1' },
    });
  });

  it('lets the stack-level AWS_ECR_LOGIN switch win over the plugin option', () => {
    expect(parseConfig('ecr', { ...base, AWS_ECR_LOGIN: 'false', BUILDKITE_PLUGIN_ECR_LOGIN: '1' }).ecr?.enabled).toBe(
      false,
    );
    expect(parseConfig('ecr', { ...base, BUILDKITE_PLUGIN_ECR_LOGIN: 'off' }).ecr?.enabled).toBe(false);
  });

  it('reads assume-role settings with the plugin default duration', () => {
    // Act
    const config = parseConfig('ecr', {
      ...base,
      BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_ROLE_ARN: 'arn:aws:iam::123456789012:role/ecr-reader',
      BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_OIDC: 'true',
    });

    // Assess
    expect(config.ecr?.assumeRole).toEqual({
      roleArn: 'arn:aws:iam::123456789012:role/ecr-reader',
      durationSeconds: 3600,
      oidc: true,
    });
  });

  it('resolves per-service endpoints over AWS_ENDPOINT_URL and ignores both when told to', () => {
    const env = {
      ...base,
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:5000',
    };
    expect(parseConfig('ecr', env).ecr?.aws.endpoints).toEqual({
      ecr: 'http://127.0.0.1:4566',
      ecrPublic: 'http://127.0.0.1:4566',
      sts: 'http://127.0.0.1:5000',
    });
    expect(parseConfig('ecr', { ...env, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }).ecr?.aws.endpoints).toEqual({});
  });

  it('keeps environment credentials and the profile apart for the credential chain', () => {
    // Act
    const config = parseConfig('ecr', {
      ...base,
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'session',
      BUILDKITE_PLUGIN_ECR_PROFILE: 'ecr',
      AWS_SHARED_CREDENTIALS_FILE: '/tmp/credentials',
    });

    // Assess
    expect(config.ecr?.aws).toMatchObject({
      profile: 'ecr',
      environmentCredentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session' },
      credentialsFile: '/tmp/credentials',
    });
  });

  it('names every bad variable in one error, with the fix', () => {
    // Act
    const problems = problemsOf(() =>
      parseConfig('ecr', {
        PATH: '/usr/bin',
        BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: '12345,123456789012',
        BUILDKITE_PLUGIN_ECR_RETRIES: 'many',
        BUILDKITE_PLUGIN_ECR_REGION: 'Mars',
        BUILDKITE_PLUGIN_ECR_CREDENTIAL_HELPER: 'perhaps',
        BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_OIDC: 'true',
        BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_DURATION_SECONDS: '60',
        AWS_ENDPOINT_URL: 'ftp://example',
        AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      }),
    );

    // Assess
    const text = problems.join('\n');
    for (const variable of [
      'BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: "12345"',
      'BUILDKITE_PLUGIN_ECR_RETRIES',
      'BUILDKITE_PLUGIN_ECR_REGION',
      'BUILDKITE_PLUGIN_ECR_CREDENTIAL_HELPER',
      'BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_DURATION_SECONDS',
      'BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_ROLE_ARN',
      'AWS_ENDPOINT_URL',
      'AWS_ACCESS_KEY_ID',
      'DOCKER_CONFIG',
    ]) {
      expect(text).toContain(variable);
    }
  });
});

describe('Function: parseConfig (registry)', () => {
  it('reads the stack-level DOCKER_LOGIN_* variables', () => {
    // Act
    const config = parseConfig('registry', {
      ...base,
      DOCKER_LOGIN_USER: 'builder',
      DOCKER_LOGIN_PASSWORD: 'llamas',
      DOCKER_LOGIN_SERVER: 'registry.example.com:5000',
    });

    // Assess
    expect(config.registry).toEqual({
      username: 'builder',
      password: 'llamas',
      passwordVariable: 'DOCKER_LOGIN_PASSWORD',
      server: 'registry.example.com:5000',
      retries: 3,
      verify: true,
    });
  });

  it('reads the password from the variable PASSWORD_ENV names, and plugin options over stack ones', () => {
    // Act
    const config = parseConfig(
      'registry',
      {
        ...base,
        DOCKER_LOGIN_USER: 'stack-user',
        BUILDKITE_PLUGIN_DOCKER_LOGIN_USERNAME: 'plugin-user',
        BUILDKITE_PLUGIN_DOCKER_LOGIN_PASSWORD_ENV: 'CUSTOM_DOCKER_LOGIN_PASSWORD',
        CUSTOM_DOCKER_LOGIN_PASSWORD: 'llamas2',
        BUILDKITE_PLUGIN_DOCKER_LOGIN_RETRIES: '5',
      },
      { verify: false },
    );

    // Assess
    expect(config.registry).toMatchObject({
      username: 'plugin-user',
      password: 'llamas2',
      passwordVariable: 'CUSTOM_DOCKER_LOGIN_PASSWORD',
      server: '',
      retries: 5,
      verify: false,
    });
  });

  it('names the missing username and password variables without echoing any secret', () => {
    // Act
    const problems = problemsOf(() =>
      parseConfig('registry', {
        ...base,
        BUILDKITE_PLUGIN_DOCKER_LOGIN_PASSWORD_ENV: 'MY_PASSWORD',
        DOCKER_LOGIN_PASSWORD: 'canary-unused-password',
        BUILDKITE_PLUGIN_DOCKER_LOGIN_RETRIES: '-1',
      }),
    );

    // Assess
    const text = problems.join('\n');
    expect(text).toContain('DOCKER_LOGIN_USER: is required');
    expect(text).toContain('MY_PASSWORD: no docker-login password found');
    expect(text).toContain('BUILDKITE_PLUGIN_DOCKER_LOGIN_RETRIES');
    expect(text).not.toContain('canary-unused-password');
  });

  it('rejects a server that is not a registry host', () => {
    const problems = problemsOf(() =>
      parseConfig('registry', {
        ...base,
        DOCKER_LOGIN_USER: 'u',
        DOCKER_LOGIN_PASSWORD: 'p',
        DOCKER_LOGIN_SERVER: 'two words',
      }),
    );
    expect(problems.join('\n')).toContain('DOCKER_LOGIN_SERVER: must be a registry host');
  });
});

describe('Function: parseConfig (logout and env)', () => {
  it('reads the plugin cleanup options with their defaults', () => {
    expect(parseConfig('logout', { ...base, DOCKER_CONFIG: '/tmp/job' })).toMatchObject({
      dockerConfigDir: '/tmp/job',
      logout: { server: '', disableLogout: false, isolateConfig: true },
    });
    expect(
      parseConfig('logout', {
        ...base,
        BUILDKITE_PLUGIN_DOCKER_LOGIN_DISABLE_LOGOUT: 'true',
        BUILDKITE_PLUGIN_DOCKER_LOGIN_ISOLATE_CONFIG: 'false',
        BUILDKITE_DOCKER_LOGIN_TEMP_CONFIG: '/tmp/x',
      }).logout,
    ).toEqual({ server: '', disableLogout: true, isolateConfig: false, temporaryConfigDir: '/tmp/x' });
  });

  it('creates per-job directories under TMPDIR', () => {
    expect(parseConfig('env', { ...base, TMPDIR: '/var/tmp' }).env).toEqual({
      isolateConfig: true,
      temporaryDirectoryRoot: '/var/tmp',
    });
  });
});
