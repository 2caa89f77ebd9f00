import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ECRPUBLICClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr-public';
import { awsEnvironment } from '@elastic-ci/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT_LOGIN_FAILED, EXIT_OK, main } from './cli';
import { fakeProgramDirectory } from './fake-programs.test-support';

// ECR and STS are moto. moto's ECR GetAuthorizationToken answers for the *calling* account with the password
// "<account>-auth-token", which lets these tests see which credentials (base or assumed) made each call.
const CANARY_SECRET_KEY = 'canary-base-secret-key-5521';
const MOTO_DEFAULT_ACCOUNT = '123456789012';

async function runEcr(env: Record<string, string>, argv: string[] = ['ecr']) {
  const dockerConfig = env.DOCKER_CONFIG ?? (await mkdtemp(join(tmpdir(), 'ecr-int-')));
  const output: string[] = [];
  const exitCode = await main(
    argv,
    {
      ...awsEnvironment(),
      AWS_SECRET_ACCESS_KEY: CANARY_SECRET_KEY,
      PATH: process.env.PATH ?? '',
      DOCKER_CONFIG: dockerConfig,
      BUILDKITE_PLUGIN_ECR_RETRIES: '0',
      ...env,
    },
    { stdout: (text) => output.push(text), stderr: (text) => output.push(text) },
  );
  const text = output.join('');
  expect(text).not.toContain(CANARY_SECRET_KEY);
  expect(text).not.toContain('-auth-token');
  const readConfig = async () => JSON.parse(await readFile(join(dockerConfig, 'config.json'), 'utf8'));
  return { exitCode, output: text, readConfig, dockerConfig };
}

const passwordOf = (entry: { auth: string }) => Buffer.from(entry.auth, 'base64').toString('utf8');

