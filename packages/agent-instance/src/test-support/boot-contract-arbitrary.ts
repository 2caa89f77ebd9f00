import fc from 'fast-check';
import { BOOT_CONTRACT_VERSION, type BootContractInput, isOwnDirectory, LOG_RETENTION_DAYS } from '../boot-contract.js';

const bucket = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]$/);
const region = fc.constantFrom('us-east-1', 'eu-central-2', 'ap-southeast-4', 'us-gov-west-1');
const parameterPath = fc.stringMatching(/^\/[A-Za-z0-9_.\-/]{1,40}$/);
const absolutePath = fc
  .array(fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,10}$/), { minLength: 1, maxLength: 4 })
  .map((segments) => `/${segments.join('/')}`);
/** What the boot may hand to buildkite-agent or mount on (not a system directory such as /etc or /home). */
const ownDirectory = absolutePath.filter(isOwnDirectory);
const logGroup = fc.stringMatching(/^[A-Za-z0-9_\-/.#]{1,40}$/);
const ipv4Cidr = fc
  .tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255), fc.integer({ min: 0, max: 30 }))
  .map(([a, b, c, d, prefix]) => `${a}.${b}.${c}.${d}/${prefix}`);
const ipv6Cidr = fc.constantFrom('2001:db8:2::/104', 'fd00::/64', '2001:db8:1::/64', '::/0');
const fetchUrl = (schemes: readonly ('s3' | 'ssm' | 'https')[]) =>
  fc.oneof(
    ...schemes.map((scheme) =>
      scheme === 's3'
        ? fc.tuple(bucket, fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/)).map(([name, key]) => `s3://${name}/${key}`)
        : scheme === 'ssm'
          ? parameterPath.map((path) => `ssm:${path}`)
          : fc
              .webUrl({ validSchemes: ['https'], withQueryParameters: true, withFragments: false })
              .filter((url) => url.length <= 320),
    ),
  );
const size = fc.oneof(
  fc.integer({ min: 0, max: 999_999 }).map(String),
  fc.integer({ min: 1, max: 100 }).map((percent) => `${percent}%`),
  fc.constant('infinity'),
  fc.integer({ min: 1, max: 64 }).map((gigabytes) => `${gigabytes}G`),
);

