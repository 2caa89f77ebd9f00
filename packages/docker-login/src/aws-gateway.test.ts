import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import {
  ECRPUBLICClient,
  GetAuthorizationTokenCommand as GetPublicAuthorizationTokenCommand,
} from '@aws-sdk/client-ecr-public';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { awsCallError, createAwsGateway } from './aws-gateway';
import { LoginFailedError } from './errors';

const connection = {
  region: 'us-east-1',
  endpoints: {},
  environmentCredentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'canary-unit-secret' },
};

const sdkError = (name: string, status?: number, message = 'details') =>
  Object.assign(new Error(message), {
    name,
    ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
  });

describe('Function: awsCallError', () => {
  it('marks throttling, 5xx and network failures retryable, and access denied final', () => {
    const cases: [Error, boolean][] = [
      [sdkError('ThrottlingException', 400), true],
      [sdkError('InternalFailure', 500), true],
      [sdkError('TooManyRequestsException', 429), true],
      [sdkError('AccessDeniedException', 403), false],
      [sdkError('ExpiredTokenException', 400), false],
      [sdkError('TimeoutError', undefined, 'socket hang up'), true],
      [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), true],
      [sdkError('CredentialsProviderError', undefined, 'Could not load credentials from any providers'), false],
    ];
    for (const [error, retryable] of cases) {
      const translated = awsCallError('ecr:GetAuthorizationToken', error);
      expect(translated).toBeInstanceOf(LoginFailedError);
      expect([error.name, translated.retryable]).toEqual([error.name, retryable]);
    }
    expect(awsCallError('sts:AssumeRole', sdkError('AccessDenied', 403, 'not authorized')).message).toBe(
      'sts:AssumeRole failed: AccessDenied (HTTP 403): not authorized',
    );
  });
});

// moto always answers well-formed responses, so malformed ones are simulated with aws-sdk-client-mock.
describe('Function: createAwsGateway with malformed responses', () => {
  const ecr = mockClient(ECRClient);
  const ecrPublic = mockClient(ECRPUBLICClient);
  const sts = mockClient(STSClient);
  afterEach(() => {
    ecr.reset();
    ecrPublic.reset();
    sts.reset();
  });

  it('turns missing tokens, accounts and credentials into clear retryable errors', async () => {
    // Prepare
    ecr.on(GetAuthorizationTokenCommand).resolves({ authorizationData: [] });
    ecrPublic.on(GetPublicAuthorizationTokenCommand).resolves({ authorizationData: { authorizationToken: '' } });
    sts.on(GetCallerIdentityCommand).resolves({ Account: 'not-an-account' });
    sts.on(AssumeRoleCommand).resolves({});
    const gateway = createAwsGateway(connection);

    // Act
    const failures = await Promise.all(
      [
        gateway.ecrAuthorizationToken(),
        gateway.ecrPublicAuthorizationToken(),
        gateway.callerAccountId(),
        gateway.assumeRole({ roleArn: 'arn:aws:iam::123456789012:role/x', sessionName: 's', durationSeconds: 900 }),
      ].map((promise) =>
        promise.then(
          () => undefined,
          (error: unknown) => error as LoginFailedError,
        ),
      ),
    );

    // Assess
    expect(failures.map((failure) => failure?.message)).toEqual([
      'ecr:GetAuthorizationToken returned no token',
      'ecr-public:GetAuthorizationToken returned no token',
      'sts:GetCallerIdentity returned no account id',
      'sts:AssumeRole returned no credentials',
    ]);
    expect(failures.every((failure) => failure?.retryable === true)).toBe(true);
  });

  it('translates SDK errors naming the operation', async () => {
    // Prepare
    ecr
      .on(GetAuthorizationTokenCommand)
      .rejects(sdkError('AccessDeniedException', 403, 'no ecr:GetAuthorizationToken'));
    const gateway = createAwsGateway(connection);

    // Act
    const failure = await gateway.ecrAuthorizationToken().then(
      () => undefined,
      (error: unknown) => error as LoginFailedError,
    );

    // Assess
    expect(failure).toBeInstanceOf(LoginFailedError);
    expect(failure?.message).toContain('ecr:GetAuthorizationToken failed: AccessDeniedException (HTTP 403)');
    expect(failure?.retryable).toBe(false);
  });
});
