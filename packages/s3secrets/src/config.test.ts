import { describe, expect, it } from 'vitest';
import { readConnectionConfig, readEnvCommandConfig } from './config';
import { ConfigurationError } from './errors';

describe('Function: readEnvCommandConfig', () => {
  it('is a no-op configuration when no bucket is set, even without a pipeline', () => {
    // Act
    const config = readEnvCommandConfig({ BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: '' });

    // Assess
    expect(config.bucket).toBeUndefined();
  });

  it('defaults the prefix to the pipeline slug and reads every setting', () => {
    // Act
    const config = readEnvCommandConfig({
      BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: 'my-secrets',
      BUILDKITE_PIPELINE_SLUG: 'web',
      BUILDKITE_PLUGIN_S3_SECRETS_SKIP_SSH_KEY_NOT_FOUND_WARNING: 'TRUE',
      BUILDKITE_PLUGIN_S3_SECRETS_MAX_ATTEMPTS: '6',
      BUILDKITE_PLUGIN_S3_SECRETS_DEADLINE_SECONDS: '10',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9000',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9001',
      AWS_DEFAULT_REGION: 'eu-west-1',
    });

    // Assess
    expect(config).toEqual({
      bucket: 'my-secrets',
      prefix: 'web',
      repository: undefined,
      skipSshKeyWarning: true,
      endpoint: 'http://127.0.0.1:9001',
      regionHint: undefined,
      currentRegion: 'eu-west-1',
      maxAttempts: 6,
      deadlineMs: 10_000,
    });
  });

  it('prefers an explicit prefix and honours AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', () => {
    // Act
    const config = readEnvCommandConfig({
      BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: 'b12',
      BUILDKITE_PLUGIN_S3_SECRETS_BUCKET_PREFIX: 'custom',
      BUILDKITE_PIPELINE_SLUG: 'web',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9000',
      AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true',
    });

    // Assess
    expect(config.prefix).toBe('custom');
    expect(config.endpoint).toBeUndefined();
  });

  it('names every bad variable in one error', () => {
    // Act
    const attempt = () =>
      readEnvCommandConfig({
        BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: 'bad bucket',
        BUILDKITE_PLUGIN_S3_SECRETS_REGION: 'Mars',
        BUILDKITE_PLUGIN_S3_SECRETS_MAX_ATTEMPTS: '0',
        BUILDKITE_PLUGIN_S3_SECRETS_SKIP_SSH_KEY_NOT_FOUND_WARNING: 'maybe',
        AWS_ENDPOINT_URL: 'ftp://x',
      });

    // Assess
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(
      /BUILDKITE_PLUGIN_S3_SECRETS_BUCKET .*BUILDKITE_PLUGIN_S3_SECRETS_REGION .*BUILDKITE_PLUGIN_S3_SECRETS_SKIP_SSH_KEY_NOT_FOUND_WARNING .*BUILDKITE_PLUGIN_S3_SECRETS_MAX_ATTEMPTS .*AWS_ENDPOINT_URL /,
    );
  });

  it('requires a prefix when a bucket is set, naming both variables', () => {
    // Act / Assess
    expect(() => readEnvCommandConfig({ BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: 'b12' })).toThrow(
      /BUILDKITE_PLUGIN_S3_SECRETS_BUCKET_PREFIX or BUILDKITE_PIPELINE_SLUG/,
    );
  });
});

describe('Function: readConnectionConfig', () => {
  it('reads the region hint and the endpoint without needing a bucket', () => {
    // Act
    const config = readConnectionConfig({
      BUILDKITE_PLUGIN_S3_SECRETS_REGION: 'ap-southeast-2',
      AWS_REGION: 'us-west-2',
    });

    // Assess
    expect(config).toMatchObject({ regionHint: 'ap-southeast-2', currentRegion: 'us-west-2', endpoint: undefined });
  });

  it('rejects bad values with exit code 2', () => {
    // Act
    let error: unknown;
    try {
      readConnectionConfig({ BUILDKITE_PLUGIN_S3_SECRETS_DEADLINE_SECONDS: 'soon' });
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).exitCode).toBe(2);
  });
});
