import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseBootContract } from '@elastic-ci/agent-instance/boot-contract';
import { beforeAll, describe, expect, it } from 'vitest';
import { bootContractFromUserData } from './agent-fleet/fleet-boot-contract';
import { loadStackConfig } from './config/load-stack-config';
import { synthesizeApp } from './synth-app';
import { resolvePlaceholders } from './test-support/resolve-placeholders';
import { resourcesOfType, type TemplateValue } from './test-support/synthesize';

// The "done when": `make synth CONFIG=<a Buildkite parameter file>` gives a template whose resources carry
// the file's values. The fixture is a full parameter file as used with `aws cloudformation deploy`.
const PARAMETER_FILE = resolve(import.meta.dirname, 'config/fixtures/buildkite-full.json');

let template: TemplateValue;
const only = (type: string) => {
  const found = Object.values(resourcesOfType(template, type));
  expect(found).toHaveLength(1);
  return found[0].Properties;
};

beforeAll(async () => {
  const outRoot = mkdtempSync(join(tmpdir(), 'elastic-ci-buildkite-file-'));
  const result = await synthesizeApp({ outRoot, configPath: PARAMETER_FILE, loadConfig: loadStackConfig });
  template = JSON.parse(readFileSync(result.templatePath, 'utf8'));
}, 300_000);

describe('a Buildkite parameter file, synthesized', () => {
  it('instance types, on-demand base and percentage, spot strategy, sizes', () => {
    const group = only('AWS::AutoScaling::AutoScalingGroup');
    expect(group).toMatchObject({ MinSize: '1', MaxSize: '40' });
    expect(group.DesiredCapacity).toBeUndefined();
    expect(group.MixedInstancesPolicy.InstancesDistribution).toMatchObject({
      OnDemandBaseCapacity: 1,
      OnDemandPercentageAboveBaseCapacity: 25,
      SpotAllocationStrategy: 'price-capacity-optimized',
    });
    expect(group.MixedInstancesPolicy.LaunchTemplate.Overrides.map((o: TemplateValue) => o.InstanceType)).toEqual([
      'c6i.2xlarge',
      'c6a.2xlarge',
      'm6i.2xlarge',
      'c5.2xlarge',
    ]);
  });

  it('schedules with their time zone', () => {
    const actions = Object.values(resourcesOfType(template, 'AWS::AutoScaling::ScheduledAction')).map(
      (action) => action.Properties,
    );
    expect(actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Recurrence: '0 7 * * MON-FRI', TimeZone: 'Europe/Berlin', MinSize: 4 }),
        expect.objectContaining({ Recurrence: '30 19 * * MON-FRI', TimeZone: 'Europe/Berlin', MinSize: 1 }),
      ]),
    );
  });

  it('queue, agents per instance, scale-out factor, buffer, waiting jobs, cooldowns reach the scaler', () => {
    const [scheduled] = Object.values(resourcesOfType(template, 'AWS::Lambda::Function')).filter(
      (fn) => fn.Properties.Handler === 'scheduled.handler',
    );
    expect(scheduled.Properties.Environment.Variables).toMatchObject({
      BUILDKITE_QUEUE: 'linux-large',
      AGENTS_PER_INSTANCE: '3',
      SCALE_OUT_FACTOR: '1.5',
      INSTANCE_BUFFER: '2',
      INCLUDE_WAITING: 'true',
      SCALE_OUT_COOLDOWN_PERIOD: '120s',
      SCALE_IN_COOLDOWN_PERIOD: '1800s',
      DISABLE_SCALE_IN: 'true',
      BUILDKITE_AGENT_TOKEN_SSM_KEY: '/buildkite/linux-large/agent-token',
    });
  });

  it('agent tags, spawn, idle period and docker options reach the instances (boot contract in user data)', () => {
    const launchTemplate = only('AWS::EC2::LaunchTemplate');
    const userData = resolvePlaceholders(launchTemplate.LaunchTemplateData.UserData['Fn::Base64'], template.Resources);
    const contract = parseBootContract(bootContractFromUserData(String(userData)));
    const text = JSON.stringify(contract);
    expect(text).toContain('linux-large');
    expect(text).toMatch(/"team"\s*:\s*"platform"|team=platform/);
    expect(text).toContain('10.200.0.0/16');
    expect(text).toContain('10.201.0.0/16');
    expect(JSON.stringify(contract)).toMatch(/900/); // idle period (seconds)
    expect(JSON.stringify(contract)).toMatch(/"(spawn|agentsPerInstance)"\s*:\s*3/);
  });

  it('ECR access policy and log retention', () => {
    const roles = Object.values(resourcesOfType(template, 'AWS::IAM::Role'));
    expect(JSON.stringify(roles.map((role) => role.Properties.ManagedPolicyArns ?? []))).toContain(
      'AmazonEC2ContainerRegistryReadOnly',
    );
    const retention = Object.values(resourcesOfType(template, 'AWS::Logs::LogGroup')).map(
      (group) => group.Properties.RetentionInDays,
    );
    expect(retention).toContain(14);
  });
});
