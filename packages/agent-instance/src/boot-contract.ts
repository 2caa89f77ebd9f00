/**
 * The boot contract: everything an agent instance receives from the stack, defined once.
 *
 * Two sides use it:
 * - **The stack** (apps/infra, at synth time) calls `renderBootContract(input, { isToken })` and writes the returned
 *   one-line JSON into the launch template's user data. Values may be CloudFormation tokens (bucket names, the stack
 *   name, parameter ARNs): `isToken` (pass `Token.isUnresolved` from aws-cdk-lib) tells which; those strings are
 *   kept verbatim (`${Token[…]}`) and skipped by validation, every other value is validated there and then, so a bad
 *   option fails the synth, not the boot. Because every token's resolved value is an AWS name or ARN (no quotes,
 *   backslashes or newlines), CDK's ordinary string-token resolution — e.g. `Fn.sub`, `UserData.addCommands`, or
 *   `Stack.of(scope).toJsonString(JSON.parse(text))` — turns the text into a valid JSON document. Numbers must be
 *   concrete at synth time; a number token is refused.
 * - **The instance** (the boot program) calls `parseBootContract(text)` on the document it finds in user data and
 *   gets a fully defaulted `BootContract`, or one `BootContractError` naming every bad field and its fix.
 *
 * The rendered document carries every default explicitly, so what an instance does never depends on which defaults
 * its image was built with; `version` changes whenever a field changes meaning, and an image refuses versions it does
 * not know. Unknown fields are refused (a typo must not silently become a default). The agent token itself is never
 * part of the contract, only where to read it.
 */
import { INSTANCE_BROKER_URL_MAX_LENGTH, isInstanceBrokerUrl } from '@elastic-ci/instance-broker/client';
import * as z from 'zod';
import { BootContractError } from './errors.js';

export { BootContractError } from './errors.js';

/** The contract version this package writes and understands. */
export const BOOT_CONTRACT_VERSION = 1;

/** EC2 limit on raw user data (before base64). */
export const USER_DATA_MAX_BYTES = 16 * 1024;

/**
 * Budget for the rendered contract. The field limits below keep even a maximal contract under it, which leaves
 * `USER_DATA_MAX_BYTES - BOOT_CONTRACT_MAX_BYTES` for the launch script that carries it.
 */
export const BOOT_CONTRACT_MAX_BYTES = 12 * 1024;

/** Agent tag keys the boot adds itself (from the contract and instance metadata); a configured tag may not set them. */
export const RESERVED_AGENT_TAG_KEYS = ['queue', 'stack', 'stack-version', 'instance-id'] as const;

/** Retention values CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export interface BootContractSchemaOptions {
  /**
   * Says whether a value is a deploy-time token (aws-cdk-lib's `Token.isUnresolved`). Token strings pass unchecked
   * and are kept verbatim; token numbers are refused (numbers must be concrete at synth time).
   */
  isToken?: ((value: unknown) => boolean) | undefined;
}

const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const STACK_VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/;
const GROUP_NAME = /^[\x20-\x7e]{1,255}$/;
const QUEUE = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$/;
const PARAMETER_PATH = /^\/[A-Za-z0-9_.\-/]{1,255}$/;
const PARAMETER_ARN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/[A-Za-z0-9_.\-/]{1,200}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,200}$/;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const KMS_KEY =
  /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]{1,128}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias\/[A-Za-z0-9/_-]{1,128})$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ABSOLUTE_PATH = /^\/[A-Za-z0-9._\-/]{0,127}$/;
/** Directories a directory the boot chowns to buildkite-agent (or mounts a fresh file system on) must not be or hold. */
const SYSTEM_DIRECTORIES = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/home',
  '/lib',
  '/lib64',
  '/opt',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/srv',
  '/sys',
  '/tmp',
  '/usr',
  '/var/lib/buildkite-agent',
  '/var/lib/docker',
  '/var/lib/elastic-ci',
  '/var/log',
];
/** System trees nothing of the agent's may live in. */
const SYSTEM_TREES = ['/bin', '/boot', '/dev', '/etc', '/lib', '/lib64', '/proc', '/run', '/sbin', '/sys', '/usr'];

/**
 * Whether `path` (absolute, no `..`) may be a directory of the agent's own: one spelling only (no `.` or empty
 * segment, so not `/` either), neither a system directory nor above one, nor inside a system tree.
 */
