import type { LambdaFunctionURLEvent } from 'aws-lambda';

export const ACCOUNT_ID = '123456789012';
export const INSTANCE_ROLE_NAME = 'elastic-ci-agents-InstanceRole';
export const FLEET_ID = 'elastic-ci-test-fleet';
export const INSTANCE_ID = 'i-0123456789abcdef0';

export function instanceUserArn(instanceId = INSTANCE_ID, roleName = INSTANCE_ROLE_NAME): string {
  return `arn:aws:sts::${ACCOUNT_ID}:assumed-role/${roleName}/${instanceId}`;
}

/** A function URL event as Lambda delivers it for `AuthType: AWS_IAM` (iam: undefined = `AuthType: NONE`). */
export function functionUrlEvent(
  options: {
    body?: string;
    isBase64Encoded?: boolean;
    method?: string;
    userArn?: string | null;
    headers?: Record<string, string>;
  } = {},
): LambdaFunctionURLEvent {
  const userArn = options.userArn === undefined ? instanceUserArn() : options.userArn;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...options.headers },
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: 'abcdefghij',
      ...(userArn === null
        ? {}
        : {
            authorizer: {
              iam: {
                accessKey: 'ASIATESTACCESSKEY',
                accountId: ACCOUNT_ID,
                callerId: 'AROATEST:i-0123456789abcdef0',
                cognitoIdentity: null,
                principalOrgId: null,
                userArn,
                userId: 'AROATEST:i-0123456789abcdef0',
              },
            },
          }),
      domainName: 'abcdefghij.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abcdefghij',
      http: {
        method: options.method ?? 'POST',
        path: '/',
        protocol: 'HTTP/1.1',
        sourceIp: '10.0.0.1',
        userAgent: 'test',
      },
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      routeKey: '$default',
      stage: '$default',
      time: '08/Dec/2026:02:00:00 +0000',
      timeEpoch: 1_796_695_200_000,
    },
    ...(options.body === undefined ? {} : { body: options.body }),
    isBase64Encoded: options.isBase64Encoded ?? false,
  } as LambdaFunctionURLEvent;
}
