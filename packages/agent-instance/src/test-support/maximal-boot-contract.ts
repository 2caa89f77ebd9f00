import { type BootContractInput, LOG_RETENTION_DAYS } from '../boot-contract.js';

const repeat = (character: string, length: number) => character.repeat(length);
const longPath = (length: number) => `/${repeat('p', length - 1)}`;
const longBucket = repeat('b', 63);
const longParameter = `/${repeat('k', 255)}`;
const longUrl = (prefix: string) => `${prefix}${repeat('u', 320 - prefix.length)}`;
const longLogGroup = repeat('g', 128);
const brokerHost = `https://${repeat('f', 32)}.lambda-url.ap-southeast-4.on.aws/`;
const longBrokerUrl = `${brokerHost}${repeat('u', 128 - brokerHost.length)}`;

/** Every field set, every string and list at its longest: the largest document the schema lets through. */
export const maximalBootContract: BootContractInput = {
  version: 1,
  stack: {
    name: `S${repeat('s', 127)}`,
    region: 'ap-southeast-4',
    version: `1${repeat('v', 63)}`,
    autoScalingGroupName: repeat('a', 255),
  },
  agent: {
    queue: `q${repeat('q', 99)}`,
    token: {
      kind: 'secrets-manager',
      secretArn: `arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:${repeat('t', 200)}`,
    },
    endpoint: `https://${repeat('e', 256 - 'https://'.length - '.com'.length)}.com`,
    tags: Array.from({ length: 24 }, (_, index) => `${`k${index}`.padEnd(48, 'k')}=${repeat('v', 63)}`),
    agentsPerInstance: 64,
    priority: -10_000,
    idleDisconnectTimeoutSeconds: 604_800,
    disconnectAfterJob: true,
    disconnectAfterUptimeSeconds: 31_536_000,
    timestampLines: true,
    experiments: Array.from({ length: 16 }, (_, index) => `x${index}`.padEnd(48, 'x')),
    tracingBackend: 'opentelemetry',
    cancelGracePeriodSeconds: 3600,
    signalGracePeriodSeconds: 3599,
    gitMirrorsEnabled: true,
    gitMirrorSeedBucket: longBucket,
    pluginsEnabled: false,
    localHooksEnabled: false,
    envFileUrl: longUrl('https://example.com/'),
    bootstrapScriptUrl: longUrl(`s3://${longBucket}/`),
  },
  paths: { hooks: longPath(128), builds: longPath(128), plugins: longPath(128), gitMirrors: longPath(128) },
  signing: {
    jwksParameter: longParameter,
    jwksKeyId: repeat('i', 128),
    verificationJwksParameter: longParameter,
    verificationFailureBehavior: 'warn',
  },
  secrets: {
    bucket: longBucket,
    region: 'ap-southeast-4',
    prefix: repeat('x', 128),
    skipSshKeyNotFoundWarning: true,
  },
  artifacts: { bucket: longBucket, region: 'ap-southeast-4', acl: 'bucket-owner-full-control' },
  docker: {
    userNamespaceRemap: false,
    experimental: true,
    networkingProtocol: 'dualstack',
    addressPools: Array.from({ length: 4 }, () => ({ base: '255.255.255.255/30', size: 30 })),
    fixedCidrV4: '255.255.255.255/30',
    ipv6AddressPool: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128',
    fixedCidrV6: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128',
    dataRoot: longPath(128),
    buildxDefaultBuilder: false,
    builderPruneEnabled: true,
    pruneUntil: '999999d999999h999999m999999s',
    preExitDiskCleanup: true,
    prePullImages: Array.from(
      { length: 4 },
      (_, index) =>
        `123456789012.dkr.ecr.ap-southeast-4.amazonaws.com/${repeat('r', 67)}${index}@sha256:${repeat('f', 64)}`,
    ),
  },
  registries: {
    ecrPolicy: 'poweruser-pullthrough',
    ecrLoginEnabled: false,
    ecrCredentialHelper: true,
    dockerLoginEnabled: false,
  },
  storage: { instanceStoreRaid0: true, instanceStoreMountPath: longPath(128), mountTmpfsAtTmp: false },
  disk: {
    minFreeGigabytes: 10_000,
    minFreeInodesPercent: 100,
    terminateInstanceOnDiskFull: true,
    purgeBuildsOnDiskFull: true,
  },
  resourceLimits: {
    memoryHigh: '999999999999T',
    memoryMax: '999999999999T',
    memorySwapMax: '999999999999T',
    cpuWeight: 10_000,
    cpuQuota: '99999%',
    ioWeight: 10_000,
  },
  lifecycled: {
    handlerPath: longPath(128),
    heartbeatIntervalSeconds: 3600,
    mode: 'sqs',
    snsTopicArn: `arn:aws-us-gov:sns:us-gov-west-1:123456789012:${repeat('n', 256)}`,
    spotListener: false,
  },
  lifecycle: {
    launchHookName: repeat('h', 64),
    warmPoolEnabled: true,
    terminateOnIdle: false,
    protectWhileBusy: false,
    releaseProtectionWhenIdle: false,
    // Function URLs end in `/`; the path pads the URL to the 128 characters the schema allows.
    instanceBrokerUrl: longBrokerUrl,
  },
  logs: {
    cloudWatchAgentEnabled: false,
    retentionDays: LOG_RETENTION_DAYS[LOG_RETENTION_DAYS.length - 1] ?? 3653,
    groups: {
      boot: longLogGroup,
      agent: longLogGroup,
      lifecycled: longLogGroup,
      system: longLogGroup,
      docker: longLogGroup,
    },
  },
  access: { authorizedUsersUrl: longUrl('https://example.com/'), additionalSudoPermissions: repeat('/', 256) },
};
