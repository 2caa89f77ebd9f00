import type { AwsConnection, AwsCredentials } from './config';
import { LoginFailedError } from './errors';
import { redactingOutput } from './output';
import type { AssumeRoleRequest, AwsGateway, Dependencies, DockerCli, Output } from './ports';

/** Test doubles for the ports (used by unit tests only; never imported by the package entry points). */

export interface CapturedOutput {
  stdout: string[];
  stderr: string[];
  all(): string;
}

export function capturedOutput(): { output: Output; captured: CapturedOutput } {
  const captured: CapturedOutput = {
    stdout: [],
    stderr: [],
    all: () => [...captured.stdout, ...captured.stderr].join(''),
  };
  const output = redactingOutput(
    (text) => captured.stdout.push(text),
    (text) => captured.stderr.push(text),
  );
  return { output, captured };
}

export const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

export interface FakeAwsCalls {
  gateways: { connection: AwsConnection; credentials: AwsCredentials | undefined }[];
  operations: string[];
  assumeRoleRequests: (AssumeRoleRequest & { webIdentityToken?: string })[];
}

export interface FakeAwsOptions {
  accountId?: string;
  ecrPassword?: string;
  ecrPublicPassword?: string;
  assumedCredentials?: AwsCredentials;
  /** Errors thrown by the first calls of an operation, in order. */
  failures?: Partial<Record<keyof AwsGateway, Error[]>>;
}

export function fakeAws(options: FakeAwsOptions = {}): { factory: Dependencies['aws']; calls: FakeAwsCalls } {
  const calls: FakeAwsCalls = { gateways: [], operations: [], assumeRoleRequests: [] };
  const failures = { ...options.failures };
  const run = async <T>(operation: keyof AwsGateway, value: () => T): Promise<T> => {
    calls.operations.push(operation);
    const failure = failures[operation]?.shift();
    if (failure !== undefined) throw failure;
    return value();
  };
  const factory: Dependencies['aws'] = (connection, credentials) => {
    calls.gateways.push({ connection, credentials });
    return {
      callerAccountId: () => run('callerAccountId', () => options.accountId ?? '123456789012'),
      ecrAuthorizationToken: () =>
        run('ecrAuthorizationToken', () => base64(`AWS:${options.ecrPassword ?? 'private-ecr-password'}`)),
      ecrPublicAuthorizationToken: () =>
        run('ecrPublicAuthorizationToken', () => base64(`AWS:${options.ecrPublicPassword ?? 'public-ecr-password'}`)),
      assumeRole: (request) =>
        run('assumeRole', () => {
          calls.assumeRoleRequests.push(request);
          return options.assumedCredentials ?? { accessKeyId: 'ASIAASSUMED', secretAccessKey: 'assumed-secret-key' };
        }),
      assumeRoleWithWebIdentity: (request) =>
        run('assumeRoleWithWebIdentity', () => {
          calls.assumeRoleRequests.push(request);
          return options.assumedCredentials ?? { accessKeyId: 'ASIAASSUMED', secretAccessKey: 'assumed-secret-key' };
        }),
    };
  };
  return { factory, calls };
}

export function recordingDockerCli(failures: Error[] = []): {
  dockerCli: DockerCli;
  logins: { server: string; username: string; password: string; dockerConfigDir: string }[];
  logouts: { server: string; dockerConfigDir: string }[];
} {
  const logins: { server: string; username: string; password: string; dockerConfigDir: string }[] = [];
  const logouts: { server: string; dockerConfigDir: string }[] = [];
  return {
    logins,
    logouts,
    dockerCli: {
      async login(request) {
        logins.push(request);
        const failure = failures.shift();
        if (failure !== undefined) throw failure;
      },
      async logout(request) {
        logouts.push(request);
      },
    },
  };
}

export const transientFailure = () => new LoginFailedError('HTTP 503 from the service', { retryable: true });
export const rejection = () => new LoginFailedError('HTTP 401: rejected', { retryable: false });

export function fakeDependencies(overrides: Partial<Dependencies> & { output: Output }): Dependencies & {
  sleeps: number[];
} {
  const sleeps: number[] = [];
  return {
    aws: fakeAws().factory,
    oidc: { requestToken: async () => 'header.payload.signature' },
    verifier: { verify: async () => undefined },
    dockerCli: recordingDockerCli().dockerCli,
    findProgram: async (program) => `/usr/bin/${program}`,
    sleep: async (milliseconds) => {
      sleeps.push(milliseconds);
    },
    ...overrides,
    sleeps,
  };
}
