import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { type S3StandIn, startS3StandIn } from './s3-stand-in';

// The benchmark trusts this stand-in to answer as S3 does; the real SDK must read it without complaint.
const BUCKET = 'stand-in-bucket';
const KMS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
let standIn: S3StandIn | undefined;

function clientFor(endpoint: string) {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
}

afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

describe('Function: startS3StandIn', () => {
  it('serves object bytes with the SSE-KMS headers S3 sends', async () => {
    // Prepare
    const bytes = new Uint8Array([0, 1, 2, 255, 10]);
    standIn = await startS3StandIn(BUCKET, { 'GET web/key': { kind: 'object', body: bytes, kmsKeyId: KMS_KEY } });
    const s3 = clientFor(standIn.endpoint);

    // Act
    const output = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'web/key' }));
    const body = await output.Body?.transformToByteArray();
    s3.destroy();

    // Assess
    expect(body).toEqual(bytes);
    expect(output.ServerSideEncryption).toBe('aws:kms');
    expect(output.SSEKMSKeyId).toBe(KMS_KEY);
    expect(output.ETag).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it('lists the objects under a prefix and answers NoSuchKey for any other key', async () => {
    // Prepare
    standIn = await startS3StandIn(BUCKET, {
      'GET web/secret-files/B': { kind: 'object', body: 'b' },
      'GET web/secret-files/A & <A>': { kind: 'object', body: 'aa' },
      'GET web/env': { kind: 'object', body: 'X=1\n' },
    });
    const s3 = clientFor(standIn.endpoint);

    // Act
    const listing = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'web/secret-files/' }));
    const empty = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'secret-files/' }));
    const absent = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'web/missing' })).catch((error) => error);
    s3.destroy();

    // Assess
    expect(listing.Contents?.map(({ Key, Size }) => ({ Key, Size }))).toEqual([
      { Key: 'web/secret-files/A & <A>', Size: 2 },
      { Key: 'web/secret-files/B', Size: 1 },
    ]);
    expect(listing.IsTruncated).toBe(false);
    expect(empty.Contents ?? []).toEqual([]);
    expect(absent).toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    expect(standIn.requests.get('LIST web/secret-files/')).toBe(1);
  });
});
