import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { type Command, type Environment, mayBeAPassword, parseConfig } from './config';
import { dockerCommandLine } from './docker-cli';
import { loginToEcr } from './ecr-login';
import { ConfigurationError, DockerLoginError } from './errors';
import { createIsolatedConfig, logout } from './logout';
import { buildkiteAgentOidcTokenSource } from './oidc-token';
import { redactingOutput } from './output';
import type { AwsGateway, AwsGatewayFactory, Dependencies } from './ports';
import { isSdkNodeVersionNotice, oneLineWarning, routeProcessWarnings, type WarningEmitter } from './process-warnings';
import { findProgram } from './processes';
import { loginToRegistry } from './registry-login';
import { httpRegistryVerifier } from './registry-verifier';

export const EXIT_OK = 0;
export const EXIT_LOGIN_FAILED = 1;
export const EXIT_USAGE = 2;

export const USAGE = `Usage: elastic-ci-docker-login <command> [options]

Commands:
  ecr        log in to Amazon ECR / ECR Public (BUILDKITE_PLUGIN_ECR_* variables; environment hook)
  registry   log in to a registry with a username and password (DOCKER_LOGIN_* variables; pre-command hook)
  logout     remove the logins this helper wrote and the per-job config directory (pre-exit hook)
  env        create a per-job DOCKER_CONFIG and print export lines for the hook to eval:
             lines="$(elastic-ci-docker-login env)" || exit 1; eval "$lines"
             (eval "$(elastic-ci-docker-login env)" would ignore a failure)

Options:
  --docker-login   run "docker login --password-stdin" instead of writing $DOCKER_CONFIG/config.json
  --no-verify      registry: do not check the credentials against the registry before saving them
  -h, --help       show this help

Exit codes: 0 ok, 1 login failed, 2 usage or configuration error.
`;

const COMMANDS: readonly Command[] = ['ecr', 'registry', 'logout', 'env'];

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Where Node reports process warnings (`process`): printed as one redacted line each, never as Node's text. */
  processWarnings?: WarningEmitter;
}

/**
 * The SDK adapter, loaded on first use: the AWS SDK is most of the bundle, and `env`, `registry`, `logout` and `--help`
 * (run on every job) should not pay for evaluating it.
 */
const lazyAwsGateway: AwsGatewayFactory = (connection, credentials) => {
  let gateway: Promise<AwsGateway> | undefined;
  const load = () => {
    gateway ??= import('./aws-gateway').then((module) => module.createAwsGateway(connection, credentials));
    return gateway;
  };
  return {
    callerAccountId: async () => (await load()).callerAccountId(),
    ecrAuthorizationToken: async () => (await load()).ecrAuthorizationToken(),
    ecrPublicAuthorizationToken: async () => (await load()).ecrPublicAuthorizationToken(),
    assumeRole: async (request) => (await load()).assumeRole(request),
    assumeRoleWithWebIdentity: async (request) => (await load()).assumeRoleWithWebIdentity(request),
  };
};

type DependencyOverrides = Partial<Omit<Dependencies, 'output'>>;

function defaultDependencies(
  env: Environment,
  output: Dependencies['output'],
  overrides: DependencyOverrides,
): Dependencies {
  return {
    aws: overrides.aws ?? lazyAwsGateway,
    oidc: overrides.oidc ?? buildkiteAgentOidcTokenSource(env),
    verifier: overrides.verifier ?? httpRegistryVerifier(),
    dockerCli: overrides.dockerCli ?? dockerCommandLine(env),
    findProgram: overrides.findProgram ?? findProgram,
    sleep: overrides.sleep ?? ((milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds))),
    output,
  };
}

interface ParsedArguments {
  command: Command;
  useDockerCli: boolean;
  verify?: boolean;
}

