import { join } from 'node:path';
import * as z from 'zod/mini';
import { ConfigurationError } from './errors';
import { ECR_PUBLIC, isValidRegistryServer } from './registry-hosts';

/** The subcommands of `elastic-ci-docker-login`. */
export type Command = 'ecr' | 'registry' | 'logout' | 'env';

export type Environment = Readonly<Record<string, string | undefined>>;

/** Static AWS credentials. Kept in memory only; never written to the job environment or any file. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** How the helper reaches AWS: region, endpoints (emulators, VPC endpoints) and where base credentials come from. */
export interface AwsConnection {
  region: string;
  endpoints: { ecr?: string; ecrPublic?: string; sts?: string };
  /** Named profile (`…_PROFILE`): wins over environment credentials, like `aws --profile`. */
  profile?: string;
  /** `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN` from the given environment. */
  environmentCredentials?: AwsCredentials;
  /** `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`, read when a profile is used. */
  configFile?: string;
  credentialsFile?: string;
}

export interface AssumeRoleConfig {
  roleArn: string;
  durationSeconds: number;
  /** Use `buildkite-agent oidc request-token` and AssumeRoleWithWebIdentity instead of AssumeRole. */
  oidc: boolean;
}

export interface EcrLoginConfig {
  enabled: boolean;
  /** Accounts (or `public.ecr.aws`) to log in to; empty means "the caller's account, from STS". */
  accountIds: readonly string[];
  /** True when no region was configured anywhere and us-east-1 was assumed (the plugin warns about it). */
  regionDefaulted: boolean;
  retries: number;
  assumeRole?: AssumeRoleConfig;
  credentialHelper: boolean;
  aws: AwsConnection;
}

export interface RegistryLoginConfig {
  username: string;
  /** The secret itself. Never logged: messages name {@link RegistryLoginConfig.passwordVariable} instead. */
  password: string;
  passwordVariable: string;
  /** As given; empty means Docker Hub. */
  server: string;
  retries: number;
  verify: boolean;
}

export interface LogoutConfig {
  server: string;
  /** `BUILDKITE_JOB_ID`: whose logins to take back when jobs share a config directory. */
  jobId?: string;
  disableLogout: boolean;
  isolateConfig: boolean;
  /** The per-job directory `env` created (`BUILDKITE_DOCKER_LOGIN_TEMP_CONFIG`). */
  temporaryConfigDir?: string;
}

export interface EnvConfig {
  isolateConfig: boolean;
  temporaryDirectoryRoot: string;
}

/** Everything a command needs, parsed once. Only the section for the chosen command is present. */
export interface HelperConfig {
  command: Command;
  dockerConfigDir: string;
  path: string;
  /** `BUILDKITE_JOB_ID`: logins are recorded per job, so one job's logout leaves what another job still uses. */
  jobId?: string;
  ecr?: EcrLoginConfig;
  registry?: RegistryLoginConfig;
  logout?: LogoutConfig;
  env?: EnvConfig;
}

const TRUTHY = new Set(['1', 'y', 'yes', 't', 'true', 'on']);
const FALSY = new Set(['0', 'n', 'no', 'f', 'false', 'off']);

const blankToUndefined = (value: string | undefined) =>
  value === undefined || value.trim() === '' ? undefined : value;

const optionalText = z.pipe(
  z.optional(z.string()),
  z.transform((value: string | undefined) => blankToUndefined(value)?.trim()),
);

/** Records a problem with one variable; the object schema adds the variable name as the issue's path. */
function addProblem(context: z.core.ParsePayload, value: string | undefined, message: string): never {
  context.issues.push({ code: 'custom', message, input: value });
  return z.NEVER;
}

const flag = z.pipe(
  z.optional(z.string()),
  z.transform((value: string | undefined, context) => {
    const text = blankToUndefined(value)?.trim().toLowerCase();
    if (text === undefined) return undefined;
    if (TRUTHY.has(text)) return true;
    if (FALSY.has(text)) return false;
    return addProblem(context, value, `must be true or false (1/yes/on or 0/no/off), got "${value}"`);
  }),
);