export function isOwnDirectory(path: string): boolean {
  const segments = path.split('/').slice(1);
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) return false;
  const isAtOrAbove = (directory: string) => directory === path || directory.startsWith(`${path}/`);
  const isInside = (tree: string) => path.startsWith(`${tree}/`);
  return !SYSTEM_DIRECTORIES.some(isAtOrAbove) && !SYSTEM_TREES.some(isInside);
}
const LOG_GROUP = /^[A-Za-z0-9_\-/.#]{1,128}$/;
const TAG = /^[A-Za-z0-9_.:/-]{1,48}=[^,\s"\\]{0,63}$/;
const EXPERIMENT = /^[a-z0-9][a-z0-9-]{0,47}$/;
const GO_DURATION = /^(\d{1,6}[smhd]){1,4}$/;
const SYSTEMD_SIZE = /^(\d{1,12}[KMGT]?|([1-9]\d?|100)%|infinity)$/;
const CPU_QUOTA = /^\d{1,5}%$/;
const JWKS_KEY_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
/**
 * A Docker image reference (`[registry[:port]/]path[:tag][@sha256:digest]`, Docker's grammar), at most 190
 * characters; it is passed to `docker pull` as one argument (never through a shell), and may not start with `-`.
 */
const IMAGE_REFERENCE =
  /^(?=.{1,190}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::\d{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
/** Auto Scaling's lifecycle hook name characters; the stack names its hooks, so 64 is plenty. */
const LIFECYCLE_HOOK_NAME = /^[A-Za-z0-9_/-]{1,64}$/;

type ErrorMap = (issue: z.core.$ZodRawIssue) => string | undefined;

/** Messages for zod's built-in checks. Never uses `issue.input`: a mistyped field could hold a secret. */
const builtInMessages: ErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? `is required (${issue.expected})`
        : `must be ${article(issue.expected)} (got ${describeType(issue.input)})`;
    // Numbers and strings carry their own messages; only list lengths come here.
    case 'too_small':
      return `needs at least ${issue.minimum} entr${issue.minimum === 1 ? 'y' : 'ies'}`;
    case 'too_big':
      return `has more than ${issue.maximum} entries; keep at most ${issue.maximum}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'unrecognized_keys':
      return unknownFieldsMessage(issue.keys);
    default:
      return undefined;
  }
};

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

const TOKEN_LIKE_KEY = /token|secret|password|credential/i;

/** Only names shaped like our field names are shown: a stray key may itself be a secret. */
const SHOWABLE_KEY = /^[a-z][A-Za-z]{0,39}$/;

function unknownFieldsMessage(keys: readonly string[]): string {
  const shown = keys.filter((key) => SHOWABLE_KEY.test(key));
  const hidden = keys.length - shown.length;
  const listed = [
    ...shown.map((key) => JSON.stringify(key)),
    ...(hidden === 0 ? [] : [`${hidden} more not shown (not shaped like a field name)`]),
  ].join(', ');
  const tokenHint = keys.some((key) => TOKEN_LIKE_KEY.test(key) && key !== 'token')
    ? '; a secret never goes into the boot contract: store it in SSM or Secrets Manager and give its location in agent.token'
    : '';
  return `has unknown field${keys.length === 1 ? '' : 's'} ${listed} (check the spelling against the README table, or remove ${keys.length === 1 ? 'it' : 'them'})${tokenHint}`;
}

type FetchScheme = 's3' | 'ssm' | 'https';

/**
 * Longest fetch URL (env file, bootstrap script, authorized users). An s3:// or https:// location of such a file is
 * far shorter; a presigned URL (with a session token, well over 1,000 characters) never fit. 320, not more: three of
 * them sit in the 12 KB contract budget next to the tags and the broker URL.
 */
const FETCH_URL_MAX_LENGTH = 320;

// The broker URL's check is the broker package's (lifecycled takes the same URL with the same rule).
export { INSTANCE_BROKER_URL_MAX_LENGTH, isInstanceBrokerUrl };

/** Why each scheme is accepted; `http:` and `file:` are refused (plaintext fetch of code, or a path the AMI lacks). */
function fetchUrlProblem(url: string, schemes: readonly FetchScheme[]): string | undefined {
  const accepted = schemes
    .map((scheme) => ({ s3: 's3://bucket/key', ssm: 'ssm:/parameter/path', https: 'https://host/path' })[scheme])
    .join(', ');
  const expectation = `must be ${accepted} (http:// and file:// are refused)`;
  if (url.length > FETCH_URL_MAX_LENGTH) return `is longer than ${FETCH_URL_MAX_LENGTH} characters`;
  if (url.startsWith('s3://') && schemes.includes('s3')) {
    const [bucket = '', ...key] = url.slice('s3://'.length).split('/');
    if (!BUCKET.test(bucket)) return `${expectation}: the bucket name is not a valid S3 bucket name`;
    if (key.join('/') === '') return `${expectation}: the object key is missing`;
    return undefined;
  }
  if (url.startsWith('ssm:') && schemes.includes('ssm')) {
    return PARAMETER_PATH.test(url.slice('ssm:'.length))
      ? undefined
      : `${expectation}: the parameter path must start with / and use only A-Z a-z 0-9 _ . - /`;
  }
  if (url.startsWith('https://') && schemes.includes('https')) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return `${expectation}: it is not a valid URL`;
    }
    if (parsed.username !== '' || parsed.password !== '') {
      return 'must not carry credentials in the URL: grant the instance role access instead, or use s3:// or ssm:';
    }
    return undefined;
  }
  return expectation;
}

/**
 * Builds the schema. `bootContractSchema` is the strict one (the instance parses with it); the stack renders through
 * a token-tolerant copy built with `isToken`.
 */
export function createBootContractSchema(options: BootContractSchemaOptions = {}) {
  const { isToken } = options;
  const errorMap: z.core.$ZodErrorMap = (issue) => builtInMessages(issue);

  /** A string checked by `base`, or any deploy-time token when `isToken` says so. */
  const text = (base: z.ZodType<string>): z.ZodType<string> => {
    if (isToken === undefined) return base;
    return z.string().superRefine((value, context) => {
      if (isToken(value)) return;
      const result = base.safeParse(value, { error: errorMap });
      if (result.success) return;
      for (const issue of result.error.issues) {
        context.addIssue({ code: 'custom', message: issue.message, path: issue.path });
      }
    });
  };
  const matching = (pattern: RegExp, message: string) => text(z.string().regex(pattern, { message }));
  const fetchUrl = (schemes: readonly FetchScheme[]) =>
    text(
      z.string().superRefine((url, context) => {
        const problem = fetchUrlProblem(url, schemes);
        if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
      }),
    );
  const integer = (minimum: number, maximum: number) =>
    z
      .number()
      .int()
      .min(minimum, { message: `must be an integer from ${minimum} to ${maximum}` })
      .max(maximum, { message: `must be an integer from ${minimum} to ${maximum}` });
  const anyAbsolutePath = () =>
    matching(ABSOLUTE_PATH, 'must be an absolute path of A-Z a-z 0-9 . _ - / (at most 128 characters)').refine(
      (path) => isToken?.(path) === true || !path.split('/').includes('..'),
      { message: 'must not contain ".." segments; give the real path' },
    );
  const absolutePath = (description: string) => anyAbsolutePath().describe(description);
  /** A directory the boot hands to buildkite-agent, or mounts a file system on: never `/` or a system directory. */
  const ownDirectory = (description: string) =>
    anyAbsolutePath()
      // Checked only on a well-formed path: one problem per field, the one above when the path itself is bad.
      .refine(
        (path) =>
          isToken?.(path) === true ||
          !ABSOLUTE_PATH.test(path) ||
          path.split('/').includes('..') ||
          isOwnDirectory(path),
        {
          message:
            'must be a directory of its own (the boot makes it buildkite-agent\'s or mounts on it, and a full disk may empty the build path): not /, a system directory such as /etc, /usr, /var or /home, or inside /etc or /usr; no "." or empty segments',
        },
      )
      .describe(description);
  const bucket = (description: string) =>
    matching(
      BUCKET,
      'must be an S3 bucket name (3–63 of a-z 0-9 . -, starting and ending with a letter or digit)',
    ).describe(description);
  const region = (description: string) =>
    matching(REGION, 'must be an AWS region such as us-east-1 or eu-central-2').describe(description);
  const parameterName = (description: string) =>
    matching(
      PARAMETER_PATH,
      'must be an SSM parameter path such as /elastic-ci/signing-key (starts with /; A-Z a-z 0-9 _ . - /)',
    ).describe(description);
  const logGroup = (fallback: string, description: string) =>
    matching(LOG_GROUP, 'must be a CloudWatch Logs group name (A-Z a-z 0-9 _ - / . #, at most 128 characters)')
      .default(fallback)
      .describe(description);

  const tokenLocation = z
    .discriminatedUnion(
      'kind',
      [
        z
          .object({
            kind: z.literal('ssm-parameter'),
            name: text(
              z.string().refine((name) => PARAMETER_PATH.test(name) || PARAMETER_ARN.test(name), {
                message:
                  'must be an SSM parameter path such as /elastic-ci/agent-token or a parameter ARN (shared across accounts)',
              }),
            ).describe('Parameter name (path) or ARN of the SecureString or String parameter that holds the token.'),
          })
          .strict(),
        z
          .object({
            kind: z.literal('secrets-manager'),
            secretArn: matching(
              SECRET_ARN,
              'must be a Secrets Manager secret ARN such as arn:aws:secretsmanager:us-east-1:123456789012:secret:agent-token-AbCdEf',
            ).describe('ARN of the secret whose SecretString is the token.'),
          })
          .strict(),
      ],
      {
        error: (issue) =>
          issue.code === 'invalid_union'
            ? 'must be {"kind":"ssm-parameter","name":"/path"} or {"kind":"secrets-manager","secretArn":"arn:…"} (never the token itself)'
            : undefined,
      },
    )
    .describe(
      'Where the boot reads the agent registration token: `{ kind: "ssm-parameter", name }` or `{ kind: "secrets-manager", secretArn }`. Never the token itself.',
    );

  const agentTag = matching(
    TAG,
    'must be key=value (key: A-Z a-z 0-9 _ . : / -, up to 48; value: up to 63 characters without spaces, commas, quotes or backslashes)',
  ).refine(
    (tag) =>
      isToken?.(tag) === true || !(RESERVED_AGENT_TAG_KEYS as readonly string[]).includes(tag.split('=', 1)[0] ?? ''),
    { message: `must not set ${RESERVED_AGENT_TAG_KEYS.join(', ')}: the boot adds those tags itself` },
  );

  const signing = z
    .object({
      kmsKeyId: matching(KMS_KEY, 'must be a KMS key id, key ARN, alias/name or alias ARN')
        .optional()
        .describe(
          'KMS key (id, ARN or alias) the agent signs and verifies pipelines with (`signing-aws-kms-key`). Excludes jwksParameter.',
        ),
      jwksParameter: parameterName(
        'SSM parameter holding the signing JWKS, written to /etc/buildkite-agent/signing-key.json (`signing-jwks-file`). Excludes kmsKeyId.',
      ).optional(),
      jwksKeyId: matching(JWKS_KEY_ID, 'must be a JWKS key id of A-Z a-z 0-9 _ . : - (at most 128 characters)')
        .optional()
        .describe('Key id inside the signing JWKS (`signing-jwks-key-id`); needs jwksParameter.'),
      verificationJwksParameter: parameterName(
        'SSM parameter holding the verification JWKS (`verification-jwks-file`).',
      ).optional(),
      verificationFailureBehavior: z
        .enum(['block', 'warn'])
        .default('block')
        .describe('What the agent does with a job whose signature does not verify (`verification-failure-behavior`).'),
    })
    .strict()
    .superRefine((section, context) => {
      if (section.kmsKeyId !== undefined && section.jwksParameter !== undefined) {
        context.addIssue({
          code: 'custom',
          path: ['jwksParameter'],
          message: 'kmsKeyId and jwksParameter are mutually exclusive: sign with a KMS key or with a JWKS, not both',
        });
      }
      if (section.jwksKeyId !== undefined && section.jwksParameter === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['jwksKeyId'],
          message: 'needs jwksParameter (the key id names a key inside that JWKS)',
        });
      }
      if (
        section.kmsKeyId === undefined &&
        section.jwksParameter === undefined &&
        section.verificationJwksParameter === undefined
      ) {
        context.addIssue({
          code: 'custom',
          message: 'sets no key: give kmsKeyId, jwksParameter or verificationJwksParameter, or leave signing out',
        });
      }
    })
    .optional()
    .describe('Pipeline signing. Absent: jobs are neither signed nor verified.');

  const ipv4Cidr = (maxPrefix: number) =>
    matching(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, 'must be an IPv4 CIDR such as 172.17.0.0/12').refine(
      (cidr) => {
        if (isToken?.(cidr) === true) return true;
        const [address = '', prefix = ''] = cidr.split('/');
        return address.split('.').every((octet) => Number(octet) <= 255) && Number(prefix) <= maxPrefix;
      },
      { message: `must be an IPv4 CIDR with octets up to 255 and a prefix up to /${maxPrefix}` },
    );
  const ipv6Cidr = matching(
    /^[0-9a-fA-F]{0,4}(:[0-9a-fA-F]{0,4}){2,7}\/(\d|[1-9]\d|1[01]\d|12[0-8])$/,
    'must be an IPv6 CIDR such as 2001:db8:2::/104',
  );

  return z
    .object({
      version: z
        .literal(BOOT_CONTRACT_VERSION, {
          error: `must be ${BOOT_CONTRACT_VERSION}: this agent image understands boot contract version ${BOOT_CONTRACT_VERSION} only; build the image from the same release as the stack`,
        })
        .describe('Boot contract version; an image refuses a version it does not know.'),
      stack: z
        .object({
          name: matching(
            STACK_NAME,
            'must be a CloudFormation stack name (a letter, then up to 127 of A-Z a-z 0-9 -)',
          ).describe('Stack name; agent tag `stack`, agent names `<stack>-<instance id>-<n>`.'),
          region: region('Region of the stack and of its parameters, secrets and log groups.'),
          version: matching(
            STACK_VERSION,
            'must be a version such as 1.4.0 (up to 64 of A-Z a-z 0-9 . + _ -)',
          ).describe('Version of the elastic-ci stack; agent tag `stack-version`.'),
          autoScalingGroupName: matching(GROUP_NAME, 'must be an Auto Scaling group name (1–255 printable characters)')
            .optional()
            .describe(
              "The instance's Auto Scaling group. Absent: the boot reads it from the instance tag `aws:autoscaling:groupName` (the launch template cannot name a group that references it).",
            ),
        })
        .strict()
        .describe('Which stack the instance belongs to.'),
      agent: z
        .object({
          queue: matching(QUEUE, 'must be a queue name (a letter or digit, then up to 99 of A-Z a-z 0-9 _ . : / -)')
            .default('default')
            .describe('Buildkite queue; agent tag `queue`. The scaler watches the same queue.'),
          token: tokenLocation,
          endpoint: text(
            z.string().superRefine((url, context) => {
              let parsed: URL | undefined;
              try {
                parsed = new URL(url);
              } catch {
                parsed = undefined;
              }
              if (
                parsed?.protocol !== 'https:' ||
                url.length > 256 ||
                parsed.username !== '' ||
                parsed.password !== ''
              ) {
                context.addIssue({
                  code: 'custom',
                  message: 'must be an https:// URL without credentials (at most 256 characters)',
                });
              }
            }),
          )
            .default('https://agent-edge.buildkite.com/v3')
            .describe('Buildkite agent API endpoint (`endpoint`).'),
          tags: z
            .array(agentTag)
            .max(24)
            .default([])
            .describe(
              `Extra agent tags, each \`key=value\` (at most 24). ${RESERVED_AGENT_TAG_KEYS.join(', ')} are added at boot.`,
            ),
          agentsPerInstance: integer(1, 64)
            .default(1)
            .describe('Agents per instance (`spawn`); the scaler divides waiting jobs by it.'),
          priority: integer(-10_000, 10_000)
            .optional()
            .describe('Agent priority (`priority`). Absent: each spawned agent gets its index (`%n`).'),
          idleDisconnectTimeoutSeconds: integer(0, 604_800)
            .default(600)
            .describe(
              'Seconds an agent may idle before it exits (`disconnect-after-idle-timeout`); 0 never exits. When every agent has exited idle, the instance terminates.',
            ),
          disconnectAfterJob: z
            .boolean()
            .default(false)
            .describe('Exit after one job (`disconnect-after-job`): one job per instance.'),
          disconnectAfterUptimeSeconds: integer(0, 31_536_000)
            .default(0)
            .describe('Maximum agent uptime in seconds (`disconnect-after-uptime`); 0 is no limit.'),
          timestampLines: z
            .boolean()
            .default(false)
            .describe('Prefix every log line with a timestamp (`timestamp-lines`, `no-ansi-timestamps`).'),
          experiments: z
            .array(matching(EXPERIMENT, 'must be an experiment name of a-z 0-9 - (at most 48 characters)'))
            .max(16)
            .default([])
            .describe('Agent experiments (`experiment`).'),
          tracingBackend: z
            .enum(['none', 'datadog', 'opentelemetry'])
            .default('none')
            .describe('Job tracing backend (`tracing-backend`).'),
          cancelGracePeriodSeconds: integer(1, 3600)
            .default(60)
            .describe('Seconds a cancelled job gets before it is killed (`cancel-grace-period`).'),
          signalGracePeriodSeconds: integer(-1, 3600)
            .default(-1)
            .describe(
              'Seconds between the cancel signal and SIGKILL for the job process (`signal-grace-period-seconds`), less than cancelGracePeriodSeconds; -1 derives it from the cancel grace period (minus one second).',
            ),
          gitMirrorsEnabled: z
            .boolean()
            .default(false)
            .describe('Keep git mirrors at paths.gitMirrors (`git-mirrors-path`).'),
          gitMirrorSeedBucket: bucket(
            'Bucket whose `git-mirror-seeds/` objects seed the mirrors at boot; needs gitMirrorsEnabled.',
          ).optional(),
          pluginsEnabled: z.boolean().default(true).describe('Allow pipeline plugins (`no-plugins` when false).'),
          localHooksEnabled: z
            .boolean()
            .default(true)
            .describe('Run hooks from the checked-out repository (`no-local-hooks` when false).'),
          envFileUrl: fetchUrl(['s3', 'ssm', 'https'])
            .optional()
            .describe(
              'Environment for the agent process (not jobs), fetched at boot: `s3://`, `ssm:/path` (every parameter under the path, NAME=value) or `https://`.',
            ),
          bootstrapScriptUrl: fetchUrl(['s3', 'https'])
            .optional()
            .describe(
              'Script run as root during boot, before the agent starts; its failure fails the boot. `s3://` or `https://`.',
            ),
        })
        .strict()
        .superRefine((section, context) => {
          // The agent computes the same (buildkite-agent start: signalGracePeriod) and exits at once when it fails:
          // every instance would boot, fail to start its agent and be replaced.
          if (
            section.signalGracePeriodSeconds >= 0 &&
            section.signalGracePeriodSeconds >= section.cancelGracePeriodSeconds
          ) {
            context.addIssue({
              code: 'custom',
              path: ['signalGracePeriodSeconds'],
              message:
                'must be less than agent.cancelGracePeriodSeconds (the agent refuses to start otherwise): lower it, or use -1 for the cancel grace period minus one second',
            });
          }
          if (section.gitMirrorSeedBucket !== undefined && !section.gitMirrorsEnabled) {
            context.addIssue({
              code: 'custom',
              path: ['gitMirrorSeedBucket'],
              message: 'needs gitMirrorsEnabled: true (seeds are only used for git mirrors)',
            });
          }
        })
        .describe('The Buildkite agent.'),
      paths: z
        .object({
          hooks: absolutePath('Agent hooks directory (`hooks-path`).').default('/etc/buildkite-agent/hooks'),
          builds: ownDirectory('Checkout directory (`build-path`).').default('/var/lib/buildkite-agent/builds'),
          plugins: ownDirectory('Plugin checkout directory (`plugins-path`).').default(
            '/var/lib/buildkite-agent/plugins',
          ),
          gitMirrors: ownDirectory('Git mirror directory, used when agent.gitMirrorsEnabled.').default(
            '/var/lib/buildkite-agent/git-mirrors',
          ),
        })
        .strict()
        .prefault({})
        .describe('Directories on the instance.'),
      signing,
      secrets: z
        .object({
          bucket: bucket('Secrets bucket read by the S3 secrets hook (`BUILDKITE_PLUGIN_S3_SECRETS_BUCKET`).'),
          region: region(
            'Region of the bucket (`BUILDKITE_PLUGIN_S3_SECRETS_REGION`). Absent: the hook asks S3.',
          ).optional(),
          prefix: matching(
            /^[A-Za-z0-9_.\-/]{1,128}$/,
            'must be a key prefix of A-Z a-z 0-9 _ . - / (at most 128 characters)',
          )
            .optional()
            .describe(
              'Key prefix of pipeline secrets (`BUILDKITE_PLUGIN_S3_SECRETS_BUCKET_PREFIX`). Absent: the pipeline slug.',
            ),
          skipSshKeyNotFoundWarning: z
            .boolean()
            .default(false)
            .describe('Silence the hook warning when no SSH key is found.'),
        })
        .strict()
        .optional()
        .describe('S3 secrets hook. Absent: the hook is off.'),
      artifacts: z
        .object({
          bucket: bucket('Artifacts bucket the instance role may write (`BUILDKITE_ARTIFACTS_BUCKET` for jobs).'),
          region: region(
            'Region of the artifacts bucket (`BUILDKITE_S3_DEFAULT_REGION`). Absent: the stack region.',
          ).optional(),
          acl: z
            .enum([
              'private',
              'public-read',
              'public-read-write',
              'authenticated-read',
              'aws-exec-read',
              'bucket-owner-read',
              'bucket-owner-full-control',
            ])
            .default('private')
            .describe('Canned ACL for uploaded artifacts (`BUILDKITE_S3_ACL`).'),
        })
        .strict()
        .optional()
        .describe('Artifacts bucket handed to jobs. Absent: none.'),
      docker: z
        .object({
          userNamespaceRemap: z
            .boolean()
            .default(true)
            .describe('Remap container root to the buildkite-agent user (`userns-remap`).'),
          experimental: z.boolean().default(false).describe('Docker experimental features (forced on for dualstack).'),
          networkingProtocol: z
            .enum(['ipv4', 'dualstack'])
            .default('ipv4')
            .describe('Container networking: IPv4 only, or IPv4 and IPv6.'),
          addressPools: z
            .array(
              z
                .object({
                  base: ipv4Cidr(30).describe('Pool CIDR.'),
                  size: integer(8, 30).describe('Prefix length of each network carved from the pool.'),
                })
                .strict(),
            )
            .min(1)
            .max(4)
            .default([
              { base: '172.17.0.0/12', size: 20 },
              { base: '192.168.0.0/16', size: 24 },
            ])
            .describe('IPv4 `default-address-pools` for container networks.'),
          fixedCidrV4: ipv4Cidr(30)
            .optional()
            .describe('Bridge `fixed-cidr` (inside the first pool). Absent: Docker picks.'),
          ipv6AddressPool: ipv6Cidr
            .default('2001:db8:2::/104')
            .describe('IPv6 address pool (networks of /112), used with dualstack.'),
          fixedCidrV6: ipv6Cidr.default('2001:db8:1::/64').describe('Bridge `fixed-cidr-v6`, used with dualstack.'),
          dataRoot: absolutePath(
            'Docker `data-root`. Absent: /var/lib/docker, or `<instance store>/docker` with storage.instanceStoreRaid0.',
          ).optional(),
          buildxDefaultBuilder: z
            .boolean()
            .default(true)
            .describe(
              'Make buildx (BuildKit) the builder behind `docker build`; false: the classic builder (daemon.json `features.buildkit: false`).',
            ),
          builderPruneEnabled: z
            .boolean()
            .default(false)
            .describe('Hooks also prune the build cache (`docker builder prune`).'),
          pruneUntil: matching(GO_DURATION, 'must be a duration such as 4h, 30m or 1d12h')
            .default('4h')
            .describe('Age filter for hook-time and timer prunes (`until=`).'),
          preExitDiskCleanup: z
            .boolean()
            .default(false)
            .describe('Also run the disk check and prune in the pre-exit hook.'),
          prePullImages: z
            .array(
              matching(
                IMAGE_REFERENCE,
                'must be an image reference such as public.ecr.aws/docker/library/node:22 or 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:<64 hex digits> (at most 190 characters)',
              ),
            )
            .max(4)
            .default([])
            .describe(
              'Images pulled while the instance is `Warmed:*` (warm pool), after an ECR login for ECR images (at most 4): a cache, so a failed pull is logged and the boot goes on.',
            ),
        })
        .strict()
        .prefault({})
        .describe('Docker daemon and cleanup.'),
      registries: z
        .object({
          ecrPolicy: z
            .enum(['none', 'readonly', 'readonly-pullthrough', 'poweruser', 'poweruser-pullthrough', 'full'])
            .default('none')
            .describe('ECR access the instance role has (`BUILDKITE_ECR_POLICY`); `none` turns the ECR login off.'),
          ecrLoginEnabled: z
            .boolean()
            .default(true)
            .describe(
              'Log in to ECR in the environment hook (when ecrPolicy is not none); a pipeline may turn it off.',
            ),
          ecrCredentialHelper: z
            .boolean()
            .default(false)
            .describe('Use the ECR credential helper instead of `docker login`.'),
          dockerLoginEnabled: z
            .boolean()
            .default(true)
            .describe('Log in with `DOCKER_LOGIN_USER`/`DOCKER_LOGIN_PASSWORD` in the pre-command hook.'),
        })
        .strict()
        .prefault({})
        .describe('Built-in registry logins.'),
      storage: z
        .object({
          instanceStoreRaid0: z
            .boolean()
            .default(false)
            .describe('Put NVMe instance-store volumes in RAID0 and keep builds, mirrors and Docker there.'),
          instanceStoreMountPath: ownDirectory('Mount point of the instance store.').default('/mnt/ephemeral'),
          mountTmpfsAtTmp: z.boolean().default(true).describe('Keep /tmp on tmpfs (false: /tmp on the root disk).'),
        })
        .strict()
        .prefault({})
        .describe('Disks.'),
      disk: z
        .object({
          minFreeGigabytes: integer(0, 10_000)
            .default(5)
            .describe('Free space (GB) under the build path below which hooks prune, then fail the job.'),
          minFreeInodesPercent: integer(0, 100)
            .default(10)
            .describe('Free inodes (%) below which hooks prune, then fail the job.'),
          terminateInstanceOnDiskFull: z
            .boolean()
            .default(false)
            .describe('Replace the instance when pruning cannot free enough.'),
          purgeBuildsOnDiskFull: z
            .boolean()
            .default(false)
            .describe("Last resort: delete the agent's checkouts when pruning cannot free enough."),
        })
        .strict()
        .prefault({})
        .describe('Disk thresholds.'),
      resourceLimits: z
        .object({
          memoryHigh: matching(SYSTEMD_SIZE, 'must be bytes (e.g. 8G), a percentage (1–100%) or infinity')
            .default('90%')
            .describe('Slice `MemoryHigh`.'),
          memoryMax: matching(SYSTEMD_SIZE, 'must be bytes (e.g. 8G), a percentage (1–100%) or infinity')
            .default('90%')
            .describe('Slice `MemoryMax`.'),
          memorySwapMax: matching(SYSTEMD_SIZE, 'must be bytes (e.g. 8G), a percentage (1–100%) or infinity')
            .default('90%')
            .describe('Slice `MemorySwapMax`.'),
          cpuWeight: integer(1, 10_000).default(100).describe('Slice `CPUWeight`.'),
          cpuQuota: matching(CPU_QUOTA, 'must be a percentage such as 90% or 200%')
            .default('90%')
            .describe('Slice `CPUQuota`.'),
          ioWeight: integer(1, 10_000).default(80).describe('Slice `IOWeight`.'),
        })
        .strict()
        .optional()
        .describe('Run the agent in a `buildkite-agent.slice` with these systemd limits. Absent: no slice.'),
      lifecycled: z
        .object({
          handlerPath: absolutePath('Handler lifecycled runs on a termination notice.').default(
            '/usr/local/bin/stop-agent-gracefully',
          ),
          heartbeatIntervalSeconds: integer(1, 3600)
            .default(10)
            .describe('Lifecycle-action heartbeat interval while the agent drains.'),
          mode: z
            .enum(['lifecycle-state', 'sqs'])
            .default('lifecycle-state')
            .describe(
              'How termination notices arrive: instance metadata `target-lifecycle-state` (needs no SNS/SQS), or an SQS queue subscribed to snsTopicArn.',
            ),
          snsTopicArn: matching(
            SNS_TOPIC_ARN,
            'must be an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:hooks',
          )
            .optional()
            .describe('Lifecycle hook topic; required with mode sqs, refused otherwise.'),
          spotListener: z.boolean().default(true).describe('Also drain on spot interruption notices.'),
        })
        .strict()
        .superRefine((section, context) => {
          if (section.mode === 'sqs' && section.snsTopicArn === undefined) {
            context.addIssue({ code: 'custom', path: ['snsTopicArn'], message: 'is required with mode "sqs"' });
          }
          if (section.mode !== 'sqs' && section.snsTopicArn !== undefined) {
            context.addIssue({
              code: 'custom',
              path: ['snsTopicArn'],
              message: 'only applies with mode "sqs"; remove it or set mode to "sqs"',
            });
          }
        })
        .prefault({})
        .describe('The lifecycled daemon that drains the agent before termination.'),
      lifecycle: z
        .object({
          warmPoolEnabled: z
            .boolean()
            .default(false)
            .describe('The group has a warm pool: while `Warmed:*`, prepare but do not start the agent.'),
          launchHookName: matching(LIFECYCLE_HOOK_NAME, 'must be a lifecycle hook name: 1 to 64 of A-Z a-z 0-9 _ / -')
            .optional()
            .describe(
              'Launch lifecycle hook (`autoscaling:EC2_INSTANCE_LAUNCHING`) of the group: the boot completes it with CONTINUE once the instance is prepared (before the agent starts, and again when a warm-pool instance goes InService), with ABANDON when the boot fails. Absent: no launch hook.',
            ),
          terminateOnIdle: z
            .boolean()
            .default(true)
            .describe(
              'When every agent has exited idle, terminate the instance and decrement desired capacity (other exits replace the instance).',
            ),
          protectWhileBusy: z
            .boolean()
            .default(true)
            .describe('Protect the instance from scale-in while a job runs (`SetInstanceProtection`).'),
          releaseProtectionWhenIdle: z
            .boolean()
            .default(true)
            .describe('Clear scale-in protection when the last job ends, so the scaler may drain the instance.'),
          instanceBrokerUrl: text(
            z.string().superRefine((url, context) => {
              if (!isInstanceBrokerUrl(url)) {
                context.addIssue({
                  code: 'custom',
                  message: `must be an https:// function URL without credentials, query or fragment (at most ${INSTANCE_BROKER_URL_MAX_LENGTH} characters; http:// only to a loopback address, for local fronts in tests)`,
                });
              }
            }),
          )
            .optional()
            .describe(
              "Function URL of the stack's instance broker: the instance's Auto Scaling calls (scale-in protection, lifecycle actions, health, terminate) go through it, signed with the instance's credentials, and act on this instance only. Absent: the instance calls Auto Scaling itself (its role needs those permissions).",
            ),
        })
        .strict()
        .prefault({})
        .describe('Instance lifecycle.'),
      logs: z
        .object({
          cloudWatchAgentEnabled: z.boolean().default(true).describe('Ship instance logs with the CloudWatch agent.'),
          retentionDays: z
            .literal([...LOG_RETENTION_DAYS], { error: `must be one of ${LOG_RETENTION_DAYS.join(', ')}` })
            .optional()
            .describe('Retention the CloudWatch agent sets on the groups. Absent: retention is left as it is.'),
          groups: z
            .object({
              boot: logGroup('/elastic-ci/boot', 'Boot log (cloud-init and the boot program).'),
              agent: logGroup('/elastic-ci/buildkite-agent', 'Buildkite agent log.'),
              lifecycled: logGroup('/elastic-ci/lifecycled', 'lifecycled log.'),
              system: logGroup('/elastic-ci/system', 'System journal.'),
              docker: logGroup('/elastic-ci/docker', 'Docker daemon log.'),
            })
            .strict()
            .prefault({})
            .describe('Log group names; the stack passes per-stack names.'),
        })
        .strict()
        .prefault({})
        .describe('Instance logs.'),
      access: z
        .object({
          authorizedUsersUrl: fetchUrl(['s3', 'https'])
            .optional()
            .describe('`authorized_keys` for the login user, fetched at boot and hourly: `s3://` or `https://`.'),
          additionalSudoPermissions: matching(
            /^[A-Za-z0-9_.,:=*/ -]{1,256}$/,
            'must be a sudoers command list of A-Z a-z 0-9 _ . , : = * / - and spaces (at most 256 characters)',
          )
            .optional()
            .describe('Extra commands buildkite-agent may run with sudo (`buildkite-agent ALL=NOPASSWD: <value>`).'),
        })
        .strict()
        .prefault({})
        .describe('Login access to the instance.'),
    })
    .strict();
}

