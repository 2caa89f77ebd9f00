import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BOOT_CONTRACT_MAX_BYTES,
  BootContractError,
  type BootContractInput,
  bootContractSchema,
  parseBootContract,
  renderBootContract,
  USER_DATA_MAX_BYTES,
} from './boot-contract.js';
import { bootContractFields } from './boot-contract-fields.js';
import { bootContractInputArbitrary } from './test-support/boot-contract-arbitrary.js';
import { maximalBootContract } from './test-support/maximal-boot-contract.js';

const minimal: BootContractInput = {
  version: 1,
  stack: { name: 'ci-linux', region: 'eu-west-1', version: '0.1.0' },
  agent: { token: { kind: 'ssm-parameter', name: '/ci-linux/buildkite/agent-token' } },
};

/** A copy of `document` with `value` at the dotted `path` (`[0]` for list entries); creates missing sections. */
function withValue(document: unknown, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(document) as Record<string, unknown>;
  const keys = path
    .replace(/ \(kind .*\)$/, '')
    .replaceAll('[]', '[0]')
    .split(/\.|(?=\[)/)
    .map((key) => (key.startsWith('[') ? Number(key.slice(1, -1)) : key));
  let cursor: Record<string | number, unknown> = copy;
  for (const [index, key] of keys.entries()) {
    if (index === keys.length - 1) {
      cursor[key] = value;
      break;
    }
    const next = keys[index + 1];
    if (cursor[key] === undefined) cursor[key] = typeof next === 'number' ? [] : {};
    if (typeof next === 'number' && (cursor[key] as unknown[])[next] === undefined) {
      (cursor[key] as unknown[])[next] = {};
    }
    cursor = cursor[key] as Record<string | number, unknown>;
  }
  return copy;
}

function problemsOf(action: () => unknown): readonly string[] {
  try {
    action();
  } catch (error) {
    if (error instanceof BootContractError) return error.problems;
    throw error;
  }
  throw new Error('expected a BootContractError');
}

function errorOf(action: () => unknown): BootContractError {
  try {
    action();
  } catch (error) {
    if (error instanceof BootContractError) return error;
    throw error;
  }
  throw new Error('expected a BootContractError');
}

/** A bad value for every leaf field; the test below checks that the table covers every field of the schema. */
const badValues: Record<string, unknown> = {
  version: 2,
  'stack.name': '9-starts-with-a-digit',
  'stack.region': 'Europe',
  'stack.version': 'v 1',
  'stack.autoScalingGroupName': 'tab\tinside',
  'agent.queue': 'has space',
  'agent.token': { kind: 'vault', path: 'secret/agent-token' },
  'agent.token.name (kind "ssm-parameter")': 'no-leading-slash',
  'agent.token.secretArn (kind "secrets-manager")': 'arn:aws:ssm:us-east-1:123456789012:parameter/not-a-secret',
  'agent.endpoint': 'http://agent.buildkite.com/v3',
  'agent.tags': 'team=platform',
  'agent.agentsPerInstance': 0,
  'agent.priority': 1.5,
  'agent.idleDisconnectTimeoutSeconds': -1,
  'agent.disconnectAfterJob': 'yes',
  'agent.disconnectAfterUptimeSeconds': 31_536_001,
  'agent.timestampLines': 1,
  'agent.experiments': ['Upper_Case'],
  'agent.tracingBackend': 'zipkin',
  'agent.cancelGracePeriodSeconds': 0,
  'agent.signalGracePeriodSeconds': -2,
  'agent.gitMirrorsEnabled': 'true',
  'agent.gitMirrorSeedBucket': 'Upper_Case_Bucket',
  'agent.pluginsEnabled': null,
  'agent.localHooksEnabled': 'false',
  'agent.envFileUrl': 'http://example.com/env',
  'agent.bootstrapScriptUrl': 'ssm:/bootstrap',
  'paths.hooks': 'relative/hooks',
  'paths.builds': '/var/lib/../builds',
  'paths.plugins': '/with space',
  'paths.gitMirrors': '',
  'signing.kmsKeyId': 'not a key',
  'signing.jwksParameter': 'signing-key',
  'signing.jwksKeyId': 'has space',
  'signing.verificationJwksParameter': 'verification-key',
  'signing.verificationFailureBehavior': 'ignore',
  'secrets.bucket': 'ab',
  'secrets.region': 'moon-1',
  'secrets.prefix': 'has space',
  'secrets.skipSshKeyNotFoundWarning': 'no',
  'artifacts.bucket': '-bucket',
  'artifacts.region': 'EU',
  'artifacts.acl': 'public',
  'docker.userNamespaceRemap': 'true',
  'docker.experimental': 0,
  'docker.networkingProtocol': 'ipv6',
  'docker.addressPools': [],
  'docker.addressPools[].base': '10.0.0.0/33',
  'docker.addressPools[].size': 31,
  'docker.fixedCidrV4': '256.0.0.0/16',
  'docker.ipv6AddressPool': '2001:db8::',
  'docker.fixedCidrV6': '10.0.0.0/8',
  'docker.dataRoot': 'docker',
  'docker.buildxDefaultBuilder': 'on',
  'docker.builderPruneEnabled': 'off',
  'docker.pruneUntil': '4 hours',
  'docker.preExitDiskCleanup': [],
  'registries.ecrPolicy': 'admin',
  'registries.ecrLoginEnabled': 'true',
  'registries.ecrCredentialHelper': 'true',
  'registries.dockerLoginEnabled': 'true',
  'storage.instanceStoreRaid0': 'true',
  'storage.instanceStoreMountPath': 'mnt',
  'storage.mountTmpfsAtTmp': 'true',
  'disk.minFreeGigabytes': -5,
  'disk.minFreeInodesPercent': 101,
  'disk.terminateInstanceOnDiskFull': 'true',
  'disk.purgeBuildsOnDiskFull': 'true',
  'resourceLimits.memoryHigh': '101%',
  'resourceLimits.memoryMax': 'lots',
  'resourceLimits.memorySwapMax': '8GB',
  'resourceLimits.cpuWeight': 0,
  'resourceLimits.cpuQuota': '90',
  'resourceLimits.ioWeight': 10_001,
  'lifecycled.handlerPath': 'stop-agent',
  'lifecycled.heartbeatIntervalSeconds': 0,
  'lifecycled.mode': 'sns',
  'lifecycled.snsTopicArn': 'arn:aws:sqs:us-east-1:123456789012:queue',
  'lifecycled.spotListener': 'true',
  'lifecycle.warmPoolEnabled': 'true',
  'lifecycle.launchHookName': 'elastic ci launch',
  'docker.prePullImages': ['--privileged'],
  'lifecycle.terminateOnIdle': 'true',
  'lifecycle.protectWhileBusy': 'true',
  'lifecycle.releaseProtectionWhenIdle': 'true',
  // Plain http only to a loopback front: a signed request to any other host would travel in clear text.
  'lifecycle.instanceBrokerUrl': 'http://broker.example.com/',
  'logs.cloudWatchAgentEnabled': 'true',
  'logs.retentionDays': 2,
  'logs.groups.boot': 'has space',
  'logs.groups.agent': '',
  'logs.groups.lifecycled': 'a'.repeat(129),
  'logs.groups.system': 'quote"',
  'logs.groups.docker': 42,
  'access.authorizedUsersUrl': 'file:///etc/keys',
  'access.additionalSudoPermissions': 'ALL\nroot ALL=(ALL) ALL',
};

/** A valid document that the field at `path` can sit in (with the sections some fields need). */
function validBaseFor(path: string): unknown {
  let base: unknown = minimal;
  if (path.startsWith('secrets.')) base = withValue(base, 'secrets.bucket', 'ci-secrets');
  if (path.startsWith('artifacts.')) base = withValue(base, 'artifacts.bucket', 'ci-artifacts');
  if (path.startsWith('signing.')) base = withValue(base, 'signing.verificationJwksParameter', '/ci/verification-key');
  if (path.includes('secrets-manager')) {
    base = withValue(base, 'agent.token', {
      kind: 'secrets-manager',
      secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:agent-token-AbCdEf',
    });
  }
  if (path === 'agent.gitMirrorSeedBucket') base = withValue(base, 'agent.gitMirrorsEnabled', true);
  if (path === 'lifecycled.snsTopicArn') base = withValue(base, 'lifecycled.mode', 'sqs');
  if (path.startsWith('docker.addressPools[]'))
    base = withValue(base, 'docker.addressPools', [{ base: '10.0.0.0/8', size: 24 }]);
  return base;
}

function documentWithBadValue(path: string, value: unknown): Record<string, unknown> {
  return withValue(validBaseFor(path), path, value);
}

const pathLabel = (path: string) => path.replace(/ \(kind .*\)$/, '').replaceAll('[]', '[0]');

describe('docker.prePullImages', () => {
  const withImages = (images: unknown) => ({ ...minimal, docker: { prePullImages: images } }) as BootContractInput;

  it('takes image references with registry, port, path, tag and digest', () => {
    const images = [
      'node:22',
      'public.ecr.aws/docker/library/node:22-alpine',
      'localhost:5000/team/app_1.x:v1.2.3',
      `123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:${'a'.repeat(64)}`,
    ];
    expect(parseBootContract(renderBootContract(withImages(images))).docker.prePullImages).toEqual(images);
  });

  it.each([
    ['an option', '--privileged'],
    ['a shell word', 'node:22; rm -rf /'],
    ['upper case in the path', 'Library/Node'],
    ['a short digest', 'node@sha256:abc'],
    ['an over-long reference', `registry.example.com/${'a'.repeat(180)}`],
    ['an empty string', ''],
  ])('refuses %s', (_what, image) => {
    expect(() => renderBootContract(withImages([image]))).toThrow(
      /docker\.prePullImages(\[0\])?: must be an image reference/,
    );
  });

  it('takes at most 4 images', () => {
    expect(() => renderBootContract(withImages(Array.from({ length: 5 }, (_, i) => `node:${i}`)))).toThrow(
      /docker\.prePullImages: has more than 4 entries/,
    );
  });
});

describe("Field: lifecycle.instanceBrokerUrl (checked by the broker package's isInstanceBrokerUrl)", () => {
  it('carries the URL through render and parse', () => {
    const url = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/';
    const input = { ...minimal, lifecycle: { instanceBrokerUrl: url } };
    expect(parseBootContract(renderBootContract(input)).lifecycle.instanceBrokerUrl).toBe(url);
  });
});

describe('Directories the boot hands to buildkite-agent', () => {
  // The boot chowns paths.builds, paths.plugins and paths.gitMirrors to buildkite-agent, a full disk may empty
  // paths.builds, and the instance store is formatted and mounted at storage.instanceStoreMountPath.
  const fields = ['paths.builds', 'paths.plugins', 'paths.gitMirrors', 'storage.instanceStoreMountPath'];
  const withPath = (field: string, value: string) => withValue(minimal, field, value);

  it.each(
    fields.flatMap((field) =>
      [
        '/',
        '/.',
        '//',
        '/var/lib/buildkite-agent/builds/',
        '/var//builds',
        '/var/./builds',
        '/etc',
        '/usr',
        '/var',
        '/var/lib',
        '/home',
        '/var/lib/buildkite-agent',
        '/etc/buildkite-agent',
        '/usr/local/builds',
        '/var/lib/elastic-ci',
      ].map((value) => [field, value] as const),
    ),
  )('refuses %s %s', (field, value) => {
    const problems = problemsOf(() => parseBootContract(JSON.stringify(withPath(field, value))));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${field.replace('.', '\\.')}: must be a directory of its own`));
    expect(problems[0]).not.toContain(`"${value}"`);
  });

  it.each(
    fields.flatMap((field) =>
      [
        '/var/lib/buildkite-agent/builds',
        '/mnt/ephemeral/builds',
        '/builds',
        '/home/ci/builds',
        '/data',
        '/srv/ci',
        '/tmp/ci',
      ].map((value) => [field, value] as const),
    ),
  )('takes %s %s', (field, value) => {
    expect(() => parseBootContract(JSON.stringify(withPath(field, value)))).not.toThrow();
  });
});

describe('Function: renderBootContract and parseBootContract', () => {
  it('round-trips every valid contract, with every default filled in', () => {
    fc.assert(
      fc.property(bootContractInputArbitrary, (input) => {
        // Act
        const text = renderBootContract(input);
        const parsed = parseBootContract(text);

        // Assess
        expect(parsed).toEqual(bootContractSchema.parse(input));
        expect(renderBootContract(parsed)).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  it('renders one line whose text does not depend on the order of the keys', () => {
    const reversed = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reversed)
        : value !== null && typeof value === 'object'
          ? Object.fromEntries(
              Object.entries(value)
                .reverse()
                .map(([key, item]) => [key, reversed(item)]),
            )
          : value;
    fc.assert(
      fc.property(bootContractInputArbitrary, (input) => {
        // Act
        const text = renderBootContract(input);

        // Assess
        expect(renderBootContract(reversed(input) as BootContractInput)).toBe(text);
        expect(text).not.toContain('\n');
      }),
      { numRuns: 50 },
    );
  });

  it("fills in Buildkite's defaults and ours for a minimal contract", () => {
    // Act
    const contract = parseBootContract(renderBootContract(minimal));

    // Assess
    expect(contract.agent).toEqual({
      queue: 'default',
      token: { kind: 'ssm-parameter', name: '/ci-linux/buildkite/agent-token' },
      endpoint: 'https://agent-edge.buildkite.com/v3',
      tags: [],
      agentsPerInstance: 1,
      idleDisconnectTimeoutSeconds: 600,
      disconnectAfterJob: false,
      disconnectAfterUptimeSeconds: 0,
      timestampLines: false,
      experiments: [],
      tracingBackend: 'none',
      cancelGracePeriodSeconds: 60,
      signalGracePeriodSeconds: -1,
      gitMirrorsEnabled: false,
      pluginsEnabled: true,
      localHooksEnabled: true,
    });
    expect(contract.paths).toEqual({
      hooks: '/etc/buildkite-agent/hooks',
      builds: '/var/lib/buildkite-agent/builds',
      plugins: '/var/lib/buildkite-agent/plugins',
      gitMirrors: '/var/lib/buildkite-agent/git-mirrors',
    });
    expect(contract.docker).toMatchObject({
      userNamespaceRemap: true,
      networkingProtocol: 'ipv4',
      addressPools: [
        { base: '172.17.0.0/12', size: 20 },
        { base: '192.168.0.0/16', size: 24 },
      ],
      pruneUntil: '4h',
    });
    expect(contract.lifecycled).toEqual({
      handlerPath: '/usr/local/bin/stop-agent-gracefully',
      heartbeatIntervalSeconds: 10,
      mode: 'lifecycle-state',
      spotListener: true,
    });
    expect(contract.lifecycle).toEqual({
      warmPoolEnabled: false,
      terminateOnIdle: true,
      protectWhileBusy: true,
      releaseProtectionWhenIdle: true,
    });
    expect(contract.signing).toBeUndefined();
    expect(contract.secrets).toBeUndefined();
    expect(contract.resourceLimits).toBeUndefined();
  });

  it('keeps a maximal contract within its share of the 16 KB of EC2 user data', () => {
    // Prepare: the fixture must really set every field
    const unset = bootContractFields()
      // kmsKeyId excludes the (longer) JWKS fields, the SSM token location excludes the (longer) secret ARN
      .filter(
        (field) => field.leaf && !field.path.includes('(kind "ssm-parameter")') && field.path !== 'signing.kmsKeyId',
      )
      .filter((field) => {
        const keys = pathLabel(field.path).split(/\.|(?=\[)/);
        let cursor: unknown = maximalBootContract;
        for (const key of keys) {
          cursor = key.startsWith('[')
            ? (cursor as unknown[])[Number(key.slice(1, -1))]
            : (cursor as Record<string, unknown>)[key];
        }
        return cursor === undefined;
      });
    expect(unset.map((field) => field.path)).toEqual([]);

    // Act
    const text = renderBootContract(maximalBootContract);

    // Assess
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(BOOT_CONTRACT_MAX_BYTES);
    expect(USER_DATA_MAX_BYTES - BOOT_CONTRACT_MAX_BYTES).toBeGreaterThanOrEqual(4096);
    expect(parseBootContract(text)).toEqual(bootContractSchema.parse(maximalBootContract));
  });

  it('refuses a rendering over its budget (only reachable with unchecked token values)', () => {
    // Prepare
    const isToken = (value: unknown) => typeof value === 'string' && value.startsWith('TOKEN');
    const input = withValue(minimal, 'stack.autoScalingGroupName', `TOKEN${'x'.repeat(BOOT_CONTRACT_MAX_BYTES)}`);

    // Act
    const problems = problemsOf(() => renderBootContract(input as BootContractInput, { isToken }));

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^\(document\): renders to \d+ bytes, more than the 12288 bytes/)]);
  });

  it('has a bad value for every field of the schema in this test', () => {
    // Act
    const valueFields = bootContractFields()
      .filter((field) => field.type !== 'section')
      .map((field) => field.path);

    // Assess
    expect(Object.keys(badValues).sort()).toEqual(valueFields.sort());
  });

  it.each(Object.entries(badValues))('refuses a bad %s, naming its path', (path, value) => {
    // Prepare
    const base = validBaseFor(path);
    const document = withValue(base, path, value);
    if (path !== 'lifecycled.snsTopicArn') expect(() => parseBootContract(JSON.stringify(base))).not.toThrow();

    // Act
    const problems = problemsOf(() => parseBootContract(JSON.stringify(document)));

    // Assess
    expect(problems.length).toBeGreaterThan(0);
    const label = pathLabel(path);
    const namesThePath = (problem: string) => [': ', '[', '.'].some((next) => problem.startsWith(`${label}${next}`));
    expect(problems.some(namesThePath)).toBe(true);
  });

  it('lists every problem of a document at once, each with its path and a fix', () => {
    // Prepare
    let document: unknown = minimal;
    for (const [path, value] of [
      ['stack.region', 'Europe'],
      ['agent.agentsPerInstance', 0],
      ['docker.pruneUntil', '4 hours'],
      ['logs.retentionDays', 2],
    ] as const) {
      document = withValue(document, path, value);
    }

    // Act
    const error = errorOf(() => parseBootContract(JSON.stringify(document)));

    // Assess
    expect(error.name).toBe('BootContractError');
    expect(error.problems).toEqual([
      'stack.region: must be an AWS region such as us-east-1 or eu-central-2',
      'agent.agentsPerInstance: must be an integer from 1 to 64',
      'docker.pruneUntil: must be a duration such as 4h, 30m or 1d12h',
      expect.stringMatching(/^logs\.retentionDays: must be one of 1, 3, 5, 7, 14, 30/),
    ]);
    expect(error.message).toMatch(/^invalid boot contract \(4 problems\):\n {2}- stack\.region: /);
    expect(error.cause).toEqual(expect.arrayContaining([expect.objectContaining({ path: ['stack', 'region'] })]));
  });

  it.each([
    [
      'a KMS key and a JWKS together',
      { signing: { kmsKeyId: 'alias/signing', jwksParameter: '/ci/signing-key' } },
      'signing.jwksParameter: kmsKeyId and jwksParameter are mutually exclusive: sign with a KMS key or with a JWKS, not both',
    ],
    [
      'a JWKS key id without a JWKS',
      { signing: { kmsKeyId: 'alias/signing', jwksKeyId: 'key-1' } },
      'signing.jwksKeyId: needs jwksParameter (the key id names a key inside that JWKS)',
    ],
    [
      'a signing section without a key',
      { signing: { verificationFailureBehavior: 'warn' } },
      'signing: sets no key: give kmsKeyId, jwksParameter or verificationJwksParameter, or leave signing out',
    ],
    [
      'a git mirror seed bucket without git mirrors',
      { agent: { ...minimal.agent, gitMirrorSeedBucket: 'ci-seeds' } },
      'agent.gitMirrorSeedBucket: needs gitMirrorsEnabled: true (seeds are only used for git mirrors)',
    ],
    [
      'a signal grace period not shorter than the cancel grace period (the agent refuses to start)',
      { agent: { ...minimal.agent, cancelGracePeriodSeconds: 60, signalGracePeriodSeconds: 60 } },
      'agent.signalGracePeriodSeconds: must be less than agent.cancelGracePeriodSeconds (the agent refuses to start otherwise): lower it, or use -1 for the cancel grace period minus one second',
    ],
    [
      'a signal grace period the default cancel grace period cannot hold',
      { agent: { ...minimal.agent, signalGracePeriodSeconds: 600 } },
      'agent.signalGracePeriodSeconds: must be less than agent.cancelGracePeriodSeconds (the agent refuses to start otherwise): lower it, or use -1 for the cancel grace period minus one second',
    ],
    [
      'SQS mode without a topic',
      { lifecycled: { mode: 'sqs' } },
      'lifecycled.snsTopicArn: is required with mode "sqs"',
    ],
    [
      'a topic without SQS mode',
      { lifecycled: { snsTopicArn: 'arn:aws:sns:us-east-1:123456789012:hooks' } },
      'lifecycled.snsTopicArn: only applies with mode "sqs"; remove it or set mode to "sqs"',
    ],
    [
      'a reserved agent tag',
      { agent: { ...minimal.agent, tags: ['team=ci', 'queue=other'] } },
      'agent.tags[1]: must not set queue, stack, stack-version, instance-id: the boot adds those tags itself',
    ],
    [
      'a URL with credentials',
      { agent: { ...minimal.agent, envFileUrl: 'https://user:pass@example.com/env' } },
      'agent.envFileUrl: must not carry credentials in the URL: grant the instance role access instead, or use s3:// or ssm:',
    ],
    [
      'an S3 URL without a key',
      { agent: { ...minimal.agent, bootstrapScriptUrl: 's3://ci-bootstrap' } },
      'agent.bootstrapScriptUrl: must be s3://bucket/key, https://host/path (http:// and file:// are refused): the object key is missing',
    ],
    [
      'an https URL that does not parse',
      { agent: { ...minimal.agent, envFileUrl: 'https://ex ample.com/env' } },
      'agent.envFileUrl: must be s3://bucket/key, ssm:/parameter/path, https://host/path (http:// and file:// are refused): it is not a valid URL',
    ],
    [
      'an ssm: URL with a relative path',
      { agent: { ...minimal.agent, envFileUrl: 'ssm:ci/env' } },
      'agent.envFileUrl: must be s3://bucket/key, ssm:/parameter/path, https://host/path (http:// and file:// are refused): the parameter path must start with / and use only A-Z a-z 0-9 _ . - /',
    ],
    [
      'an s3:// URL with a bad bucket name',
      { agent: { ...minimal.agent, envFileUrl: 's3://Bad_Bucket/env' } },
      'agent.envFileUrl: must be s3://bucket/key, ssm:/parameter/path, https://host/path (http:// and file:// are refused): the bucket name is not a valid S3 bucket name',
    ],
    [
      'an endpoint that is not a URL',
      { agent: { ...minimal.agent, endpoint: 'agent-edge.buildkite.com' } },
      'agent.endpoint: must be an https:// URL without credentials (at most 256 characters)',
    ],
    [
      'more than 24 agent tags',
      { agent: { ...minimal.agent, tags: Array.from({ length: 25 }, (_, index) => `tag${index}=x`) } },
      'agent.tags: has more than 24 entries; keep at most 24',
    ],
    [
      'a newer contract version',
      { version: 2 },
      'version: must be 1: this agent image understands boot contract version 1 only; build the image from the same release as the stack',
    ],
    ['a missing stack', { stack: undefined }, 'stack: is required (object)'],
    [
      'an unknown field',
      { agent: { ...minimal.agent, idleTimeout: 5 } },
      'agent: has unknown field "idleTimeout" (check the spelling against the README table, or remove it)',
    ],
  ])('refuses %s', (_case, change, problem) => {
    // Act
    const problems = problemsOf(() => parseBootContract(JSON.stringify({ ...minimal, ...change })));

    // Assess
    expect(problems).toEqual([problem]);
  });

  it('refuses text that is not JSON', () => {
    // Act
    const problems = problemsOf(() => parseBootContract('{"version": 1,'));

    // Assess
    expect(problems).toEqual([
      expect.stringMatching(
        /^\(document\): is not JSON( \(at position \d+\))?; the stack writes it with renderBootContract$/,
      ),
    ]);
  });
});

describe('Secrets in errors', () => {
  const canary = 'bkua_CANARY0123456789abcdef';

  const everyOutputOf = (error: BootContractError) =>
    [
      error.message,
      ...error.problems,
      String(error.cause),
      JSON.stringify(error.cause ?? null),
      error.stack ?? '',
    ].join('\n');

  it.each(
    bootContractFields()
      .filter((field) => field.leaf)
      .map((field) => field.path),
  )('never echoes a bad value of %s', (path) => {
    // Prepare: a string value carrying the canary that the field must refuse
    const document = documentWithBadValue(path, `https://user:${canary}@example.com/ ${canary}\n`);

    // Act
    const error = errorOf(() => parseBootContract(JSON.stringify(document)));

    // Assess
    expect(everyOutputOf(error)).not.toContain(canary);
  });

  it('never echoes a token put where its location belongs, or in an unknown field', () => {
    // Prepare
    const document = { ...minimal, agent: { token: canary, tokenValue: canary, [canary]: canary } };

    // Act
    const error = errorOf(() => parseBootContract(JSON.stringify(document)));

    // Assess
    expect(error.problems).toContain('agent.token: must be an object (got string)');
    expect(error.problems.some((problem) => problem.includes('a secret never goes into the boot contract'))).toBe(true);
    expect(everyOutputOf(error).replaceAll(`"${canary}"`, '')).not.toContain(canary);
  });

  it('never echoes text around a JSON syntax error', () => {
    // Act
    const error = errorOf(() => parseBootContract(`{"agent": {"token": "${canary}"`));

    // Assess
    expect(everyOutputOf(error)).not.toContain(canary);
  });

  it('never echoes an over-long URL that may carry a presigned signature', () => {
    // Prepare
    const url = `https://ci.s3.amazonaws.com/env?X-Amz-Signature=${canary}${'0'.repeat(400)}`;

    // Act
    const error = errorOf(() => parseBootContract(JSON.stringify(withValue(minimal, 'agent.envFileUrl', url))));

    // Assess
    expect(error.problems).toEqual(['agent.envFileUrl: is longer than 320 characters']);
    expect(everyOutputOf(error)).not.toContain(canary);
  });
});

describe('Deploy-time tokens', () => {
  /** The text aws-cdk-lib puts in a string for a token. */
  const token = (id: string) => `\${Token[${id}]}`;
  const isToken = (value: unknown) =>
    (typeof value === 'string' && value.includes('${Token[')) || value === -1.8881545897087626e289;

  it('keeps token strings verbatim and still checks every other value', () => {
    // Prepare
    const input: BootContractInput = {
      ...minimal,
      stack: { name: token('AWS.StackName.1'), region: token('AWS.Region.2'), version: '1.0.0' },
      agent: { token: { kind: 'ssm-parameter', name: token('TOKEN.3') }, queue: 'linux' },
      secrets: { bucket: token('TOKEN.4'), prefix: `prefix-${token('TOKEN.5')}` },
    };

    // Act
    const text = renderBootContract(input, { isToken });
    const resolved = text
      .replace(token('AWS.StackName.1'), 'ci-linux')
      .replace(token('AWS.Region.2'), 'eu-west-1')
      .replace(token('TOKEN.3'), '/ci-linux/agent-token')
      .replace(token('TOKEN.4'), 'ci-linux-secrets')
      .replace(token('TOKEN.5'), 'abc');

    // Assess
    expect(JSON.parse(text).stack.name).toBe(token('AWS.StackName.1'));
    expect(JSON.parse(text).secrets.prefix).toBe(`prefix-${token('TOKEN.5')}`);
    expect(parseBootContract(resolved)).toMatchObject({
      stack: { name: 'ci-linux', region: 'eu-west-1' },
      agent: { token: { name: '/ci-linux/agent-token' }, queue: 'linux' },
      secrets: { bucket: 'ci-linux-secrets', prefix: 'prefix-abc' },
    });
    expect(
      problemsOf(() =>
        renderBootContract(
          { ...input, agent: { ...input.agent, queue: 'has space', agentsPerInstance: 0 } },
          { isToken },
        ),
      ),
    ).toEqual([
      'agent.queue: must be a queue name (a letter or digit, then up to 99 of A-Z a-z 0-9 _ . : / -)',
      'agent.agentsPerInstance: must be an integer from 1 to 64',
    ]);
  });

  it('refuses a number token: numbers must be concrete at synth time', () => {
    // Act
    const problems = problemsOf(() =>
      renderBootContract(withValue(minimal, 'agent.agentsPerInstance', -1.8881545897087626e289) as BootContractInput, {
        isToken,
      }),
    );

    // Assess
    expect(problems).toEqual([
      'agent.agentsPerInstance: is a deploy-time token; numbers must be concrete at synth time',
    ]);
  });

  it('refuses token strings without isToken', () => {
    // Act
    const problems = problemsOf(() =>
      renderBootContract(withValue(minimal, 'stack.name', token('AWS.StackName.1')) as BootContractInput),
    );

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^stack\.name: must be a CloudFormation stack name/)]);
  });
});
