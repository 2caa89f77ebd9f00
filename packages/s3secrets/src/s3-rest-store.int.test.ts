// The direct S3 requests against moto with authentication switched on: moto then checks every request's SigV4
// signature with botocore's S3 signer (the reference implementation), so these tests prove the requests are signed
// the way S3 verifies them — keys and prefixes with characters that need encoding included.
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { awsClientConfig } from '@elastic-ci/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeConnections } from './http-agents';
import { S3RestSecretStore } from './s3-rest-store';
import { seedBucket } from './test-support/seed';

const BUCKET = 'signed-secrets';
const OBJECTS: Record<string, string> = {
  env: 'PLAIN=1\n',
  'web app/secret-files/SPACE_TOKEN': 'space',
  'web app/secret-files/plus+equals=amp&_SECRET': 'reserved characters',
  "web app/secret-files/sub.dir/(paren)*star!'quote~_PASSWORD": 'sub-delims',
  'web app/secret-files/ünïcødé_ключ_TOKEN': 'unicode',
  'web app/secret-files/percent%20not-a-space_SECRET': 'literal percent',
};

const moto = awsClientConfig();
let reader: { accessKeyId: string; secretAccessKey: string };

async function setAuthentication(unauthenticatedActions: string): Promise<void> {
  const response = await fetch(`${moto.endpoint}/moto-api/reset-auth`, {
    method: 'POST',
    body: unauthenticatedActions,
  });
  if (!response.ok) throw new Error(`moto reset-auth answered HTTP ${response.status}`);
}

function storeFor(credentials: { accessKeyId: string; secretAccessKey: string }): S3RestSecretStore {
  return new S3RestSecretStore({
    bucket: BUCKET,
    region: moto.region,
    endpoint: moto.endpoint,
    credentials: async () => credentials,
    maxAttempts: 1,
    signal: AbortSignal.timeout(20_000),
  });
}

beforeAll(async () => {
  await seedBucket(BUCKET, OBJECTS);
  const iam = new IAMClient(moto);
  try {
    await iam.send(new CreateUserCommand({ UserName: 'agent' }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'agent',
        PolicyName: 'read-secrets',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          // AWS authorises HeadBucket with s3:ListBucket; moto checks a pseudo-action named after the operation.
          Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket', 's3:HeadBucket'], Resource: '*' }],
        }),
      }),
    );
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 'agent' }));
    reader = { accessKeyId: AccessKey?.AccessKeyId ?? '', secretAccessKey: AccessKey?.SecretAccessKey ?? '' };
  } finally {
    iam.destroy();
  }
  // From here on moto authenticates and verifies every request.
  await setAuthentication('0');
});

afterAll(async () => {
  closeConnections();
  await setAuthentication('inf');
});

describe('Class: S3RestSecretStore (moto verifying signatures)', () => {
  it('reads every object, whatever characters its key holds', async () => {
    // Prepare
    const store = storeFor(reader);

    // Act
    const results = await Promise.all(Object.keys(OBJECTS).map((key) => store.getObject(key)));

    // Assess
    expect(results).toEqual(
      Object.values(OBJECTS).map((body) => ({ status: 'found', body: new Uint8Array(Buffer.from(body)) })),
    );
  });

  it('lists a prefix that needs encoding, and checks the bucket', async () => {
    // Prepare
    const store = storeFor(reader);

    // Act
    const [listing, check] = await Promise.all([store.listKeys('web app/secret-files/'), store.checkBucket()]);

    // Assess
    expect(listing).toEqual({
      status: 'listed',
      keys: Object.keys(OBJECTS)
        .filter((key) => key.startsWith('web app/'))
        .sort(),
    });
    expect(check).toEqual({ status: 'available' });
  });

  it('is refused with a wrong secret key, so the checks above were real', async () => {
    // Prepare
    const store = storeFor({ ...reader, secretAccessKey: `${reader.secretAccessKey.slice(0, -1)}X` });

    // Act
    const result = await store.getObject('env');

    // Assess
    expect(result).toEqual({ status: 'access-denied' });
  });
});
