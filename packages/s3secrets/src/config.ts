import * as z from 'zod/mini';
import { ConfigurationError } from './errors';

const TRUTHY = ['1', 'y', 'yes', 't', 'true', 'on'];
const FALSY = ['0', 'n', 'no', 'f', 'false', 'off'];
const BOOLEAN_HINT = `must be one of ${[...TRUTHY, ...FALSY].join(', ')}`;

const booleanText = z
  .string()
  .check(z.refine((value) => [...TRUTHY, ...FALSY].includes(value.toLowerCase()), BOOLEAN_HINT));
const regionText = z.string().check(z.regex(/^[a-z]{2}(-[a-z0-9]+)+-\d+$/, 'must be an AWS region such as eu-west-1'));
const urlText = z
  .string()
  .check(
    z.refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'must be an http(s) URL'),
  );
const integerText = (minimum: number, maximum: number) =>
  z
    .string()
    .check(
      z.refine(
        (value) => /^\d+$/.test(value) && Number(value) >= minimum && Number(value) <= maximum,
        `must be a whole number from ${minimum} to ${maximum}`,
      ),
    );

/** Every variable `s3secrets env` reads; empty values count as unset. */
const environmentSchema = z.object({
  BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: z.optional(
    z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/, 'must be an S3 bucket name')),
  ),
  BUILDKITE_PLUGIN_S3_SECRETS_REGION: z.optional(regionText),
  BUILDKITE_PLUGIN_S3_SECRETS_BUCKET_PREFIX: z.optional(
    z.string().check(z.regex(/^[^\n\r\0]+$/, 'must be a single line')),
  ),
  BUILDKITE_PIPELINE_SLUG: z.optional(z.string().check(z.regex(/^[^\n\r\0]+$/, 'must be a single line'))),
  BUILDKITE_PLUGIN_S3_SECRETS_SKIP_SSH_KEY_NOT_FOUND_WARNING: z.optional(booleanText),
  BUILDKITE_PLUGIN_S3_SECRETS_DEADLINE_SECONDS: z.optional(integerText(1, 3600)),
  BUILDKITE_PLUGIN_S3_SECRETS_MAX_ATTEMPTS: z.optional(integerText(1, 10)),
  BUILDKITE_REPO: z.optional(z.string()),
  AWS_ENDPOINT_URL: z.optional(urlText),
  AWS_ENDPOINT_URL_S3: z.optional(urlText),
  AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: z.optional(booleanText),
  AWS_REGION: z.optional(regionText),
  AWS_DEFAULT_REGION: z.optional(regionText),
});

/** How to reach S3: shared by every subcommand. */
export interface ConnectionConfig {
  /** Endpoint override (MinIO, LocalStack, moto); switches the client to path-style addressing. */
  endpoint: string | undefined;
  /** The region to use without discovery (`BUILDKITE_PLUGIN_S3_SECRETS_REGION` or a `--region` flag). */
  regionHint: string | undefined;
  /** First guess for the current region before asking the bucket (`AWS_REGION`, then `AWS_DEFAULT_REGION`). */
  currentRegion: string | undefined;
  maxAttempts: number;
  deadlineMs: number;
}

export interface EnvCommandConfig extends ConnectionConfig {
  /** undefined means "no bucket configured": the command is a no-op, as upstream. */
  bucket: string | undefined;
  prefix: string;
  repository: string | undefined;
  skipSshKeyWarning: boolean;
}

export const DEFAULT_MAX_ATTEMPTS = 4;
export const DEFAULT_DEADLINE_SECONDS = 30;

/** Drops empty values: an exported-but-empty variable means "unset" for every setting here. */
function nonEmpty(environment: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
}

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && TRUTHY.includes(value.toLowerCase());
}

/**
 * Reads the configuration once from the environment.
 * @throws ConfigurationError naming every bad variable at once, with what a good value looks like.
 */
export function readEnvCommandConfig(environment: NodeJS.ProcessEnv): EnvCommandConfig {
  const result = environmentSchema.safeParse(nonEmpty(environment));
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new ConfigurationError(`invalid configuration: ${problems.join('; ')}`);
  }
  const values = result.data;
  const prefix = values.BUILDKITE_PLUGIN_S3_SECRETS_BUCKET_PREFIX ?? values.BUILDKITE_PIPELINE_SLUG ?? '';
  if (values.BUILDKITE_PLUGIN_S3_SECRETS_BUCKET && prefix === '') {
    throw new ConfigurationError(
      'invalid configuration: set BUILDKITE_PLUGIN_S3_SECRETS_BUCKET_PREFIX or BUILDKITE_PIPELINE_SLUG ' +
        '(the key prefix of the pipeline-level secrets)',
    );
  }
  return {
    bucket: values.BUILDKITE_PLUGIN_S3_SECRETS_BUCKET,
    prefix,
    repository: values.BUILDKITE_REPO,
    skipSshKeyWarning: isTruthy(values.BUILDKITE_PLUGIN_S3_SECRETS_SKIP_SSH_KEY_NOT_FOUND_WARNING),
    ...connectionFromValues(values),
  };
}

/**
 * Reads only how to reach S3 (endpoint, region, retries, deadline), for subcommands that take the bucket as an argument.
 * @throws ConfigurationError naming every bad variable.
 */
export function readConnectionConfig(environment: NodeJS.ProcessEnv): ConnectionConfig {
  const result = environmentSchema.safeParse(nonEmpty(environment));
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new ConfigurationError(`invalid configuration: ${problems.join('; ')}`);
  }
  return connectionFromValues(result.data);
}

function connectionFromValues(values: z.infer<typeof environmentSchema>): ConnectionConfig {
  const ignoreEndpoints = isTruthy(values.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS);
  return {
    endpoint: ignoreEndpoints ? undefined : (values.AWS_ENDPOINT_URL_S3 ?? values.AWS_ENDPOINT_URL),
    regionHint: values.BUILDKITE_PLUGIN_S3_SECRETS_REGION,
    currentRegion: values.AWS_REGION ?? values.AWS_DEFAULT_REGION,
    maxAttempts: Number(values.BUILDKITE_PLUGIN_S3_SECRETS_MAX_ATTEMPTS ?? DEFAULT_MAX_ATTEMPTS),
    deadlineMs: Number(values.BUILDKITE_PLUGIN_S3_SECRETS_DEADLINE_SECONDS ?? DEFAULT_DEADLINE_SECONDS) * 1000,
  };
}
