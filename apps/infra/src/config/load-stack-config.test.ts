import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { resourcesOfType, synthesizeStack, type TemplateValue } from '../test-support/synthesize.js';
import { defaultStackName, loadStackConfig, parseConfigText, stackConfigFromDocument } from './load-stack-config.js';
import { StackConfigError } from './stack-config-error.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const directory = mkdtempSync(join(tmpdir(), 'elastic-ci-config-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function writeConfig(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

function errorOf(action: () => unknown): StackConfigError {
  try {
    action();
  } catch (error) {
    if (error instanceof StackConfigError) return error;
    throw error;
  }
  throw new Error('expected a StackConfigError');
}

const fromDocument = (document: unknown) =>
  stackConfigFromDocument(document, { source: 'config.json', defaultStackName: 'elastic-ci-config' });

describe('Function: loadStackConfig with a typed config', () => {
  it('reads YAML into stack props', () => {
    // Act
    const { stackName, props, format } = loadStackConfig(fixture('typed-config.yaml'));

    // Assess
    expect(format).toBe('typed-config');
    expect(stackName).toBe('ci-linux-large');
    expect(props).toMatchObject({
      tags: { owner: 'ci-platform' },
      queue: 'linux-large',
      agentTokenParameterName: '/buildkite/linux-large/agent-token',
      agentTags: { team: 'platform', os: 'linux' },
      agentsPerInstance: 3,
      webhookEnabled: true,
      minSize: 1,
      maxSize: 40,
      scaleOutFactor: 1.5,
      instanceBuffer: 2,
      instanceTypes: ['c7g.2xlarge', 'm7g.2xlarge'],
      onDemandPercentageAboveBaseCapacity: 25,
      spotAllocationStrategy: 'price-capacity-optimized',
      dockerUserNamespaceRemap: true,
      ecrAccessPolicy: 'readonly',
      scheduledScalingActions: [
        { name: 'workday-morning', schedule: '0 7 * * MON-FRI', timeZone: 'Europe/Berlin', minSize: 4 },
        { name: 'workday-evening', schedule: '30 19 * * MON-FRI', timeZone: 'Europe/Berlin', minSize: 1 },
      ],
    });
    expect(props.agentDisconnectAfterIdleTimeout?.toSeconds()).toBe(900);
    expect(props.maxInstanceLifetime?.toDays()).toBe(7);
    expect(props.dockerPruneUntil?.toSeconds()).toBe(7200);
  });

  it('reads buildkite.webhook.reservedConcurrency into webhookReservedConcurrency, and refuses 0 naming the field', () => {
    // Act
    const { props } = fromDocument({
      buildkite: { agentToken: { fromDeployParameter: true }, webhook: { enabled: true, reservedConcurrency: 20 } },
    });

    // Assess
    expect(props.webhookReservedConcurrency).toBe(20);
    expect(() =>
      fromDocument({
        buildkite: { agentToken: { fromDeployParameter: true }, webhook: { enabled: true, reservedConcurrency: 0 } },
      }),
    ).toThrow(/buildkite\.webhook\.reservedConcurrency/);
  });

  it('reads the same config written as JSON, and a Buildkite file written as YAML', () => {
    // Prepare
    const json = writeConfig(
      'linux.json',
      JSON.stringify({ buildkite: { queue: 'linux', agentToken: { fromDeployParameter: true } } }),
    );
    const yaml = writeConfig(
      'buildkite.yaml',
      '- ParameterKey: BuildkiteQueue\n  ParameterValue: linux\n- ParameterKey: BuildkiteAgentTokenParameterStorePath\n  ParameterValue: /buildkite/token\n',
    );

    // Act
    const fromJson = loadStackConfig(json);
    const fromYaml = loadStackConfig(yaml);

    // Assess
    expect(fromJson).toMatchObject({ stackName: 'elastic-ci-linux', format: 'typed-config' });
    expect(fromJson.props).toEqual({ queue: 'linux', agentTokenFromDeployParameter: true });
    expect(fromYaml).toMatchObject({ stackName: 'elastic-ci-buildkite', format: 'buildkite-parameters' });
    expect(fromYaml.props).toEqual({ queue: 'linux', agentTokenParameterName: '/buildkite/token' });
  });

  it('refuses unknown fields and wrong types, naming each path, in one error', () => {
    // Act
    const error = errorOf(() =>
      fromDocument({
        stackName: '1-starts-with-a-digit',
        buildkite: { queue: 7, agentToken: { parameterName: '/t' }, agentsPerInstance: 0, idleTimout: 60 },
        scaling: { scaleInStrategy: 'random' },
        instances: { types: 'c6i.large' },
        extra: true,
      }),
    );

    // Assess
    expect(error.problems).toEqual([
      'stackName: must be a CloudFormation stack name of at most 100 characters: a letter, then A-Z a-z 0-9 - (the instance log groups /elastic-ci/<stack name>/… must fit CloudWatch’s 128)',
      'buildkite.queue: must be a string',
      'buildkite.agentsPerInstance: must be at least 1',
      'buildkite: has unknown field "idleTimout" (check the spelling against apps/infra/README.md, or remove it)',
      'scaling.scaleInStrategy: must be one of "set-desired", "drain"',
      'instances.types: must be an array',
      '(file): has unknown field "extra" (check the spelling against apps/infra/README.md, or remove it)',
    ]);
    expect(error.message).toMatch(/^config\.json: invalid stack configuration \(7 problems\):\n {2}- stackName: /);
  });

  it('never echoes a map key in a problem’s path unless it is short (a token pasted as a tag name)', () => {
    // Prepare
    const canary = 'bkua_CANARY_as_a_tag_key_0123456789';

    // Act
    const error = errorOf(() =>
      fromDocument({
        buildkite: { agentToken: { parameterName: '/t' }, agentTags: { [canary]: 5, 'cost-center': 7 } },
      }),
    );

    // Assess
    expect(error.problems).toEqual([
      `buildkite.agentTags.[a key of ${canary.length} characters, not shown]: must be a string`,
      'buildkite.agentTags.cost-center: must be a string',
    ]);
    expect(error.message).not.toContain(canary);
  });

  it('lists the construct’s problems with the schema’s, leaving out those about a field the schema refused', () => {
    // Act: an unknown field, a wrong type, and two cross-option problems of fields the schema accepted
    const error = errorOf(() =>
      fromDocument({
        buildkite: { agentToken: { parameterName: '/buildkite/agent-token' }, queue: 7 },
        scaling: { minSize: 5, maxSize: 2, bogus: 1, scaleInOrder: 'newest-first' },
        instances: { types: ['m7g.large', 'c5.large'], maxInstanceLifetimeDays: 'a week' },
      }),
    );

    // Assess: one message, every problem; nothing about queue or maxInstanceLifetimeDays beyond the schema's own
    expect(error.problems).toEqual([
      'buildkite.queue: must be a string',
      'scaling: has unknown field "bogus" (check the spelling against apps/infra/README.md, or remove it)',
      'instances.maxInstanceLifetimeDays: must be a number',
      expect.stringMatching(
        /^instanceTypes mix architectures .* \[config: instances\.types, instances\.architecture\]$/,
      ),
      expect.stringMatching(/^minSize 5 is greater than maxSize 2.* \[config: scaling\.minSize, scaling\.maxSize\]$/),
      'scaleInOrder "newest-first" applies only with scaleInStrategy "drain" [config: scaling.scaleInStrategy, scaling.scaleInOrder]',
    ]);
  });

  it('never echoes an unknown field that is not shaped like a field name (a pasted token)', () => {
    // Prepare
    const canary = 'bkua_CANARY_as_a_key_0123456789';

    // Act
    const error = errorOf(() => fromDocument({ buildkite: { agentToken: { [canary]: true }, queue: 'q' } }));

    // Assess
    expect(error.problems).toEqual([
      'buildkite.agentToken: has unknown field(s) not shown (not shaped like a field name; check for a pasted secret and remove it)',
      // What is left of agentToken names no source: the construct says which to give.
      expect.stringMatching(/^agent token: no source set; .*\[config: buildkite\.agentToken\.parameterName, /),
    ]);
    expect(error.message).not.toContain(canary);
  });

  it('adds the construct’s problems (no token source, min above max, a bad cron) with the config field they concern', () => {
    // Act
    const error = errorOf(() =>
      fromDocument({
        scaling: {
          minSize: 3,
          maxSize: 1,
          schedules: [{ name: 'nightly', schedule: '0 25 * *', minSize: 0 }],
        },
      }),
    );

    // Assess
    expect(error.problems.length).toBeGreaterThanOrEqual(3);
    expect(error.problems.some((problem) => problem.includes('[config: buildkite.agentToken.parameterName'))).toBe(
      true,
    );
    expect(error.problems.some((problem) => problem.endsWith('[config: scaling.minSize, scaling.maxSize]'))).toBe(true);
    expect(error.problems.some((problem) => problem.includes('nightly'))).toBe(true);
  });

  it('checks a config with its scaling profile applied, as the stack builds it', () => {
    const config = {
      buildkite: { agentToken: { parameterName: '/buildkite/agent-token' } },
      instances: { types: ['c7g.xlarge'] },
      scaling: { profile: 'elastic-ci', maxSize: 10, warmPool: { prepareForWaitingJobs: true } },
    };

    // The profile turns the warm pool on: its prepareForWaitingJobs was refused as needing warmPool.enabled before.
    expect(fromDocument(config).props).toMatchObject({ warmPoolPrepareForWaitingJobs: true });
    // What the profile brings is checked at load too: its warm pool needs a single instance type.
    const error = errorOf(() => fromDocument({ ...config, instances: { types: ['c7g.xlarge', 'm7g.xlarge'] } }));
    expect(error.problems.join('\n')).toContain('warmPoolEnabled needs exactly one instance type');
  });

  it('refuses a scaling.policies path that an option sets under the profile, naming the config field to use', () => {
    // Act
    const error = errorOf(() =>
      fromDocument({
        buildkite: { agentToken: { parameterName: '/buildkite/agent-token' } },
        instances: { types: ['c7g.xlarge'] },
        scaling: { profile: 'elastic-ci', maxSize: 10, policies: { warmPool: { prepareForWaitingJobs: false } } },
      }),
    );

    // Assess
    expect(error.problems).toEqual([
      'scalerPolicies.warmPool.prepareForWaitingJobs would be ignored: the option warmPoolPrepareForWaitingJobs sets it (WARM_POOL_PREPARE_FOR_WAITING_JOBS wins over SCALER_POLICIES); set that option instead [config: scaling.policies, scaling.warmPool.prepareForWaitingJobs]',
    ]);
  });

  it('reads a JSON file that starts with a byte order mark (as Windows tools write UTF-8)', () => {
    // Act
    const config = loadStackConfig(
      writeConfig('bom.json', `\uFEFF${JSON.stringify({ buildkite: { agentToken: { fromDeployParameter: true } } })}`),
    );

    // Assess
    expect(config.props).toEqual({ agentTokenFromDeployParameter: true });
  });

  it('reads a YAML flow document, which starts like JSON but is not JSON', () => {
    // Act
    const config = loadStackConfig(
      writeConfig('flow.yaml', '{stackName: ci-flow, buildkite: {agentToken: {fromDeployParameter: true}}}\n'),
    );

    // Assess
    expect(config.stackName).toBe('ci-flow');
    expect(config.props).toEqual({ agentTokenFromDeployParameter: true });
  });

  it('refuses an unreadable, empty or malformed file without quoting its text', () => {
    // Prepare
    const canary = 'bkua_CANARY_in_a_broken_file';
    const broken = writeConfig('broken.json', `{"buildkite": {"agentToken": "${canary}"`);
    const brokenYaml = writeConfig('broken.yaml', `buildkite:\n  queue: [${canary}\n`);

    // Act
    const missing = errorOf(() => loadStackConfig(join(directory, 'missing.json')));
    const empty = errorOf(() => parseConfigText('  \n', 'empty.json'));
    const json = errorOf(() => loadStackConfig(broken));
    const yaml = errorOf(() => loadStackConfig(brokenYaml));

    // Assess
    expect(missing.problems).toEqual(['(file): cannot be read (ENOENT)']);
    expect(empty.problems).toEqual(['(file): is empty']);
    expect(json.problems).toEqual([expect.stringMatching(/^\(file\): is neither valid JSON nor valid YAML/)]);
    expect(yaml.problems).toEqual([expect.stringMatching(/^\(file\): is neither valid JSON nor valid YAML/)]);
    for (const error of [json, yaml]) {
      expect([error.message, ...error.problems, String(error.cause)].join('\n')).not.toContain(canary);
    }
  });
});

describe('Function: stackConfigFromDocument refuses what the stack cannot build', () => {
  const token = { parameterName: '/buildkite/agent-token' };
  // Each of these passed the load and then failed inside the construct (a stack trace, exit 1), or was ignored.
  it.each([
    [
      'a stack name too long for its instance log groups (/elastic-ci/<name>/buildkite-agent, 128 at most)',
      { stackName: `a${'b'.repeat(100)}`, buildkite: { agentToken: token } },
      'stackName: must be a CloudFormation stack name of at most 100 characters: a letter, then A-Z a-z 0-9 - (the instance log groups /elastic-ci/<stack name>/… must fit CloudWatch’s 128)',
    ],
    [
      'a description longer than CloudFormation takes',
      { description: 'd'.repeat(1025), buildkite: { agentToken: token } },
      'description: must be at most 1024 characters',
    ],
    [
      'a region of an existing secrets bucket that is not a region',
      { buildkite: { agentToken: token }, secrets: { bucketName: 'ci-secrets', bucketRegion: 'Frankfurt' } },
      'secretsBucketRegion must be an AWS region such as us-east-1 or eu-central-2 [config: secrets.bucketRegion]',
    ],
    [
      'a secrets bucket region without the bucket (the created bucket is in the stack’s region)',
      { buildkite: { agentToken: token }, secrets: { bucketRegion: 'eu-west-1' } },
      'secretsBucketRegion is set without secretsBucketName; a created secrets bucket is in the stack’s region [config: secrets.bucketName, secrets.bucketRegion]',
    ],
    [
      'a VPC block too small for its public /24 subnets',
      { buildkite: { agentToken: token }, network: { vpcCidr: '10.0.0.0/30' } },
      'vpcCidr is "10.0.0.0/30"; a created VPC needs a /16 to /23 block: each of its 2 public subnets (publicSubnetCount) is a /24 [config: network.vpcCidr, network.publicSubnetCount]',
    ],
    [
      'no public addresses in the created VPC (public subnets only, no NAT)',
      { buildkite: { agentToken: token }, network: { associatePublicIpAddress: false } },
      'associatePublicIpAddress is false, but the created VPC has only public subnets and no NAT gateway, so instances could not reach Buildkite; give vpcId and subnetIds of private subnets with a route to the internet, or leave it true [config: network.vpcId, network.subnetIds, network.associatePublicIpAddress]',
    ],
  ])('%s', (_name, document, problem) => {
    expect(errorOf(() => fromDocument(document)).problems).toEqual([problem]);
  });

  it('a scaling.policies value the scaler refuses (its cold start failed on every invocation after deploy)', () => {
    // Act
    const error = errorOf(() =>
      fromDocument({
        buildkite: { agentToken: token },
        scaling: { policies: { forecast: { timezone: 'Europe/Berln' }, scaleIn: { minIdleSec: -4 } } },
      }),
    );

    // Assess
    expect(error.problems).toHaveLength(2);
    expect(error.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^scalerPolicies\.forecast\.timezone is refused by the scaler: .*Europe\/Berln.* \[config: scaling\.policies\]$/,
        ),
        expect.stringMatching(
          /^scalerPolicies\.scaleIn\.minIdleSec is refused by the scaler: .*0.* \[config: scaling\.policies\]$/,
        ),
      ]),
    );
  });

  it('names a stack after a long file name within the same limit', () => {
    const name = defaultStackName(`/configs/${'very-long-queue-name-'.repeat(8)}.yaml`);
    expect(name.length).toBeLessThanOrEqual(100);
    expect(name).toMatch(/^elastic-ci-very-long-queue-name-.*[^-]$/);
  });
});

