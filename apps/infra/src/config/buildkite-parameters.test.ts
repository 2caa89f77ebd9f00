import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Token } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  BUILDKITE_PARAMETER_RULES,
  BUILDKITE_STACK_PARAMETERS,
  buildkiteParametersToConfig,
  isBuildkiteParameterDocument,
} from './buildkite-parameters.js';
import { loadStackConfig, stackConfigFromDocument } from './load-stack-config.js';
import { StackConfigError } from './stack-config-error.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const parameters = (entries: Record<string, string>) =>
  Object.entries(entries).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));
const TOKEN_SOURCE = { BuildkiteAgentTokenParameterStorePath: '/buildkite/agent-token' };

function problemsOf(action: () => unknown): readonly string[] {
  try {
    action();
  } catch (error) {
    if (error instanceof StackConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a StackConfigError');
}

describe('Function: buildkiteParametersToConfig', () => {
  it('has exactly one rule for each of the 126 parameters of Buildkite’s template, in its order', () => {
    // Assess
    expect(BUILDKITE_STACK_PARAMETERS).toHaveLength(126);
    expect(new Set(BUILDKITE_STACK_PARAMETERS).size).toBe(126);
    expect(BUILDKITE_PARAMETER_RULES.map((rule) => rule.parameter)).toEqual([...BUILDKITE_STACK_PARAMETERS]);
  });

  it('gives every refused parameter a reason and every mapped one a config field', () => {
    for (const rule of BUILDKITE_PARAMETER_RULES) {
      expect(rule.notes, rule.parameter).not.toBe('');
      if (rule.status === 'mapped') expect(rule.fields.length, rule.parameter).toBeGreaterThan(0);
      if (rule.status === 'unsupported') expect(rule.acceptedValues, rule.parameter).toBeDefined();
    }
  });

  it('maps a realistic Buildkite parameter file onto the typed config', () => {
    // Prepare
    const document = JSON.parse(readFileSync(fixture('buildkite-full.json'), 'utf8'));

    // Act
    const config = buildkiteParametersToConfig(document);

    // Assess
    expect(config.buildkite).toEqual({
      queue: 'linux-large',
      agentToken: { parameterName: '/buildkite/linux-large/agent-token' },
      agentTags: { team: 'platform', os: 'linux', size: 'large' },
      agentsPerInstance: 3,
      timestampLines: true,
      gitMirrorsEnabled: true,
      agentRelease: 'stable',
      agentEndpoint: 'https://agent-edge.buildkite.com/v3',
      idleTimeoutSec: 900,
    });
    expect(config.instances).toEqual({
      types: ['c6i.2xlarge', 'c6a.2xlarge', 'm6i.2xlarge', 'c5.2xlarge'],
      onDemandBaseCapacity: 1,
      onDemandPercentageAboveBaseCapacity: 25,
      spotAllocationStrategy: 'price-capacity-optimized',
      newInstancesProtectedFromScaleIn: true,
    });
    expect(config.scaling).toEqual({
      minSize: 1,
      maxSize: 40,
      scaleOutFactor: 1.5,
      instanceBuffer: 2,
      includeWaitingJobs: true,
      scaleOutCooldownSec: 120,
      scaleInCooldownSec: 1800,
      disableScaleIn: true,
      scheduleIntervalSec: 60,
      pollIntervalSec: 10,
      schedules: [
        { name: 'scale-up', schedule: '0 7 * * MON-FRI', timeZone: 'Europe/Berlin', minSize: 4 },
        { name: 'scale-down', schedule: '30 19 * * MON-FRI', timeZone: 'Europe/Berlin', minSize: 1 },
      ],
    });
    expect(config.storage).toEqual({
      rootVolumeSizeGiB: 200,
      rootVolumeType: 'gp3',
      rootVolumeIops: 6000,
      rootVolumeThroughputMiBps: 250,
    });
    expect(config.docker).toEqual({
      userNamespaceRemap: false,
      experimental: true,
      networkingProtocol: 'ipv4',
      ipv4AddressPools: ['10.200.0.0/16', '10.201.0.0/16'],
      pruneUntilSec: 7200,
      builderPruneEnabled: true,
      ecrPluginEnabled: true,
    });
    expect(config.security).toEqual({
      ecrAccessPolicy: 'readonly-pullthrough',
      managedPolicyArns: ['arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore'],
    });
    expect(config.secrets).toEqual({ pluginEnabled: true });
    expect(config.tags).toEqual({ costAllocation: { CostCenter: 'ci-platform' } });
    expect(config.logs).toEqual({ retentionDays: 14, instanceLogRetentionDays: 30 });
  });

  it('gives the same config whatever the order of the entries (grouped parameters read each other by name)', () => {
    // Prepare: every rotation and the reversal of the realistic file
    const entries: unknown[] = JSON.parse(readFileSync(fixture('buildkite-full.json'), 'utf8'));
    const expected = buildkiteParametersToConfig(entries);
    const orders = [
      [...entries].reverse(),
      ...entries.map((_, offset) => [...entries.slice(offset), ...entries.slice(0, offset)]),
    ];

    // Act + Assess
    for (const order of orders) expect(buildkiteParametersToConfig(order)).toEqual(expected);
  });

  it('reads the {"Parameters": {…}} form too', () => {
    // Act
    const config = buildkiteParametersToConfig({ Parameters: { ...TOKEN_SOURCE, MinSize: '2', MaxSize: '5' } });

    // Assess
    expect(config.scaling).toEqual({ minSize: 2, maxSize: 5 });
  });

  it('refuses unknown and unsupported parameters and unaccepted values in one error listing them all', () => {
    // Act
    const error = (() => {
      try {
        loadStackConfig(fixture('buildkite-unknown-and-unsupported.json'));
      } catch (caught) {
        return caught as StackConfigError;
      }
      throw new Error('expected a StackConfigError');
    })();

    // Assess
    expect(error).toBeInstanceOf(StackConfigError);
    expect(error.name).toBe('StackConfigError');
    expect(error.problems).toEqual([
      'buildkiteQueue: is not a Buildkite Elastic CI Stack parameter (did you mean BuildkiteQueue?)',
      'EnableSpotFleet: is not a Buildkite Elastic CI Stack parameter',
      'InstanceOperatingSystem: is not supported: Windows agents are not supported: the agent image is Linux only; remove it or set it to "linux"',
      'BuildkiteWindowsAdministrator: is not supported: Windows agents are not supported (its default changes nothing on Linux); remove it or set it to "true"',
      'NestedVirtualizationEnabled: is not supported: nested virtualization has no option in this stack yet; remove it or set it to "false"',
      'RootVolumeDeleteOnTermination: is not supported: root volumes are always deleted with their instance (a kept volume would hold build leftovers and secrets); remove it or set it to "true"',
      'InstanceCreationTimeout: is not supported: the stack waits for no instance signals (no CreationPolicy): an instance that fails to boot marks itself unhealthy and is replaced; remove it or leave it empty',
      'AgentEnvFileUrl: the URL is not supported: use s3://, ssm:, https:// (http:// fetches code or settings in plaintext and file:// reads a path the image lacks)',
      'RootVolumeType: "st1" is not supported: throughput-optimized HDD cannot be a boot volume; use one of "gp3", "gp2", "io1", "io2"',
    ]);
    expect(error.message).toMatch(
      /buildkite-unknown-and-unsupported\.json: invalid stack configuration \(9 problems\):\n/,
    );
  });

  it('never reads or prints the agent token a file carries', () => {
    // Prepare
    const canary = 'bkua_CANARY_0123456789abcdef0123456789';
    const good = parameters({ BuildkiteAgentToken: canary, MinSize: '0' });
    const bad = parameters({ BuildkiteAgentToken: canary, MinSize: 'many', Unknown: canary });

    // Act
    const config = buildkiteParametersToConfig(good);
    const error = (() => {
      try {
        buildkiteParametersToConfig(bad);
      } catch (caught) {
        return caught as StackConfigError;
      }
      throw new Error('expected a StackConfigError');
    })();

    // Assess
    expect(config.buildkite?.agentToken).toEqual({ fromDeployParameter: true });
    expect(JSON.stringify(config)).not.toContain(canary);
    expect([error.message, ...error.problems, String(error.cause)].join('\n')).not.toContain(canary);
  });

  it('never echoes a parameter name that is not shaped like one (a pasted token)', () => {
    // Prepare
    const canary = 'bkua_CANARY_as_a_key_0123456789';

    // Act
    const problems = problemsOf(() => buildkiteParametersToConfig(parameters({ ...TOKEN_SOURCE, [canary]: 'x' })));

    // Assess
    expect(problems).toEqual([
      '(a parameter whose name is not shown: it is not shaped like a parameter name): is not a Buildkite Elastic CI Stack parameter',
    ]);
  });

  it('never echoes a long value (a token pasted into the wrong parameter), naming the parameter all the same', () => {
    // Prepare: one parameter of every value reader
    const canary = 'bkua_CANARY_in_the_wrong_parameter_0123456789';
    const wrong = [
      'DisableScaleIn',
      'MinSize',
      'ScaleOutFactor',
      'SpotAllocationStrategy',
      'RootVolumeType',
      'ScalerEventSchedulePeriod',
      'ScalerMinPollInterval',
      'DockerPruneUntil',
      'BuildkiteAgentTags',
    ];

    // Act
    const problems = problemsOf(() =>
      buildkiteParametersToConfig(
        parameters({ ...TOKEN_SOURCE, ...Object.fromEntries(wrong.map((parameter) => [parameter, canary])) }),
      ),
    );

    // Assess
    expect(problems.map((problem) => problem.slice(0, problem.indexOf(':')))).toEqual(wrong);
    for (const problem of problems) expect(problem).toContain(`a value of ${canary.length} characters, not shown`);
    expect(problems.join('\n')).not.toContain(canary);
  });

  it('never echoes an env-file or bootstrap URL (it may be presigned)', () => {
    // Prepare
    const secretUrl = 'http://bucket.s3.amazonaws.com/env?X-Amz-Signature=CANARY_SIGNATURE';

    // Act
    const problems = problemsOf(() =>
      buildkiteParametersToConfig(
        parameters({ ...TOKEN_SOURCE, AgentEnvFileUrl: secretUrl, BootstrapScriptUrl: 'file:///CANARY_SIGNATURE' }),
      ),
    );

    // Assess
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).not.toContain('CANARY_SIGNATURE');
  });

  it.each([
    ['DisableScaleIn', 'yes', 'DisableScaleIn: "yes" is not "true" or "false"'],
    ['MinSize', '-1', 'MinSize: "-1" is not a whole number at least 0'],
    ['OnDemandPercentage', '120', 'OnDemandPercentage: "120" is not a whole number from 0 to 100'],
    ['AgentsPerInstance', '100', 'AgentsPerInstance: "100" is not a whole number from 1 to 64'],
    ['ScaleOutFactor', '0', 'ScaleOutFactor: "0" is not a number above 0'],
    [
      'SpotAllocationStrategy',
      'cheapest',
      'SpotAllocationStrategy: "cheapest" is not one of "price-capacity-optimized", "capacity-optimized", "lowest-price", "capacity-optimized-prioritized"',
    ],
    [
      'ScalerEventSchedulePeriod',
      'every minute',
      'ScalerEventSchedulePeriod: "every minute" is not a rate such as "1 minute" or "5 minutes"',
    ],
    [
      'ScalerMinPollInterval',
      '500ms',
      'ScalerMinPollInterval: "500ms" is not whole seconds (our scaler counts in seconds)',
    ],
    [
      'DockerPruneUntil',
      'four hours',
      'DockerPruneUntil: "four hours" is not a duration like 10s, 1m30s or 4h (or 2d)',
    ],
    ['BuildkiteAgentTags', 'team', 'BuildkiteAgentTags: "team" is not key=value'],
    [
      'LogRetentionDays',
      '2',
      'LogRetentionDays: 2 is not a CloudWatch retention (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)',
    ],
    ['InstanceTypes', ' , ', 'InstanceTypes: needs at least one instance type'],
    ['DockerIPv4AddressPool1', ' ', 'DockerIPv4AddressPool1 (docker.ipv4AddressPools[0]: must not be empty)'],
  ])('refuses %s=%j naming the parameter', (parameter, value, problem) => {
    // Act
    const problems = problemsOf(() => buildkiteParametersToConfig(parameters({ ...TOKEN_SOURCE, [parameter]: value })));

    // Assess
    expect(problems).toEqual([problem]);
  });

  it('refuses malformed entries, repeated keys and UsePreviousValue', () => {
    // Act
    const problems = problemsOf(() =>
      buildkiteParametersToConfig([
        { ParameterKey: 'MinSize', ParameterValue: '1' },
        { ParameterKey: 'MinSize', ParameterValue: '2' },
        { ParameterValue: 'orphan' },
        { ParameterKey: 'MaxSize', UsePreviousValue: true },
        { ParameterKey: 'BuildkiteQueue', ParameterValue: { nested: true } },
        'MinSize=1',
      ]),
    );

    // Assess
    expect(problems).toEqual([
      'MinSize: is given more than once; keep one',
      'entry 3: needs a "ParameterKey" string',
      'MaxSize: "UsePreviousValue" needs an existing stack; give a ParameterValue',
      'BuildkiteQueue: needs a "ParameterValue" string',
      'entry 6: needs a "ParameterKey" string',
    ]);
  });

  it('accepts unsupported parameters at values that change nothing, and Buildkite defaults of accepted ones', () => {
    // Act
    const config = buildkiteParametersToConfig(
      parameters({
        ...TOKEN_SOURCE,
        InstanceOperatingSystem: 'linux',
        LinuxDistribution: 'amazonlinux2023',
        NestedVirtualizationEnabled: 'false',
        RootVolumeDeleteOnTermination: 'true',
        InstanceCreationTimeout: '',
        BuildkiteWindowsAdministrator: 'true',
        IMDSv2Tokens: 'optional',
        RootVolumeEncrypted: 'false',
        SecretsBucketEncryption: 'false',
        BuildkiteAgentEnableGracefulShutdown: 'false',
        EnableScheduledScaling: 'false',
        EnableCostAllocationTags: 'false',
        EnableEC2LogRetentionPolicy: 'false',
        EnableVpcEndpoints: 'false',
      }),
    );

    // Assess
    expect(config).toEqual({ buildkite: { agentToken: { parameterName: '/buildkite/agent-token' } } });
  });

  it('uses Buildkite’s defaults for the scheduled-scaling parameters a file leaves out', () => {
    // Act
    const config = buildkiteParametersToConfig(parameters({ ...TOKEN_SOURCE, EnableScheduledScaling: 'true' }));

    // Assess
    expect(config.scaling?.schedules).toEqual([
      { name: 'scale-up', schedule: '0 8 * * MON-FRI', timeZone: 'UTC', minSize: 1 },
      { name: 'scale-down', schedule: '0 18 * * MON-FRI', timeZone: 'UTC', minSize: 0 },
    ]);
  });

  it('applies IOPS and throughput only to the volume types that take them, as Buildkite does', () => {
    // Act
    const gp2 = buildkiteParametersToConfig(
      parameters({ ...TOKEN_SOURCE, RootVolumeType: 'gp2', RootVolumeIops: '3000', RootVolumeThroughput: '125' }),
    );
    const io2 = buildkiteParametersToConfig(
      parameters({ ...TOKEN_SOURCE, RootVolumeType: 'io2', RootVolumeIops: '8000', RootVolumeThroughput: '125' }),
    );

    // Assess
    expect(gp2.storage).toEqual({ rootVolumeType: 'gp2' });
    expect(io2.storage).toEqual({ rootVolumeType: 'io2', rootVolumeIops: 8000 });
  });

  it('adds Buildkite’s VPC endpoints only to a created VPC', () => {
    // Act
    const created = buildkiteParametersToConfig(parameters({ ...TOKEN_SOURCE, EnableVpcEndpoints: 'true' }));
    const brought = buildkiteParametersToConfig(
      parameters({ ...TOKEN_SOURCE, EnableVpcEndpoints: 'true', VpcId: 'vpc-0123456789abcdef0' }),
    );

    // Assess
    expect(created.network).toEqual({
      interfaceEndpoints: ['ecr.api', 'ecr.dkr', 'ssm', 'ssmmessages', 'ec2messages', 'secretsmanager', 'kms'],
      gatewayEndpoints: ['s3'],
    });
    expect(brought.network).toEqual({ vpcId: 'vpc-0123456789abcdef0' });
  });

  it('turns a KMS key id into its ARN in the stack’s account and region', () => {
    // Act
    const config = buildkiteParametersToConfig(
      parameters({ ...TOKEN_SOURCE, BuildkiteAgentTokenParameterStoreKMSKey: '1234abcd-12ab-34cd-56ef-1234567890ab' }),
    );

    // Assess
    const arn = config.buildkite?.agentToken?.parameterKmsKeyArn ?? '';
    expect(Token.isUnresolved(arn)).toBe(true);
    expect(arn).toMatch(/^arn:\$\{Token\[AWS\.Partition\.\d+\]\}:kms:.*:key\/1234abcd-12ab-34cd-56ef-1234567890ab$/);
  });

  it('tells parameter files from typed configs by shape', () => {
    expect(isBuildkiteParameterDocument([])).toBe(true);
    expect(isBuildkiteParameterDocument({ Parameters: {} })).toBe(true);
    expect(isBuildkiteParameterDocument({ buildkite: {} })).toBe(false);
    expect(isBuildkiteParameterDocument(null)).toBe(false);
    expect(problemsOf(() => buildkiteParametersToConfig({ scaling: {} }))).toEqual([
      '(file): is not a Buildkite parameter file: expected [{"ParameterKey": …, "ParameterValue": …}, …] or {"Parameters": {…}}',
    ]);
  });
});

describe('Function: loadStackConfig with a Buildkite parameter file', () => {
  it('produces stack props that carry the file’s values', () => {
    // Act
    const { stackName, props, format } = loadStackConfig(fixture('buildkite-full.json'));

    // Assess
    expect(format).toBe('buildkite-parameters');
    expect(stackName).toBe('elastic-ci-buildkite-full');
    expect(props).toMatchObject({
      queue: 'linux-large',
      agentTokenParameterName: '/buildkite/linux-large/agent-token',
      agentsPerInstance: 3,
      agentTags: { team: 'platform', os: 'linux', size: 'large' },
      instanceTypes: ['c6i.2xlarge', 'c6a.2xlarge', 'm6i.2xlarge', 'c5.2xlarge'],
      onDemandBaseCapacity: 1,
      onDemandPercentageAboveBaseCapacity: 25,
      spotAllocationStrategy: 'price-capacity-optimized',
      minSize: 1,
      maxSize: 40,
      scaleOutFactor: 1.5,
      instanceBuffer: 2,
      includeWaitingJobs: true,
      scheduledScalingActions: [
        { name: 'scale-up', schedule: '0 7 * * MON-FRI', timeZone: 'Europe/Berlin', minSize: 4 },
        { name: 'scale-down', schedule: '30 19 * * MON-FRI', timeZone: 'Europe/Berlin', minSize: 1 },
      ],
      dockerUserNamespaceRemap: false,
      dockerExperimental: true,
      dockerIpv4AddressPools: ['10.200.0.0/16', '10.201.0.0/16'],
      ecrAccessPolicy: 'readonly-pullthrough',
      costAllocationTags: { CostCenter: 'ci-platform' },
      logRetentionDays: 14,
      instanceLogRetention: 30,
    });
    expect(props.agentDisconnectAfterIdleTimeout?.toSeconds()).toBe(900);
    expect(props.dockerPruneUntil?.toSeconds()).toBe(7200);
  });

  it('adds the construct’s own checks (min above max, a bad time zone) to the same error', () => {
    // Prepare
    const document = parameters({
      ...TOKEN_SOURCE,
      MinSize: '5',
      MaxSize: '2',
      EnableScheduledScaling: 'true',
      ScheduleTimezone: 'Mars/Olympus',
      Surprise: 'x',
    });

    // Act: the unknown parameter stops the mapping first; without it the construct's checks speak
    const mappingProblems = problemsOf(() => buildkiteParametersToConfig(document));
    const withoutUnknown = document.filter((entry) => entry.ParameterKey !== 'Surprise');
    const constructProblems = problemsOf(() =>
      stackConfigFromDocument(withoutUnknown, { source: 'file', defaultStackName: 'stack' }),
    );

    // Assess
    expect(mappingProblems).toEqual(['Surprise: is not a Buildkite Elastic CI Stack parameter']);
    expect(constructProblems.length).toBeGreaterThanOrEqual(2);
    expect(constructProblems.some((problem) => /minSize/.test(problem) && /maxSize/.test(problem))).toBe(true);
    expect(constructProblems.some((problem) => problem.includes('Mars/Olympus'))).toBe(true);
  });
});
