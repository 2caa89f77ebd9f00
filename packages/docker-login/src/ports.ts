import type { AwsConnection, AwsCredentials } from './config';
import type { RegistryAddress } from './registry-hosts';

/** The AWS calls the helper makes. The SDK adapter lives in `aws-gateway.ts`. */
export interface AwsGateway {
  /** STS GetCallerIdentity → the account the credentials belong to. */
  callerAccountId(): Promise<string>;
  /** ECR GetAuthorizationToken (one token serves every registry of the region): base64 `AWS:password`. */
  ecrAuthorizationToken(): Promise<string>;
  /** ECR Public GetAuthorizationToken, always in us-east-1: base64 `AWS:password`. */
  ecrPublicAuthorizationToken(): Promise<string>;
  assumeRole(request: AssumeRoleRequest): Promise<AwsCredentials>;
  assumeRoleWithWebIdentity(request: AssumeRoleRequest & { webIdentityToken: string }): Promise<AwsCredentials>;
}

export interface AssumeRoleRequest {
  roleArn: string;
  sessionName: string;
  durationSeconds: number;
}

/** Creates a gateway using `credentials` when given, else the connection's profile / environment / default chain. */
export type AwsGatewayFactory = (connection: AwsConnection, credentials?: AwsCredentials) => AwsGateway;

/** `buildkite-agent oidc request-token`. */
export interface OidcTokenSource {
  requestToken(request: { audience: string; lifetimeSeconds: number }): Promise<string>;
}

/** Checks credentials against a registry's `/v2/` endpoint the way `docker login` does. */
export interface RegistryVerifier {
  verify(address: RegistryAddress, username: string, password: string): Promise<void>;
}

/** `docker login --password-stdin` / `docker logout`, for users who want Docker to store the credentials. */
export interface DockerCli {
  login(request: { server: string; username: string; password: string; dockerConfigDir: string }): Promise<void>;
  logout(request: { server: string; dockerConfigDir: string }): Promise<void>;
}

/** Log lines for the job log. Implementations redact every secret registered with {@link Output.addSecret}. */
export interface Output {
  info(line: string): void;
  warn(line: string): void;
  addSecret(secret: string): void;
}

export interface Dependencies {
  aws: AwsGatewayFactory;
  oidc: OidcTokenSource;
  verifier: RegistryVerifier;
  dockerCli: DockerCli;
  /** Full path of an executable named `program` on `path`, or undefined. */
  findProgram(program: string, path: string): Promise<string | undefined>;
  sleep(milliseconds: number): Promise<void>;
  output: Output;
}