describe('Function: loadStackConfig with a file of the wrong shape', () => {
  it.each([
    [
      'a YAML list of names',
      'list.yaml',
      '- linux\n- arm\n',
      '(file): is a list but not a Buildkite parameter file (entries {"ParameterKey": …, "ParameterValue": …}); a typed config is an object of sections (stackName, buildkite, scaling …)',
    ],
    [
      'Key=Value lines (the AWS CLI shorthand)',
      'params.txt',
      'BuildkiteQueue=linux\nMinSize=1\n',
      '(file): is a single value, not a config: write a typed config (an object of sections: stackName, buildkite, scaling …) or a Buildkite parameter file ([{"ParameterKey": …, "ParameterValue": …}]); Key=Value lines are not read',
    ],
    ['a document of only null', 'null.yaml', '~\n', '(file): holds no settings (the document is null)'],
  ])('%s: one problem saying what a config looks like', (_name, file, text, problem) => {
    expect(errorOf(() => loadStackConfig(writeConfig(file, text))).problems).toEqual([problem]);
  });
});

describe('Function: loadStackConfig with a Buildkite parameter file', () => {
  it('lists the construct’s problems with the parameters’ own, leaving out those about a refused parameter', () => {
    // Act
    const error = errorOf(() =>
      fromDocument([
        { ParameterKey: 'MinSize', ParameterValue: 'two' },
        { ParameterKey: 'MaxSize', ParameterValue: '1' },
        { ParameterKey: 'Bogus', ParameterValue: 'x' },
        { ParameterKey: 'BuildkiteAgentTokenParameterStorePath', ParameterValue: 'agent-token' },
        { ParameterKey: 'InstanceTypes', ParameterValue: 'm7g.large,c5.large' },
      ]),
    );

    // Assess: MinSize is named once, by its own problem; the token path and the types are checked all the same
    expect(error.problems).toEqual([
      'Bogus: is not a Buildkite Elastic CI Stack parameter',
      'MinSize: "two" is not a whole number at least 0',
      expect.stringMatching(/^instanceTypes mix architectures .*\[parameter: InstanceTypes/),
      expect.stringMatching(
        /^agentTokenParameterName must be an SSM parameter path .*\[parameter: BuildkiteAgentTokenParameterStorePath\]$/,
      ),
    ]);
  });

  it('loads BuildkiteAgentTokenParameterStoreKMSKey given as a key id, as Buildkite takes it, and grants Decrypt on it', () => {
    // Prepare
    const keyId = '1234abcd-12ab-34cd-56ef-1234567890ab';
    const document = [
      { ParameterKey: 'BuildkiteAgentTokenParameterStorePath', ParameterValue: '/buildkite/agent-token' },
      { ParameterKey: 'BuildkiteAgentTokenParameterStoreKMSKey', ParameterValue: keyId },
    ];

    // Act
    const { props } = fromDocument(document);
    const synthesized = synthesizeStack(props);

    // Assess: the key's ARN in the stack's own partition, region and account
    const decrypt = Object.values(resourcesOfType(synthesized.json, 'AWS::IAM::Policy'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as TemplateValue[])
      .filter((statement) => statement.Action === 'kms:Decrypt');
    expect(decrypt.length).toBeGreaterThan(0);
    for (const statement of decrypt) {
      expect(statement.Resource).toEqual({
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':kms:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            `:key/${keyId}`,
          ],
        ],
      });
    }
  });
});

