import { S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { S3SecretStore } from './s3-client';
import { MAX_OBJECT_BYTES } from './secret-store';
import { type S3StandIn, startS3StandIn } from './test-support/s3-stand-in';

const BUCKET = 'sdk-store-bucket';
let standIn: S3StandIn | undefined;

afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

function sdkStore(endpoint: string): S3SecretStore {
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  return new S3SecretStore(BUCKET, 'us-east-1', client, new AbortController().signal);
}

describe('Class: S3SecretStore', () => {
  it('refuses an object over the cap from its Content-Length, and reads one of exactly the cap', async () => {
    // Prepare
    standIn = await startS3StandIn(BUCKET, {
      'GET web/env': { kind: 'object', body: Buffer.alloc(MAX_OBJECT_BYTES + 1, 0x41) },
      'GET env': { kind: 'object', body: Buffer.alloc(MAX_OBJECT_BYTES, 0x41) },
    });
    const store = sdkStore(standIn.endpoint);

    // Act
    const [tooLarge, atTheCap] = [await store.getObject('web/env'), await store.getObject('env')];
    store.close();

    // Assess
    expect(tooLarge).toMatchObject({
      status: 'failed',
      kind: 'too-large',
      reason: expect.stringContaining(`the object is ${MAX_OBJECT_BYTES + 1} bytes`),
    });
    expect(atTheCap.status === 'found' && atTheCap.body.byteLength).toBe(MAX_OBJECT_BYTES);
  });
});