/** The strict schema the instance parses with. */
export const bootContractSchema = createBootContractSchema();

/** A parsed contract: every default filled in. */
export type BootContract = z.output<typeof bootContractSchema>;
/** What the stack provides: defaults may be left out. */
export type BootContractInput = z.input<typeof bootContractSchema>;

export interface RenderOptions extends BootContractSchemaOptions {}

function pathLabel(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(document)';
  return path.reduce<string>(
    (label, key) =>
      typeof key === 'number' ? `${label}[${key}]` : label === '' ? String(key) : `${label}.${String(key)}`,
    '',
  );
}

function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${pathLabel(issue.path)}: ${issue.message}`);
}

function fail(what: string, problems: readonly string[], cause?: unknown): never {
  throw new BootContractError(
    `${what} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    problems,
    cause === undefined ? undefined : { cause },
  );
}

/** Paths of every number that is a deploy-time token. */
function numberTokenPaths(
  value: unknown,
  isToken: (value: unknown) => boolean,
  path: PropertyKey[] = [],
): PropertyKey[][] {
  if (typeof value === 'number') return isToken(value) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => numberTokenPaths(item, isToken, [...path, index]));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => numberTokenPaths(item, isToken, [...path, key]));
  }
  return [];
}

const samePath = (left: readonly PropertyKey[], right: readonly PropertyKey[]) =>
  left.length === right.length && left.every((key, index) => key === right[index]);

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortedKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