describe('Function: loadStackConfig with YAML the config cannot mean', () => {
  it('refuses a YAML tag (a CloudFormation !Ref) naming its line, instead of warning with the text and reading a string', () => {
    // Prepare: yaml's own warning quotes the line, which here holds a secret
    const canary = 'bkua_CANARY_after_a_yaml_tag_0123456789';
    const tagged = writeConfig(
      'tagged.yaml',
      `stackName: ci-tagged\nbuildkite:\n  queue: !Ref ${canary}\n  agentToken: { fromDeployParameter: true }\n`,
    );
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);

    // Act
    const error = errorOf(() => loadStackConfig(tagged));

    // Assess
    expect(error.problems).toEqual([
      '(file): line 3, column 10: YAML tags such as !Ref are not supported (a config holds plain values, no CloudFormation functions); remove the tag',
    ]);
    expect(warnings).not.toHaveBeenCalled();
    expect([error.message, ...error.problems, String(error.cause)].join('\n')).not.toContain(canary);
    warnings.mockRestore();
  });

  it('refuses a key given twice and a file of several YAML documents, each with its line', () => {
    // Act
    const duplicate = errorOf(() =>
      loadStackConfig(writeConfig('twice.yaml', 'stackName: a\nscaling:\n  maxSize: 2\n  maxSize: 3\n')),
    );
    const documents = errorOf(() =>
      loadStackConfig(writeConfig('two-documents.yaml', 'stackName: a\n---\nstackName: b\n')),
    );

    // Assess
    expect(duplicate.problems).toEqual(['(file): line 4, column 3: a key is given twice; keep one']);
    expect(documents.problems).toEqual(['(file): holds 2 YAML documents (separated by ---); keep one']);
  });
});

describe('Function: defaultStackName', () => {
  it.each([
    ['config/linux-large.json', 'elastic-ci-linux-large'],
    ['/tmp/Queue_A.b.yaml', 'elastic-ci-Queue-A-b'],
    ['params.json', 'elastic-ci-params'],
    ['---.json', 'elastic-ci'],
  ])('names the stack of %s %s', (path, stackName) => {
    expect(defaultStackName(path)).toBe(stackName);
  });
});