describe('Command: ecr against moto', () => {
  let ecrPublicMock: ReturnType<typeof mockClient> | undefined;
  afterEach(() => {
    ecrPublicMock?.restore();
    ecrPublicMock = undefined;
  });

  it('logs in to the caller’s own account (from STS) when no account is given', async () => {
    // Act
    const result = await runEcr({});

    // Assess
    expect(result.exitCode).toBe(EXIT_OK);
    const config = await result.readConfig();
    const registry = `${MOTO_DEFAULT_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`;
    expect(Object.keys(config.auths)).toEqual([registry]);
    expect(passwordOf(config.auths[registry])).toBe(`AWS:${MOTO_DEFAULT_ACCOUNT}-auth-token`);
  });

  it('writes every listed account with the one token, preserving the existing config', async () => {
    // Prepare
    const existing = {
      auths: { 'ghcr.io': { auth: 'eDp5' } },
      credHelpers: { 'gcr.io': 'gcloud' },
      experimental: 'enabled',
    };
    const dockerConfig = await mkdtemp(join(tmpdir(), 'ecr-int-existing-'));
    await writeFile(join(dockerConfig, 'config.json'), JSON.stringify(existing));

    // Act
    const result = await runEcr({
      DOCKER_CONFIG: dockerConfig,
      BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS_0: '111111111111,222222222222',
      BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS_1: '333333333333',
    });

    // Assess
    expect(result.exitCode).toBe(EXIT_OK);
    const config = await result.readConfig();
    expect(config.credHelpers).toEqual(existing.credHelpers);
    expect(config.experimental).toBe('enabled');
    expect(Object.keys(config.auths)).toEqual([
      'ghcr.io',
      '111111111111.dkr.ecr.us-east-1.amazonaws.com',
      '222222222222.dkr.ecr.us-east-1.amazonaws.com',
      '333333333333.dkr.ecr.us-east-1.amazonaws.com',
    ]);
    expect(config.auths['ghcr.io']).toEqual({ auth: 'eDp5' });
  });

  it('assumes a role in another account and uses those credentials for STS and ECR', async () => {
    // Act
    const result = await runEcr({
      BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_ROLE_ARN: 'arn:aws:iam::222222222222:role/ecr-reader',
    });

    // Assess
    expect(result.exitCode).toBe(EXIT_OK);
    const config = await result.readConfig();
    const registry = '222222222222.dkr.ecr.us-east-1.amazonaws.com';
    expect(Object.keys(config.auths)).toEqual([registry]);
    expect(passwordOf(config.auths[registry])).toBe('AWS:222222222222-auth-token');
    expect(result.output).not.toContain('OIDC');
  });

  it('assumes a role with a Buildkite OIDC token from buildkite-agent on PATH', async () => {
    // Prepare
    const programs = await fakeProgramDirectory({
      'buildkite-agent':
        'echo "$@" > "$(dirname "$0")/argv"; echo eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJl',
    });

    // Act
    const result = await runEcr({
      PATH: `${programs}:${process.env.PATH ?? ''}`,
      BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_ROLE_ARN: 'arn:aws:iam::333333333333:role/ecr-oidc',
      BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_OIDC: 'true',
      BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_DURATION_SECONDS: '7200',
    });

    // Assess
    expect(result.exitCode).toBe(EXIT_OK);
    expect(await readFile(join(programs, 'argv'), 'utf8')).toBe(
      'oidc request-token --audience sts.amazonaws.com --lifetime 7200\n',
    );
    const config = await result.readConfig();
    expect(passwordOf(config.auths['333333333333.dkr.ecr.us-east-1.amazonaws.com'])).toBe(
      'AWS:333333333333-auth-token',
    );
    expect(result.output).toContain('Assuming role with web identity using Buildkite OIDC');
    expect(result.output).not.toContain('eyJzdWIiOiJjYW5hcnkifQ');
  });

  it('fails with exit 1 when buildkite-agent cannot issue a token', async () => {
    const programs = await fakeProgramDirectory({ 'buildkite-agent': 'echo "no job token" >&2; exit 1' });
    const result = await runEcr({
      PATH: `${programs}:${process.env.PATH ?? ''}`,
      BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_ROLE_ARN: 'arn:aws:iam::333333333333:role/ecr-oidc',
      BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_OIDC: '1',
    });
    expect(result.exitCode).toBe(EXIT_LOGIN_FAILED);
    expect(result.output).toContain('buildkite-agent oidc request-token failed (exit 1): no job token');
  });

  it('logs in to ECR Public alongside a private account', async () => {
    // Prepare: moto 5.2.5 has no ecr-public service, so this one call (ecr-public:GetAuthorizationToken) is mocked
    // with aws-sdk-client-mock; the private-account token still comes from moto.
    const ecrPublic = mockClient(ECRPUBLICClient);
    ecrPublicMock = ecrPublic;
    ecrPublic.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: { authorizationToken: Buffer.from('AWS:canary-public-token-xyz').toString('base64') },
    });

    // Act
    const result = await runEcr({
      BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: `${MOTO_DEFAULT_ACCOUNT},public.ecr.aws`,
      AWS_DEFAULT_REGION: 'eu-west-1',
    });

    // Assess
    expect(result.exitCode).toBe(EXIT_OK);
    expect(ecrPublic.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(1);
    expect(await ecrPublic.call(0).thisValue.config.region()).toBe('us-east-1');
    const config = await result.readConfig();
    expect(passwordOf(config.auths['public.ecr.aws'])).toBe('AWS:canary-public-token-xyz');
    expect(Object.keys(config.auths)).toContain(`${MOTO_DEFAULT_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`);
    expect(result.output).toContain('Ignoring region for public.ecr.aws and forcing us-east-1');
    expect(result.output).not.toContain('canary-public-token-xyz');
  });

  it('honours per-service endpoint variables over AWS_ENDPOINT_URL', async () => {
    // Prepare
    const moto = awsEnvironment().AWS_ENDPOINT_URL as string;

    // Act
    const viaServiceEndpoints = await runEcr({
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_ENDPOINT_URL_STS: moto,
      AWS_ENDPOINT_URL_ECR: moto,
    });
    const viaBrokenEndpoint = await runEcr({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });

    // Assess
    expect(viaServiceEndpoints.exitCode).toBe(EXIT_OK);
    expect(viaBrokenEndpoint.exitCode).toBe(EXIT_LOGIN_FAILED);
    expect(viaBrokenEndpoint.output).toContain('sts:GetCallerIdentity failed');
  });

  it('uses the named profile from the shared credentials file when no keys are in the environment', async () => {
    // Prepare
    const directory = await mkdtemp(join(tmpdir(), 'aws-profile-'));
    await writeFile(
      join(directory, 'credentials'),
      `[ecr]\naws_access_key_id = AKIAPROFILEEXAMPLE\naws_secret_access_key = ${CANARY_SECRET_KEY}\n`,
    );

    // Act
    const result = await runEcr({
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      BUILDKITE_PLUGIN_ECR_PROFILE: 'ecr',
      AWS_SHARED_CREDENTIALS_FILE: join(directory, 'credentials'),
      AWS_CONFIG_FILE: join(directory, 'config'),
      BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: '444444444444',
    });

    // Assess
    expect(result.exitCode).toBe(EXIT_OK);
    expect(Object.keys((await result.readConfig()).auths)).toEqual(['444444444444.dkr.ecr.us-east-1.amazonaws.com']);
  });

  it('configures the credential helper for the STS account without fetching a token', async () => {
    // Prepare
    const programs = await fakeProgramDirectory({ 'docker-credential-ecr-login': 'exit 0' });

    // Act
    const result = await runEcr({
      PATH: `${programs}:${process.env.PATH ?? ''}`,
      BUILDKITE_PLUGIN_ECR_CREDENTIAL_HELPER: 'true',
    });

    // Assess
    expect(result.exitCode).toBe(EXIT_OK);
    expect(await result.readConfig()).toEqual({
      credHelpers: { [`${MOTO_DEFAULT_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`]: 'ecr-login' },
    });
    expect(result.output).toContain('ECR credential helper configured successfully');
  });
});
