import { inject } from 'vitest';
import type { MotoEndpoint } from './moto-server';
import './provided-context';

/** The subset of AWS SDK v3 client configuration that points a client at moto. */
export interface MotoClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  forcePathStyle: true;
  maxAttempts: number;
}

/**
 * Configuration for any AWS SDK v3 client so it talks to the test run's moto server:
 * `new S3Client(awsClientConfig())`. Call inside a test file of the `integration` project.
 */
export function awsClientConfig(moto: MotoEndpoint = inject('moto')): MotoClientConfig {
  return {
    endpoint: moto.endpoint,
    region: moto.region,
    credentials: { ...moto.credentials },
    // Buckets as paths: moto on loopback has no DNS for virtual-hosted bucket names.
    forcePathStyle: true,
    maxAttempts: 2,
  };
}

/** Environment variables that make SDK clients and CLIs created by code under test use moto. */
export function awsEnvironment(moto: MotoEndpoint = inject('moto')): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: moto.region,
    AWS_DEFAULT_REGION: moto.region,
    AWS_ACCESS_KEY_ID: moto.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: moto.credentials.secretAccessKey,
  };
}
