import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from './config';
import { loginToEcr } from './ecr-login';
import { MissingProgramError } from './errors';
import {
  capturedOutput,
  fakeAws,
  fakeDependencies,
  recordingDockerCli,
  rejection,
  transientFailure,
} from './test-doubles.test-support';

async function setUp(env: Record<string, string>, aws = fakeAws()) {
  const dockerConfigDir = await mkdtemp(join(tmpdir(), 'ecr-login-test-'));
  const config = parseConfig('ecr', { HOME: '/nonexistent', PATH: '/usr/bin', ...env });
  const { output, captured } = capturedOutput();
  const docker = recordingDockerCli();
  const dependencies = fakeDependencies({ output, aws: aws.factory, dockerCli: docker.dockerCli });
  if (config.ecr === undefined) throw new Error('ecr config expected');
  const request = { config: config.ecr, dockerConfigDir, path: '/usr/bin', useDockerCli: false };
  const readConfig = async () => JSON.parse(await readFile(join(dockerConfigDir, 'config.json'), 'utf8'));
  return { request, dependencies, captured, calls: aws.calls, docker, readConfig, dockerConfigDir };
}

const authOf = (password: string) => Buffer.from(`AWS:${password}`).toString('base64');

describe('Function: loginToEcr', () => {
  it('asks STS for the account when none is given and writes one auths entry', async () => {
    // Prepare
    const { request, dependencies, calls, readConfig, captured } = await setUp(
      { AWS_DEFAULT_REGION: 'us-east-1' },
      fakeAws({ accountId: '888888888888', ecrPassword: 'canary-ecr-password' }),
    );

    // Act
    const result = await loginToEcr(request, dependencies);

    // Assess
    expect(result).toEqual({ registries: ['888888888888.dkr.ecr.us-east-1.amazonaws.com'], mode: 'auths' });
    expect(calls.operations).toEqual(['callerAccountId', 'ecrAuthorizationToken']);
    expect(await readConfig()).toEqual({
      auths: { '888888888888.dkr.ecr.us-east-1.amazonaws.com': { auth: authOf('canary-ecr-password') } },
    });
    expect(captured.stdout.join('')).toContain('~~~ Authenticating with AWS ECR :ecr: :docker:');
    expect(captured.all()).not.toContain('canary-ecr-password');
  });

  it('fetches one token for several accounts and uses it for each (plugin behaviour)', async () => {
    // Prepare
    const { request, dependencies, calls, readConfig } = await setUp({
      BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS_0: '111111111111',
      BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS_1: '222222222222',
      BUILDKITE_PLUGIN_ECR_REGION: 'cn-north-1',
    });

    // Act
    await loginToEcr(request, dependencies);

    // Assess
    expect(calls.operations).toEqual(['ecrAuthorizationToken']);
    expect(Object.keys((await readConfig()).auths)).toEqual([
      '111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn',
      '222222222222.dkr.ecr.cn-north-1.amazonaws.com.cn',
    ]);
  });

  it('gets ECR Public credentials from ecr-public and warns when the region was defaulted', async () => {
    // Prepare
    const { request, dependencies, calls, readConfig, captured } = await setUp({
      BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: 'public.ecr.aws',
    });

    // Act
    await loginToEcr(request, dependencies);

    // Assess
    expect(calls.operations).toEqual(['ecrPublicAuthorizationToken']);
    expect(await readConfig()).toEqual({ auths: { 'public.ecr.aws': { auth: authOf('public-ecr-password') } } });
    expect(captured.stdout.join('')).toContain('Ignoring region for public.ecr.aws and forcing us-east-1');
    expect(captured.stderr.join('')).toContain('Defaulting to us-east-1 for legacy compatibility.');
  });

  it('assumes the role and makes every later call with the assumed credentials only', async () => {
    // Prepare
    const { request, dependencies, calls, captured } = await setUp(
      {
        AWS_DEFAULT_REGION: 'eu-west-1',
        BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_ROLE_ARN: 'arn:aws:iam::222222222222:role/ecr-reader',
        BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_DURATION_SECONDS: '7200',
      },
      fakeAws({
        assumedCredentials: {
          accessKeyId: 'ASIA1',
          secretAccessKey: 'canary-assumed-secret',
          sessionToken: 'canary-session',
        },
      }),
    );

    // Act
    await loginToEcr(request, dependencies);

    // Assess
    expect(calls.assumeRoleRequests).toEqual([
      {
        roleArn: 'arn:aws:iam::222222222222:role/ecr-reader',
        sessionName: 'ecr-login-buildkite-plugin',
        durationSeconds: 7200,
      },
    ]);
    expect(calls.gateways.map((gateway) => gateway.credentials)).toEqual([
      undefined,
      { accessKeyId: 'ASIA1', secretAccessKey: 'canary-assumed-secret', sessionToken: 'canary-session' },
    ]);
    expect(calls.operations).toEqual(['assumeRole', 'callerAccountId', 'ecrAuthorizationToken']);
    expect(captured.all()).not.toContain('OIDC');
    expect(captured.all()).not.toMatch(/canary-(assumed-secret|session)/);
  });

  it('requests a Buildkite OIDC token for sts.amazonaws.com and assumes the role with web identity', async () => {
    // Prepare
    const { request, dependencies, calls, captured } = await setUp({
      BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: '123456789012',
      BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_ROLE_ARN: 'arn:aws:iam::123456789012:role/ecr-reader',
      BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_OIDC: 'true',
    });
    const tokenRequests: unknown[] = [];
    dependencies.oidc = {
      requestToken: async (tokenRequest) => {
        tokenRequests.push(tokenRequest);
        return 'eyJhbGciOiJSUzI1NiJ9.canaryOidcPayload.signature';
      },
    };

    // Act
    await loginToEcr(request, dependencies);

    // Assess
    expect(tokenRequests).toEqual([{ audience: 'sts.amazonaws.com', lifetimeSeconds: 3600 }]);
    expect(calls.assumeRoleRequests).toEqual([
      {
        roleArn: 'arn:aws:iam::123456789012:role/ecr-reader',
        sessionName: 'ecr-login-buildkite-plugin',
        durationSeconds: 3600,
        webIdentityToken: 'eyJhbGciOiJSUzI1NiJ9.canaryOidcPayload.signature',
      },
    ]);
    expect(captured.stdout.join('')).toContain('Assuming role with web identity using Buildkite OIDC');
    expect(captured.stdout.join('')).toContain('Role ARN: arn:aws:iam::123456789012:role/ecr-reader');
    expect(captured.all()).not.toContain('canaryOidcPayload');
  });

  it('writes credHelpers entries in credential-helper mode without fetching a token', async () => {
    // Prepare
    const { request, dependencies, calls, readConfig, dockerConfigDir, captured } = await setUp({
      BUILDKITE_PLUGIN_ECR_CREDENTIAL_HELPER: 'true',
      BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS_0: '111111111111',
      BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS_1: 'public.ecr.aws',
      AWS_DEFAULT_REGION: 'us-east-1',
    });
    await writeFile(join(dockerConfigDir, 'config.json'), JSON.stringify({ auths: { 'ghcr.io': { auth: 'eDp5' } } }));

    // Act
    const result = await loginToEcr(request, dependencies);

    // Assess
    expect(result.mode).toBe('credential-helper');
    expect(calls.operations).toEqual([]);
    expect(await readConfig()).toEqual({
      auths: { 'ghcr.io': { auth: 'eDp5' } },
      credHelpers: { '111111111111.dkr.ecr.us-east-1.amazonaws.com': 'ecr-login', 'public.ecr.aws': 'ecr-login' },
    });
    expect(captured.stdout.join('')).toContain('Configured ECR credential helper for public.ecr.aws');
  });

  it('says in credential-helper mode that pulls will not use the assumed role or the profile', async () => {
    // Prepare: docker-credential-ecr-login finds its own credentials when Docker pulls (the job's environment, the
    // instance role); the role assumed here, and the plugin's profile, never reach it.
    const { request, dependencies, captured } = await setUp({
      BUILDKITE_PLUGIN_ECR_CREDENTIAL_HELPER: 'true',
      BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: '222222222222',
      BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_ROLE_ARN: 'arn:aws:iam::222222222222:role/ecr-reader',
      BUILDKITE_PLUGIN_ECR_PROFILE: 'deploy',
      AWS_DEFAULT_REGION: 'us-east-1',
    });

    // Act
    await loginToEcr(request, dependencies);

    // Assess
    expect(captured.stderr.join('\n')).toContain(
      "Warning: docker-credential-ecr-login gets its own AWS credentials when Docker pulls (the job's environment, " +
        'AWS_PROFILE or the instance role): it will not use arn:aws:iam::222222222222:role/ecr-reader or profile ' +
        '"deploy". Turn off BUILDKITE_PLUGIN_ECR_CREDENTIAL_HELPER to log in with them.',
    );
  });

  it('fails in credential-helper mode when docker-credential-ecr-login is not installed', async () => {
    // Prepare
    const { request, dependencies } = await setUp({
      BUILDKITE_PLUGIN_ECR_CREDENTIAL_HELPER: '1',
      BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: '111111111111',
    });
    dependencies.findProgram = async () => undefined;

    // Act
    const login = loginToEcr(request, dependencies);

    // Assess
    await expect(login).rejects.toBeInstanceOf(MissingProgramError);
    await expect(login).rejects.toThrow(/docker-credential-ecr-login not found in PATH/);
  });

  it('retries transient AWS failures with backoff and stops at a rejection', async () => {
    // Prepare
    const flaky = await setUp(
      { BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: '111111111111', BUILDKITE_PLUGIN_ECR_RETRIES: '2' },
      fakeAws({ failures: { ecrAuthorizationToken: [transientFailure(), transientFailure()] } }),
    );
    const denied = await setUp(
      { BUILDKITE_PLUGIN_ECR_RETRIES: '2' },
      fakeAws({ failures: { callerAccountId: [rejection()] } }),
    );

    // Act
    await loginToEcr(flaky.request, flaky.dependencies);
    const deniedLogin = loginToEcr(denied.request, denied.dependencies);

    // Assess
    expect(flaky.calls.operations).toEqual(['ecrAuthorizationToken', 'ecrAuthorizationToken', 'ecrAuthorizationToken']);
    expect(flaky.dependencies.sleeps).toEqual([1000, 2000]);
    expect(flaky.captured.stderr.join('')).toContain('Login failed on attempt 2 of 3. Trying again in 2 seconds...');
    await expect(deniedLogin).rejects.toThrow('HTTP 401');
    expect(denied.calls.operations).toEqual(['callerAccountId']);
  });

  it('hands each registry to docker login with --docker-login instead of writing config.json', async () => {
    // Prepare
    const { request, dependencies, docker, dockerConfigDir } = await setUp({
      BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: '111111111111,public.ecr.aws',
      AWS_DEFAULT_REGION: 'us-west-2',
    });

    // Act
    const result = await loginToEcr({ ...request, useDockerCli: true }, dependencies);

    // Assess
    expect(result.mode).toBe('docker-cli');
    expect(docker.logins).toEqual([
      {
        server: '111111111111.dkr.ecr.us-west-2.amazonaws.com',
        username: 'AWS',
        password: 'private-ecr-password',
        dockerConfigDir,
      },
      { server: 'public.ecr.aws', username: 'AWS', password: 'public-ecr-password', dockerConfigDir },
    ]);
  });

  it('does nothing when login is disabled', async () => {
    const { request, dependencies, calls } = await setUp({ AWS_ECR_LOGIN: 'false' });
    expect(await loginToEcr(request, dependencies)).toEqual({ registries: [], mode: 'disabled' });
    expect(calls.gateways).toEqual([]);
  });

  it('warns when credsStore would hide the auths entries', async () => {
    const { request, dependencies, dockerConfigDir, captured } = await setUp({
      BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: '111111111111',
    });
    await writeFile(join(dockerConfigDir, 'config.json'), JSON.stringify({ credsStore: 'desktop' }));
    await loginToEcr(request, dependencies);
    expect(captured.stderr.join('')).toContain('sets credsStore "desktop"');
  });
});