const wholeNumber = (minimum: number, maximum: number) =>
  z.pipe(
    z.optional(z.string()),
    z.transform((value: string | undefined, context) => {
      const text = blankToUndefined(value)?.trim();
      if (text === undefined) return undefined;
      const number = /^\d+$/.test(text) ? Number(text) : Number.NaN;
      if (Number.isInteger(number) && number >= minimum && number <= maximum) return number;
      return addProblem(context, value, `must be a whole number from ${minimum} to ${maximum}, got "${value}"`);
    }),
  );

const matching = (pattern: RegExp, description: string) =>
  optionalText.check(z.refine((value) => value === undefined || pattern.test(value), `must be ${description}`));

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const ACCOUNT_ID = /^\d{12}$/;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PROFILE_NAME = /^[\w+=,.@-]{1,128}$/;

const endpointUrl = optionalText.check(
  z.refine((value) => {
    if (value === undefined) return true;
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL such as http://127.0.0.1:5000'),
);

const registryServer = optionalText.check(
  z.refine(
    (value) => value === undefined || isValidRegistryServer(value),
    'must be a registry host such as registry.example.com:5000 (optionally with http:// or https://)',
  ),
);

const ACCOUNT_IDS_VARIABLE = 'BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS';

/** Reads `…_ACCOUNT_IDS` or the list form `…_ACCOUNT_IDS_0..N` (until the first empty item), like the plugin. */
function accountIdItems(env: Environment): { variable: string; value: string }[] {
  if (blankToUndefined(env[`${ACCOUNT_IDS_VARIABLE}_0`]) !== undefined) {
    const items: { variable: string; value: string }[] = [];
    for (let index = 0; ; index += 1) {
      const variable = `${ACCOUNT_IDS_VARIABLE}_${index}`;
      const value = blankToUndefined(env[variable]);
      if (value === undefined) return items;
      items.push({ variable, value });
    }
  }
  const single = blankToUndefined(env[ACCOUNT_IDS_VARIABLE]);
  if (single !== undefined) return [{ variable: ACCOUNT_IDS_VARIABLE, value: single }];
  const stackLevel = blankToUndefined(env.AWS_ECR_LOGIN_REGISTRY_IDS);
  return stackLevel === undefined ? [] : [{ variable: 'AWS_ECR_LOGIN_REGISTRY_IDS', value: stackLevel }];
}

/**
 * The one schema for every variable the helper reads. Keys are the variable names, so each issue's path names the
 * variable to fix. Requirements spanning variables are in {@link crossVariableProblems}.
 */
function environmentSchema() {
  return z.object({
    DOCKER_CONFIG: optionalText,
    HOME: optionalText,
    PATH: z.optional(z.string()),
    TMPDIR: optionalText,

    BUILDKITE_PLUGIN_ECR_LOGIN: flag,
    AWS_ECR_LOGIN: flag,
    BUILDKITE_PLUGIN_ECR_REGION: matching(REGION, 'an AWS region such as eu-west-1'),
    BUILDKITE_PLUGIN_ECR_REGISTRY_REGION: matching(REGION, 'an AWS region such as eu-west-1'),
    AWS_DEFAULT_REGION: matching(REGION, 'an AWS region such as eu-west-1'),
    AWS_REGION: matching(REGION, 'an AWS region such as eu-west-1'),
    BUILDKITE_PLUGIN_ECR_RETRIES: wholeNumber(0, 20),
    BUILDKITE_PLUGIN_ECR_PROFILE: matching(PROFILE_NAME, 'an AWS profile name'),
    BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_ROLE_ARN: matching(
      ROLE_ARN,
      'an IAM role ARN (arn:aws:iam::123456789012:role/name)',
    ),
    BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_DURATION_SECONDS: wholeNumber(900, 43_200),
    BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_OIDC: flag,
    BUILDKITE_PLUGIN_ECR_CREDENTIAL_HELPER: flag,

    AWS_ENDPOINT_URL: endpointUrl,
    AWS_ENDPOINT_URL_ECR: endpointUrl,
    AWS_ENDPOINT_URL_ECR_PUBLIC: endpointUrl,
    AWS_ENDPOINT_URL_STS: endpointUrl,
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: flag,
    AWS_ACCESS_KEY_ID: optionalText,
    AWS_SECRET_ACCESS_KEY: z.optional(z.string()),
    AWS_SESSION_TOKEN: z.optional(z.string()),
    AWS_CONFIG_FILE: optionalText,
    AWS_SHARED_CREDENTIALS_FILE: optionalText,

    BUILDKITE_PLUGIN_DOCKER_LOGIN_USERNAME: optionalText,
    DOCKER_LOGIN_USER: optionalText,
    BUILDKITE_PLUGIN_DOCKER_LOGIN_PASSWORD_ENV: matching(VARIABLE_NAME, 'the name of an environment variable'),
    BUILDKITE_PLUGIN_DOCKER_LOGIN_SERVER: registryServer,
    DOCKER_LOGIN_SERVER: registryServer,
    BUILDKITE_PLUGIN_DOCKER_LOGIN_RETRIES: wholeNumber(0, 20),
    BUILDKITE_PLUGIN_DOCKER_LOGIN_VERIFY: flag,
    BUILDKITE_PLUGIN_DOCKER_LOGIN_ISOLATE_CONFIG: flag,
    BUILDKITE_PLUGIN_DOCKER_LOGIN_DISABLE_LOGOUT: flag,
    BUILDKITE_DOCKER_LOGIN_TEMP_CONFIG: optionalText,
    BUILDKITE_JOB_ID: optionalText,
  });
}

/**
 * Checks that involve more than one variable. They read the raw environment, so they run (and are reported) even
 * when single variables are invalid too.
 */
function crossVariableProblems(command: Command, env: Environment): string[] {
  const problems: string[] = [];
  const present = (name: string) => blankToUndefined(env[name]) !== undefined;
  if (!present('DOCKER_CONFIG') && !present('HOME')) {
    problems.push(
      'DOCKER_CONFIG: is required when HOME is unset: set DOCKER_CONFIG to the directory holding config.json',
    );
  }
  if (command === 'ecr') {
    if (present('AWS_ACCESS_KEY_ID') !== present('AWS_SECRET_ACCESS_KEY')) {
      problems.push(
        'AWS_ACCESS_KEY_ID: and AWS_SECRET_ACCESS_KEY must be set together (or neither, to use the instance role)',
      );
    }
    const oidc = TRUTHY.has(env.BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_OIDC?.trim().toLowerCase() ?? '');
    if (
      !present('BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_ROLE_ARN') &&
      (oidc || present('BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_DURATION_SECONDS'))
    ) {
      problems.push(
        'BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_ROLE_ARN: is required when assume-role oidc or duration-seconds is set',
      );
    }
  }
  if (command === 'registry' && !present('BUILDKITE_PLUGIN_DOCKER_LOGIN_USERNAME') && !present('DOCKER_LOGIN_USER')) {
    problems.push('DOCKER_LOGIN_USER: is required: set DOCKER_LOGIN_USER (or the plugin option username)');
  }
  return problems;
}

type ParsedVariables = z.output<ReturnType<typeof environmentSchema>>;

function parseAccountIds(env: Environment, problems: string[]): string[] {
  const accountIds: string[] = [];
  for (const { variable, value } of accountIdItems(env)) {
    for (const part of value.split(',')) {
      const id = part.trim();
      if (id === '') continue;
      if (id === ECR_PUBLIC || ACCOUNT_ID.test(id)) {
        if (!accountIds.includes(id)) accountIds.push(id);
      } else {
        problems.push(`${variable}: "${id}" is not a 12-digit AWS account id or ${ECR_PUBLIC}`);
      }
    }
  }
  return accountIds;
}

function awsConnection(variables: ParsedVariables, region: string): AwsConnection {
  const useEndpoints = variables.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS !== true;
  const general = useEndpoints ? variables.AWS_ENDPOINT_URL : undefined;
  const endpoint = (specific: string | undefined) => (useEndpoints ? (specific ?? general) : undefined);
  const endpoints: AwsConnection['endpoints'] = {};
  const ecr = endpoint(variables.AWS_ENDPOINT_URL_ECR);
  const ecrPublic = endpoint(variables.AWS_ENDPOINT_URL_ECR_PUBLIC);
  const sts = endpoint(variables.AWS_ENDPOINT_URL_STS);
  if (ecr !== undefined) endpoints.ecr = ecr;
  if (ecrPublic !== undefined) endpoints.ecrPublic = ecrPublic;
  if (sts !== undefined) endpoints.sts = sts;

  const connection: AwsConnection = { region, endpoints };
  if (variables.BUILDKITE_PLUGIN_ECR_PROFILE !== undefined) connection.profile = variables.BUILDKITE_PLUGIN_ECR_PROFILE;
  const secretAccessKey = blankToUndefined(variables.AWS_SECRET_ACCESS_KEY);
  if (variables.AWS_ACCESS_KEY_ID !== undefined && secretAccessKey !== undefined) {
    const sessionToken = blankToUndefined(variables.AWS_SESSION_TOKEN);
    connection.environmentCredentials = {
      accessKeyId: variables.AWS_ACCESS_KEY_ID,
      secretAccessKey,
      ...(sessionToken === undefined ? {} : { sessionToken }),
    };
  }
  if (variables.AWS_CONFIG_FILE !== undefined) connection.configFile = variables.AWS_CONFIG_FILE;
  if (variables.AWS_SHARED_CREDENTIALS_FILE !== undefined)
    connection.credentialsFile = variables.AWS_SHARED_CREDENTIALS_FILE;
  return connection;
}

function ecrConfig(variables: ParsedVariables, env: Environment, problems: string[]): EcrLoginConfig {
  const configuredRegion =
    variables.BUILDKITE_PLUGIN_ECR_REGISTRY_REGION ??
    variables.BUILDKITE_PLUGIN_ECR_REGION ??
    variables.AWS_DEFAULT_REGION ??
    variables.AWS_REGION;
  const region = configuredRegion ?? 'us-east-1';
  const config: EcrLoginConfig = {
    // The stack-level switch wins, as in the stack's environment hook, which copies AWS_ECR_LOGIN over the plugin's.
    enabled: variables.AWS_ECR_LOGIN ?? variables.BUILDKITE_PLUGIN_ECR_LOGIN ?? true,
    accountIds: parseAccountIds(env, problems),
    regionDefaulted: configuredRegion === undefined,
    retries: variables.BUILDKITE_PLUGIN_ECR_RETRIES ?? 3,
    credentialHelper: variables.BUILDKITE_PLUGIN_ECR_CREDENTIAL_HELPER ?? false,
    aws: awsConnection(variables, region),
  };
  if (variables.BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_ROLE_ARN !== undefined) {
    config.assumeRole = {
      roleArn: variables.BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_ROLE_ARN,
      durationSeconds: variables.BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_DURATION_SECONDS ?? 3600,
      oidc: variables.BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_OIDC ?? false,
    };
  }
  return config;
}

/**
 * Whether a `BUILDKITE_PLUGIN_DOCKER_LOGIN_PASSWORD_ENV` value may be the password rather than a variable's name:
 * `password-env: "$DOCKER_PASSWORD"` in pipeline YAML is interpolated at upload, and an alphanumeric password is a
 * valid name too. Only names in the environment's upper-case convention are ever shown.
 */
export function mayBeAPassword(passwordEnv: string): boolean {
  return !/^[A-Z_][A-Z0-9_]*$/.test(passwordEnv.trim());
}

function passwordProblems(env: Environment, problems: string[]): { passwordVariable: string; password: string } {
  const named = blankToUndefined(env.BUILDKITE_PLUGIN_DOCKER_LOGIN_PASSWORD_ENV)?.trim();
  const passwordVariable = named !== undefined && VARIABLE_NAME.test(named) ? named : 'DOCKER_LOGIN_PASSWORD';
  const password = env[passwordVariable] ?? '';
  if (password === '' && named !== undefined && mayBeAPassword(named)) {
    problems.push(
      'BUILDKITE_PLUGIN_DOCKER_LOGIN_PASSWORD_ENV: names a variable that is unset or empty (not shown: it is not an ' +
        'upper-case NAME, so it may be the password itself); set it to the name of the variable that holds the ' +
        'password, such as DOCKER_LOGIN_PASSWORD',
    );
  } else if (password === '') {
    problems.push(
      `${passwordVariable}: no docker-login password found; set ${passwordVariable}` +
        ' (or name another variable with BUILDKITE_PLUGIN_DOCKER_LOGIN_PASSWORD_ENV)',
    );
  }
  return { passwordVariable, password };
}

function registryConfig(
  variables: ParsedVariables,
  env: Environment,
  options: ParseOptions,
  problems: string[],
): RegistryLoginConfig {
  const { passwordVariable, password } = passwordProblems(env, problems);
  return {
    username: variables.BUILDKITE_PLUGIN_DOCKER_LOGIN_USERNAME ?? variables.DOCKER_LOGIN_USER ?? '',
    password,
    passwordVariable,
    server: variables.BUILDKITE_PLUGIN_DOCKER_LOGIN_SERVER ?? variables.DOCKER_LOGIN_SERVER ?? '',
    retries: variables.BUILDKITE_PLUGIN_DOCKER_LOGIN_RETRIES ?? 3,
    verify: options.verify ?? variables.BUILDKITE_PLUGIN_DOCKER_LOGIN_VERIFY ?? true,
  };
}

export interface ParseOptions {
  /** `--no-verify` on the command line (wins over `BUILDKITE_PLUGIN_DOCKER_LOGIN_VERIFY`). */
  verify?: boolean;
  /** Where `env` creates per-job directories when TMPDIR is unset. */
  defaultTemporaryDirectory?: string;
}

/**
 * Parses every variable the chosen command reads, once. Throws a {@link ConfigurationError} naming every bad variable
 * (never a secret's value) when anything is wrong.
 */
export function parseConfig(command: Command, env: Environment, options: ParseOptions = {}): HelperConfig {
  const result = environmentSchema().safeParse(env);
  const problems = [
    ...(result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)),
    ...crossVariableProblems(command, env),
  ];
  if (!result.success) {
    // Still check the list and password variables so the one message names every problem at once.
    if (command === 'ecr') parseAccountIds(env, problems);
    if (command === 'registry') passwordProblems(env, problems);
    throw new ConfigurationError(problems);
  }
  const variables = result.data;
  const config: HelperConfig = {
    command,
    dockerConfigDir: variables.DOCKER_CONFIG ?? join(variables.HOME ?? '', '.docker'),
    path: variables.PATH ?? '',
    ...(variables.BUILDKITE_JOB_ID === undefined ? {} : { jobId: variables.BUILDKITE_JOB_ID }),
  };
  if (command === 'ecr') config.ecr = ecrConfig(variables, env, problems);
  if (command === 'registry') config.registry = registryConfig(variables, env, options, problems);
  if (command === 'logout') {
    config.logout = {
      server: variables.BUILDKITE_PLUGIN_DOCKER_LOGIN_SERVER ?? variables.DOCKER_LOGIN_SERVER ?? '',
      disableLogout: variables.BUILDKITE_PLUGIN_DOCKER_LOGIN_DISABLE_LOGOUT ?? false,
      isolateConfig: variables.BUILDKITE_PLUGIN_DOCKER_LOGIN_ISOLATE_CONFIG ?? true,
      ...(variables.BUILDKITE_JOB_ID === undefined ? {} : { jobId: variables.BUILDKITE_JOB_ID }),
      ...(variables.BUILDKITE_DOCKER_LOGIN_TEMP_CONFIG === undefined
        ? {}
        : { temporaryConfigDir: variables.BUILDKITE_DOCKER_LOGIN_TEMP_CONFIG }),
    };
  }
  if (command === 'env') {
    config.env = {
      isolateConfig: variables.BUILDKITE_PLUGIN_DOCKER_LOGIN_ISOLATE_CONFIG ?? true,
      temporaryDirectoryRoot: variables.TMPDIR ?? options.defaultTemporaryDirectory ?? '/tmp',
    };
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return config;
}