/** Any valid boot contract input, with optional fields and sections sometimes left out. */
export const bootContractInputArbitrary: fc.Arbitrary<BootContractInput> = fc.record(
  {
    version: fc.constant(BOOT_CONTRACT_VERSION),
    stack: fc.record(
      {
        name: fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,40}$/),
        region,
        version: fc.stringMatching(/^[0-9A-Za-z][0-9A-Za-z.+_-]{0,20}$/),
        autoScalingGroupName: fc.stringMatching(/^[\x20-\x7e]{1,60}$/),
      },
      { requiredKeys: ['name', 'region', 'version'] },
    ),
    agent: fc
      .record(
        {
          queue: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,30}$/),
          token: fc.oneof(
            parameterPath.map((name) => ({ kind: 'ssm-parameter' as const, name })),
            fc.constant({
              kind: 'ssm-parameter' as const,
              name: 'arn:aws:ssm:us-east-1:123456789012:parameter/shared/agent-token',
            }),
            fc.stringMatching(/^[A-Za-z0-9/_+=.@-]{1,40}$/).map((name) => ({
              kind: 'secrets-manager' as const,
              secretArn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}`,
            })),
          ),
          endpoint: fc.webUrl({ validSchemes: ['https'] }).filter((url) => url.length <= 256),
          tags: fc.array(
            fc
              .tuple(fc.stringMatching(/^[A-Za-z0-9_.:/-]{1,20}$/), fc.stringMatching(/^[^,\s"\\]{0,20}$/))
              .filter(([key]) => !['queue', 'stack', 'stack-version', 'instance-id'].includes(key))
              .map(([key, value]) => `${key}=${value}`),
            { maxLength: 24 },
          ),
          agentsPerInstance: fc.integer({ min: 1, max: 64 }),
          priority: fc.integer({ min: -10_000, max: 10_000 }),
          idleDisconnectTimeoutSeconds: fc.integer({ min: 0, max: 604_800 }),
          disconnectAfterJob: fc.boolean(),
          disconnectAfterUptimeSeconds: fc.integer({ min: 0, max: 31_536_000 }),
          timestampLines: fc.boolean(),
          experiments: fc.array(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/), { maxLength: 16 }),
          tracingBackend: fc.constantFrom('none', 'datadog', 'opentelemetry'),
          cancelGracePeriodSeconds: fc.integer({ min: 1, max: 3600 }),
          signalGracePeriodSeconds: fc.integer({ min: -1, max: 3600 }),
          gitMirrorsEnabled: fc.boolean(),
          pluginsEnabled: fc.boolean(),
          localHooksEnabled: fc.boolean(),
          envFileUrl: fetchUrl(['s3', 'ssm', 'https']),
          bootstrapScriptUrl: fetchUrl(['s3', 'https']),
        },
        { requiredKeys: ['token'] },
      )
      // The agent refuses a signal grace period that is not shorter than the cancel grace period.
      .filter(
        (agent) =>
          agent.signalGracePeriodSeconds === undefined ||
          agent.signalGracePeriodSeconds < 0 ||
          agent.signalGracePeriodSeconds < (agent.cancelGracePeriodSeconds ?? 60),
      )
      .chain((agent) =>
        agent.gitMirrorsEnabled === true
          ? fc
              .option(bucket, { nil: undefined })
              .map((seed) => (seed === undefined ? agent : { ...agent, gitMirrorSeedBucket: seed }))
          : fc.constant(agent),
      ),
    paths: fc.record(
      { hooks: absolutePath, builds: ownDirectory, plugins: ownDirectory, gitMirrors: ownDirectory },
      { requiredKeys: [] },
    ),
    signing: fc.oneof(
      fc.record(
        {
          kmsKeyId: fc.constantFrom(
            'alias/pipeline-signing',
            '1234abcd-12ab-34cd-56ef-1234567890ab',
            'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
          ),
          verificationJwksParameter: parameterPath,
          verificationFailureBehavior: fc.constantFrom('block', 'warn'),
        },
        { requiredKeys: ['kmsKeyId'] },
      ),
      fc.record(
        {
          jwksParameter: parameterPath,
          jwksKeyId: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,30}$/),
          verificationJwksParameter: parameterPath,
          verificationFailureBehavior: fc.constantFrom('block', 'warn'),
        },
        { requiredKeys: ['jwksParameter'] },
      ),
    ),
    secrets: fc.record(
      {
        bucket,
        region,
        prefix: fc.stringMatching(/^[A-Za-z0-9_.\-/]{1,30}$/),
        skipSshKeyNotFoundWarning: fc.boolean(),
      },
      { requiredKeys: ['bucket'] },
    ),
    artifacts: fc.record(
      { bucket, region, acl: fc.constantFrom('private', 'bucket-owner-full-control', 'public-read') },
      { requiredKeys: ['bucket'] },
    ),
    docker: fc.record(
      {
        userNamespaceRemap: fc.boolean(),
        experimental: fc.boolean(),
        networkingProtocol: fc.constantFrom('ipv4', 'dualstack'),
        addressPools: fc.array(fc.record({ base: ipv4Cidr, size: fc.integer({ min: 8, max: 30 }) }), {
          minLength: 1,
          maxLength: 4,
        }),
        fixedCidrV4: ipv4Cidr,
        ipv6AddressPool: ipv6Cidr,
        fixedCidrV6: ipv6Cidr,
        dataRoot: absolutePath,
        buildxDefaultBuilder: fc.boolean(),
        builderPruneEnabled: fc.boolean(),
        pruneUntil: fc.stringMatching(/^(\d{1,4}[smhd]){1,3}$/),
        preExitDiskCleanup: fc.boolean(),
        prePullImages: fc.array(
          fc.constantFrom(
            'node:22',
            'public.ecr.aws/docker/library/node:22-alpine',
            'localhost:5000/team/app_1.x:v1.2.3',
            `123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:${'a'.repeat(64)}`,
            'ghcr.io/acme/tool--x:latest',
          ),
          { maxLength: 4 },
        ),
      },
      { requiredKeys: [] },
    ),
    registries: fc.record(
      {
        ecrPolicy: fc.constantFrom(
          'none',
          'readonly',
          'readonly-pullthrough',
          'poweruser',
          'poweruser-pullthrough',
          'full',
        ),
        ecrLoginEnabled: fc.boolean(),
        ecrCredentialHelper: fc.boolean(),
        dockerLoginEnabled: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
    storage: fc.record(
      { instanceStoreRaid0: fc.boolean(), instanceStoreMountPath: ownDirectory, mountTmpfsAtTmp: fc.boolean() },
      { requiredKeys: [] },
    ),
    disk: fc.record(
      {
        minFreeGigabytes: fc.integer({ min: 0, max: 10_000 }),
        minFreeInodesPercent: fc.integer({ min: 0, max: 100 }),
        terminateInstanceOnDiskFull: fc.boolean(),
        purgeBuildsOnDiskFull: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
    resourceLimits: fc.record(
      {
        memoryHigh: size,
        memoryMax: size,
        memorySwapMax: size,
        cpuWeight: fc.integer({ min: 1, max: 10_000 }),
        cpuQuota: fc.integer({ min: 1, max: 9999 }).map((percent) => `${percent}%`),
        ioWeight: fc.integer({ min: 1, max: 10_000 }),
      },
      { requiredKeys: [] },
    ),
    lifecycled: fc.oneof(
      fc.record(
        {
          handlerPath: absolutePath,
          heartbeatIntervalSeconds: fc.integer({ min: 1, max: 3600 }),
          mode: fc.constant('lifecycle-state' as const),
          spotListener: fc.boolean(),
        },
        { requiredKeys: [] },
      ),
      fc.record({
        mode: fc.constant('sqs' as const),
        snsTopicArn: fc.constant('arn:aws:sns:us-east-1:123456789012:lifecycle-hooks'),
      }),
    ),
    lifecycle: fc.record(
      {
        warmPoolEnabled: fc.boolean(),
        launchHookName: fc.stringMatching(/^[A-Za-z0-9_/-]{1,64}$/),
        terminateOnIdle: fc.boolean(),
        protectWhileBusy: fc.boolean(),
        releaseProtectionWhenIdle: fc.boolean(),
        instanceBrokerUrl: fc.oneof(
          fc.stringMatching(/^[a-z0-9]{32}$/).map((id) => `https://${id}.lambda-url.us-east-1.on.aws/`),
          fc.integer({ min: 1, max: 65_535 }).map((port) => `http://127.0.0.1:${port}/`),
        ),
      },
      { requiredKeys: [] },
    ),
    logs: fc.record(
      {
        cloudWatchAgentEnabled: fc.boolean(),
        retentionDays: fc.constantFrom(...LOG_RETENTION_DAYS),
        groups: fc.record(
          { boot: logGroup, agent: logGroup, lifecycled: logGroup, system: logGroup, docker: logGroup },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    ),
    access: fc.record(
      {
        authorizedUsersUrl: fetchUrl(['s3', 'https']),
        additionalSudoPermissions: fc.stringMatching(/^[A-Za-z0-9_.,:=*/ -]{1,60}$/),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['version', 'stack', 'agent'] },
) as fc.Arbitrary<BootContractInput>;
