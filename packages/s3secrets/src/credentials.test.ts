import { type RunningImdsStandIn, startImdsStandIn } from '@elastic-ci/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { credentialProvider, credentialSource } from './credentials';

const CANARY_SECRET = 'canary-instance-secret-4d1f';
const noFiles = () => false;
/** The SDK chain on a machine with no other credentials: what the direct read falls back to. */
const emptySdkChain = () => Promise.reject(new Error('Could not load credentials from any providers'));

describe('Function: credentialSource', () => {
  it('takes environment credentials first, with the session token, unless a profile is named', () => {
    // Act / Assess
    expect(
      credentialSource(
        { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' },
        noFiles,
      ),
    ).toEqual({
      kind: 'environment',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'token' },
    });
    expect(
      credentialSource({ AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret', AWS_PROFILE: 'ci' }, noFiles),
    ).toEqual({ kind: 'sdk-chain', reason: 'AWS_PROFILE is set' });
  });

  it('uses the instance profile only when nothing else in the chain could apply', () => {
    // Act / Assess
    expect(credentialSource({ HOME: '/home/agent' }, noFiles)).toEqual({ kind: 'instance-profile' });
    expect(credentialSource({ AWS_ACCESS_KEY_ID: 'AKID' }, noFiles)).toEqual({ kind: 'instance-profile' });
  });

  it('leaves profiles, web identity, container credentials and disabled metadata to the SDK chain', () => {
    // Act / Assess
    expect(credentialSource({ AWS_WEB_IDENTITY_TOKEN_FILE: '/t' }, noFiles)).toEqual({
      kind: 'sdk-chain',
      reason: 'AWS_WEB_IDENTITY_TOKEN_FILE is set',
    });
    expect(credentialSource({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/x' }, noFiles)).toMatchObject({
      kind: 'sdk-chain',
    });
    expect(credentialSource({ HOME: '/home/agent' }, (file) => file === '/home/agent/.aws/credentials')).toEqual({
      kind: 'sdk-chain',
      reason: '/home/agent/.aws/credentials exists',
    });
    expect(credentialSource({ AWS_CONFIG_FILE: '/etc/aws.conf' }, (file) => file === '/etc/aws.conf')).toEqual({
      kind: 'sdk-chain',
      reason: '/etc/aws.conf exists',
    });
    expect(credentialSource({ AWS_EC2_METADATA_DISABLED: 'TRUE' }, noFiles)).toEqual({
      kind: 'sdk-chain',
      reason: 'AWS_EC2_METADATA_DISABLED is set',
    });
  });
});

describe('Function: credentialProvider (instance profile, IMDSv2 stand-in)', () => {
  let imds: RunningImdsStandIn | undefined;
  afterEach(async () => {
    await imds?.close();
    imds = undefined;
  });

  async function instanceWithRole(document: string | undefined): Promise<NodeJS.ProcessEnv> {
    imds = await startImdsStandIn();
    if (document !== undefined) {
      imds.setMetadata('iam/security-credentials/', 'agent-role\n');
      imds.setMetadata('iam/security-credentials/agent-role', document);
    }
    return { HOME: '/nonexistent-home', AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint };
  }

  it('reads the role, then its temporary credentials, once per run, with a session token', async () => {
    // Prepare
    const environment = await instanceWithRole(
      JSON.stringify({
        Code: 'Success',
        AccessKeyId: 'ASIAEXAMPLE',
        SecretAccessKey: CANARY_SECRET,
        Token: 'session-token',
        Expiration: '2026-12-06T18:00:00Z',
      }),
    );
    const provider = credentialProvider(environment, emptySdkChain);

    // Act
    const [first, second] = await Promise.all([provider(), provider()]);

    // Assess
    expect(first).toEqual({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: CANARY_SECRET,
      sessionToken: 'session-token',
    });
    expect(second).toBe(first);
    const reads = imds?.requests.map((request) => `${request.method} ${request.path} ${request.hadToken}`);
    expect(reads).toEqual([
      'PUT /latest/api/token false',
      'GET /latest/meta-data/iam/security-credentials/ true',
      'GET /latest/meta-data/iam/security-credentials/agent-role true',
    ]);
  });

  it('lets the SDK chain answer when the direct read fails (its provider retries and may fall back to IMDSv1)', async () => {
    // Prepare
    const fromChain = { accessKeyId: 'ASIACHAIN', secretAccessKey: 'chain-secret', sessionToken: 'chain-token' };
    const provider = credentialProvider(await instanceWithRole(undefined), () => Promise.resolve(fromChain));

    // Act / Assess
    expect(await provider()).toBe(fromChain);
  });

  it('says the instance has no role when metadata lists none, after the SDK chain found nothing either', async () => {
    // Prepare
    const provider = credentialProvider(await instanceWithRole(undefined), emptySdkChain);

    // Act / Assess
    await expect(provider()).rejects.toThrow(
      /^no AWS credentials: .*instance profile failed \(instance metadata answered HTTP 404 for \/latest\/meta-data\/iam\/security-credentials\/; the AWS SDK credential chain: Could not load credentials from any providers\)$/,
    );
  });

  it('refuses a document that is not a successful answer, without quoting the secret', async () => {
    // Prepare
    const provider = credentialProvider(
      await instanceWithRole(JSON.stringify({ Code: 'AssumeRoleUnauthorizedAccess', SecretAccessKey: CANARY_SECRET })),
      emptySdkChain,
    );

    // Act
    const failure = await provider().then(
      () => new Error('resolved'),
      (error: unknown) => error as Error,
    );

    // Assess
    expect(failure.message).toMatch(
      /role agent-role without usable credentials \(Code, AccessKeyId, Token, Expiration\)/,
    );
    expect(failure.message).not.toContain(CANARY_SECRET);
  });

  it('reports metadata that answers garbage or not at all', async () => {
    // Prepare
    const garbage = credentialProvider(await instanceWithRole(`not json ${CANARY_SECRET}`), emptySdkChain);
    const garbageFailure = await garbage().then(
      () => new Error('resolved'),
      (error: unknown) => error as Error,
    );
    await imds?.close();
    imds = undefined;
    const unreachable = credentialProvider(
      { HOME: '/nonexistent-home', AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9' },
      emptySdkChain,
    );

    // Act / Assess
    expect(garbageFailure.message).toMatch(/role agent-role with something that is not JSON/);
    expect(garbageFailure.message).not.toContain(CANARY_SECRET);
    await expect(unreachable()).rejects.toThrow(/instance metadata \/latest\/api\/token: connect ECONNREFUSED/);
  });
});