const tokenTolerantSchemas = new WeakMap<(value: unknown) => boolean, ReturnType<typeof createBootContractSchema>>();

/**
 * Validates `input`, fills in every default and returns the contract as one line of JSON with sorted keys (the same
 * input always gives the same text, so the launch template only changes when a setting does).
 * @throws BootContractError listing every bad field (token strings are not checked; token numbers are refused), or
 *   when the text exceeds `BOOT_CONTRACT_MAX_BYTES`.
 */
export function renderBootContract(input: BootContractInput, options: RenderOptions = {}): string {
  const { isToken } = options;
  let schema = bootContractSchema;
  const tokenProblems: string[] = [];
  let tokenPaths: PropertyKey[][] = [];
  if (isToken !== undefined) {
    schema = tokenTolerantSchemas.get(isToken) ?? createBootContractSchema({ isToken });
    tokenTolerantSchemas.set(isToken, schema);
    tokenPaths = numberTokenPaths(input, isToken);
    for (const path of tokenPaths) {
      tokenProblems.push(`${pathLabel(path)}: is a deploy-time token; numbers must be concrete at synth time`);
    }
  }
  const result = schema.safeParse(input, { error: builtInMessages });
  const problems = [
    ...tokenProblems,
    ...(result.success ? [] : result.error.issues)
      .filter((issue) => !tokenPaths.some((path) => samePath(path, issue.path)))
      .map((issue) => `${pathLabel(issue.path)}: ${issue.message}`),
  ];
  if (problems.length > 0 || !result.success) fail('invalid boot contract', problems);
  const text = JSON.stringify(sortedKeys(result.data));
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > BOOT_CONTRACT_MAX_BYTES) {
    fail('boot contract too large', [
      `(document): renders to ${bytes} bytes, more than the ${BOOT_CONTRACT_MAX_BYTES} bytes left for it in the 16 KB of EC2 user data; shorten the longest values (tags, URLs)`,
    ]);
  }
  return text;
}

/**
 * Parses the document the stack rendered. Never echoes values: a mistyped field may hold a secret.
 * @throws BootContractError listing every bad field with its path and the fix.
 */
export function parseBootContract(text: string): BootContract {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    // The parser's message quotes the text around the error, which may hold a secret: keep only the position.
    const position = error instanceof Error ? /position \d+/.exec(error.message)?.[0] : undefined;
    fail(
      'invalid boot contract',
      [
        `(document): is not JSON${position === undefined ? '' : ` (at ${position})`}; the stack writes it with renderBootContract`,
      ],
      new Error('JSON.parse failed'),
    );
  }
  const result = bootContractSchema.safeParse(document, { error: builtInMessages });
  if (!result.success) {
    // Not the ZodError itself as cause: its issues carry the raw unknown keys, which may be secrets.
    const issues = result.error.issues.map(({ code, path, message }) => ({ code, path, message }));
    fail('invalid boot contract', problemsOf(result.error), issues);
  }
  return result.data;
}