function parseArguments(argv: readonly string[]): ParsedArguments | 'help' {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; args: string[] }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new ConfigurationError([`${(error as Error).message}; run elastic-ci-docker-login --help`]);
  }
  if (parsed.values.help === true) return 'help';
  const [command, ...extra] = parsed.positionals;
  const problems: string[] = [];
  if (command === undefined) problems.push(`a command is required: one of ${COMMANDS.join(', ')}`);
  else if (!COMMANDS.includes(command as Command)) {
    problems.push(`unknown command "${command}": use one of ${COMMANDS.join(', ')}`);
  }
  if (extra.length > 0) problems.push(`unexpected arguments: ${extra.join(' ')}`);
  if (parsed.values['docker-login'] === true && command !== 'ecr' && command !== 'registry') {
    problems.push('--docker-login applies to the ecr and registry commands only');
  }
  if (parsed.values['no-verify'] === true && command !== 'registry') {
    problems.push('--no-verify applies to the registry command only');
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return {
    command: command as Command,
    useDockerCli: parsed.values['docker-login'] === true,
    ...(parsed.values['no-verify'] === true ? { verify: false } : {}),
  };
}

const OPTIONS = {
  'docker-login': { type: 'boolean' },
  'no-verify': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * The whole CLI: parse arguments and environment once, run one command, map the outcome to an exit code. Never
 * throws; every message goes through the redacting output.
 */
export async function main(
  argv: readonly string[],
  env: Environment,
  io: CliIo,
  overrides: DependencyOverrides = {},
): Promise<number> {
  const output = redactingOutput(io.stdout, io.stderr);
  // Register the configured secrets before anything can print, whatever happens next.
  const passwordEnv = env.BUILDKITE_PLUGIN_DOCKER_LOGIN_PASSWORD_ENV?.trim();
  const passwordVariable = passwordEnv || 'DOCKER_LOGIN_PASSWORD';
  // A password-env naming no set variable may hold the password itself (see mayBeAPassword): never print it either.
  const misplacedPassword =
    passwordEnv && !env[passwordVariable] && mayBeAPassword(passwordEnv) ? passwordEnv : undefined;
  for (const secret of [env[passwordVariable], misplacedPassword, env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN]) {
    if (secret !== undefined && secret !== '') output.addSecret(secret);
  }
  // Not undone on return: a warning emitted while the process winds down must not reach the job log as Node's text.
  if (io.processWarnings) {
    routeProcessWarnings(io.processWarnings, (warning) => {
      if (!isSdkNodeVersionNotice(warning)) output.warn(`elastic-ci-docker-login: warning: ${oneLineWarning(warning)}`);
    });
  }
  try {
    const parsed = parseArguments(argv);
    if (parsed === 'help') {
      io.stdout(USAGE);
      return EXIT_OK;
    }
    const config = parseConfig(parsed.command, env, {
      ...(parsed.verify === undefined ? {} : { verify: parsed.verify }),
      defaultTemporaryDirectory: tmpdir(),
    });
    const dependencies = defaultDependencies(env, output, overrides);
    switch (config.command) {
      case 'ecr':
        if (config.ecr !== undefined) {
          await loginToEcr(
            {
              config: config.ecr,
              dockerConfigDir: config.dockerConfigDir,
              path: config.path,
              useDockerCli: parsed.useDockerCli,
              jobId: config.jobId,
            },
            dependencies,
          );
        }
        break;
      case 'registry':
        if (config.registry !== undefined) {
          await loginToRegistry(
            {
              config: config.registry,
              dockerConfigDir: config.dockerConfigDir,
              useDockerCli: parsed.useDockerCli,
              jobId: config.jobId,
            },
            dependencies,
          );
        }
        break;
      case 'logout':
        if (config.logout !== undefined)
          await logout(config.logout, config.dockerConfigDir, output, dependencies.dockerCli);
        break;
      case 'env':
        if (config.env !== undefined) {
          for (const line of await createIsolatedConfig(config.env)) io.stdout(`${line}\n`);
        }
        break;
    }
    return EXIT_OK;
  } catch (error) {
    if (error instanceof ConfigurationError) {
      output.warn(`elastic-ci-docker-login: ${error.message}`);
      return EXIT_USAGE;
    }
    if (error instanceof DockerLoginError) {
      output.warn(`elastic-ci-docker-login: ${error.message}`);
      return EXIT_LOGIN_FAILED;
    }
    output.warn(`elastic-ci-docker-login: unexpected error: ${(error as Error)?.message ?? String(error)}`);
    return EXIT_LOGIN_FAILED;
  }
}
