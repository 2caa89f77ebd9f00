import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { awsClientConfig } from '@elastic-ci/testing';

/** Creates a bucket and a KMS key in moto and uploads every object with SSE-KMS under that key. */
export async function seedBucket(
  bucket: string,
  objects: Record<string, string | Uint8Array>,
): Promise<{ kmsKeyId: string }> {
  const s3 = new S3Client(awsClientConfig());
  const kms = new KMSClient(awsClientConfig());
  try {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 's3secrets test key' }));
    const kmsKeyId = KeyMetadata?.KeyId;
    if (!kmsKeyId) throw new Error('moto returned no KMS key id');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await Promise.all(
      Object.entries(objects).map(([key, body]) =>
        s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ServerSideEncryption: 'aws:kms',
            SSEKMSKeyId: kmsKeyId,
          }),
        ),
      ),
    );
    return { kmsKeyId };
  } finally {
    s3.destroy();
    kms.destroy();
  }
}
