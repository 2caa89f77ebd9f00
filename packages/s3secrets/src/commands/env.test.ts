import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger';
import { bucketCheckFromListings, runEnvCommand } from './env';

const listed = (prefix: string) => ({ prefix, result: { status: 'listed' as const, keys: [] } });
const denied = (prefix: string) => ({ prefix, result: { status: 'access-denied' as const } });
const missing = (prefix: string) => ({ prefix, result: { status: 'not-found' as const } });

describe('Function: bucketCheckFromListings', () => {
  it('counts the bucket as available when any listing worked', () => {
    // Act / Assess
    expect(bucketCheckFromListings([denied('secret-files/'), listed('web/secret-files/')])).toEqual({
      status: 'available',
    });
  });

  it('reports a missing bucket before a denied one', () => {
    // Act / Assess
    expect(bucketCheckFromListings([denied('secret-files/'), missing('web/secret-files/')])).toEqual({
      status: 'not-found',
    });
  });

  it('reports access denied when no listing was allowed', () => {
    // Act / Assess
    expect(bucketCheckFromListings([denied('secret-files/'), denied('web/secret-files/')])).toEqual({
      status: 'access-denied',
    });
  });
});

describe('Function: runEnvCommand', () => {
  it('is a silent no-op without a bucket, whatever the other variables hold', async () => {
    // Prepare: settings that only matter once there is a bucket to read (a LocalStack-style region, a bad endpoint).
    const output: string[] = [];
    const context = {
      environment: { AWS_REGION: 'local', AWS_ENDPOINT_URL: 'localstack:4566', BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: '' },
      writeStdout: (text: string) => output.push(text),
      readStdin: async () => '',
      readStdinBytes: async () => new Uint8Array(),
      stdinIsTerminal: false,
      logger: createLogger((text) => output.push(text)),
      selfCommand: ['node', 's3secrets'],
    };

    // Act
    const code = await runEnvCommand(context);

    // Assess
    expect(code).toBe(0);
    expect(output).toEqual([]);
  });
});
