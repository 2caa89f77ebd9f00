import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { LEASE_TTL_ATTRIBUTE, SCHEDULED_TIMEOUT_MARGIN_SEC } from './control-plane/scaler';
import { resolvePlaceholders } from './test-support/resolve-placeholders';
import {
  MAXIMAL_PROPS,
  MINIMAL_PROPS,
  resourcesOfType,
  type SynthesizedStack,
  synthesizeStack,
  type TemplateValue,
} from './test-support/synthesize';

// One synthesis per variant for the whole file; every `it` reads the shared templates.
let defaults: SynthesizedStack;
let maximal: SynthesizedStack;
let fixedFleet: SynthesizedStack;
let existingSecrets: SynthesizedStack;
let minimalControlPlane: SynthesizedStack;
let zombieCheck: SynthesizedStack;

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ci/buildkite-token-AbC123';
const KMS_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

beforeAll(() => {
  defaults = synthesizeStack(MINIMAL_PROPS);
  maximal = synthesizeStack(MAXIMAL_PROPS);
  fixedFleet = synthesizeStack({ ...MINIMAL_PROPS, minSize: 2, maxSize: 2 });
  existingSecrets = synthesizeStack({
    agentTokenSecretArn: SECRET_ARN,
    webhookEnabled: true,
    webhookSecretParameterName: '/ci/buildkite-webhook-token',
  });
  minimalControlPlane = synthesizeStack({
    agentTokenParameterName: '/ci/token',
    agentTokenParameterKmsKeyArn: KMS_KEY_ARN,
    instanceBroker: false,
    azRebalancingSuspenderEnabled: false,
    stopAgentsEnabled: false,
    dashboardEnabled: false,
    scalerLeaseEnabled: false,
  });
  // The zombie check alone (set-desired: no drain grants), with the webhook to see that only polling checks.
  zombieCheck = synthesizeStack({ ...MINIMAL_PROPS, webhookEnabled: true, zombieCheckEnabled: true });
}, 600_000);

function functionsOf(synthesized: SynthesizedStack): Record<string, TemplateValue> {
  return resourcesOfType(synthesized.json, 'AWS::Lambda::Function');
}

function functionByHandler(synthesized: SynthesizedStack, handler: string, packageName?: string): TemplateValue {
  const found = Object.values(functionsOf(synthesized)).filter(
    (fn) =>
      fn.Properties.Handler === handler &&
      (packageName === undefined || fn.Properties.Tags.some((tag: { Value: string }) => tag.Value === packageName)),
  );
  expect(found).toHaveLength(1);
  return found[0];
}

const scheduledEnvironment = (synthesized: SynthesizedStack) =>
  functionByHandler(synthesized, 'scheduled.handler').Properties.Environment.Variables;
const webhookEnvironment = (synthesized: SynthesizedStack) =>
  functionByHandler(synthesized, 'webhook.handler').Properties.Environment.Variables;

/** Every policy statement attached to the role of the function with this handler. */
function statementsOfFunction(synthesized: SynthesizedStack, handler: string, packageName?: string): TemplateValue[] {
  const roleId = functionByHandler(synthesized, handler, packageName).Properties.Role['Fn::GetAtt'][0];
  return Object.values(resourcesOfType(synthesized.json, 'AWS::IAM::Policy'))
    .filter((policy) => policy.Properties.Roles.some((role: TemplateValue) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

/** The id part of the placeholder stack id (see test-support/resolve-placeholders.ts). */
const STACK_UUID = '0d7e5b70-0000-11ee-be56-0242ac120002';
const resolved = (synthesized: SynthesizedStack, value: unknown) =>
  resolvePlaceholders(value, synthesized.json.Resources);

const actionsOf = (statement: TemplateValue): string[] => [statement.Action].flat();
const json = (value: unknown) => JSON.stringify(value);

describe('agent token', () => {
  it('agentTokenParameterName: the scaler reads that parameter and may read only it', () => {
    expect(scheduledEnvironment(defaults).BUILDKITE_AGENT_TOKEN_SSM_KEY).toBe('/buildkite/agent-token');
    const statements = statementsOfFunction(defaults, 'scheduled.handler');
    const read = statements.filter((statement) => actionsOf(statement).includes('ssm:GetParameter'));
    expect(json(read)).toContain(':parameter/buildkite/agent-token"');
  });

  it('agentTokenParameterKmsKeyArn: the scaler may decrypt with that key only', () => {
    const statements = statementsOfFunction(minimalControlPlane, 'scheduled.handler');
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'kms:Decrypt', Resource: KMS_KEY_ARN }));
  });

  it('agentTokenSecretArn: read through the Parameter Store reference, GetSecretValue on that secret only', () => {
    expect(scheduledEnvironment(existingSecrets).BUILDKITE_AGENT_TOKEN_SSM_KEY).toBe(
      '/aws/reference/secretsmanager/ci/buildkite-token',
    );
    const statements = statementsOfFunction(existingSecrets, 'scheduled.handler');
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'secretsmanager:GetSecretValue',
        Resource: SECRET_ARN,
      }),
    );
  });

  it('agentTokenFromDeployParameter: a NoEcho parameter stored in a Secrets Manager secret, never a plain value', () => {
    expect(maximal.json.Parameters.BuildkiteAgentToken).toMatchObject({ Type: 'String', NoEcho: true });
    const secrets = Object.values(resourcesOfType(maximal.json, 'AWS::SecretsManager::Secret'));
    const tokenSecret = secrets.find((secret) => secret.Properties.SecretString?.Ref === 'BuildkiteAgentToken');
    // Named after the stack and its id: side by side without clashes, and re-creatable after a deletion.
    expect(resolved(maximal, tokenSecret?.Properties.Name)).toBe(
      `elastic-ci/elastic-ci-test/agent-token-${STACK_UUID}`,
    );
    expect(resolved(maximal, scheduledEnvironment(maximal).BUILDKITE_AGENT_TOKEN_SSM_KEY)).toBe(
      `/aws/reference/secretsmanager/elastic-ci/elastic-ci-test/agent-token-${STACK_UUID}`,
    );
  });
});

describe('scaler', () => {
  it('defaults: Buildkite semantics (no scale-in by the scaler), lease and state parameter wired', () => {
    expect(scheduledEnvironment(defaults)).toEqual({
      BUILDKITE_QUEUE: 'default',
      ASG_NAME: { Ref: expect.stringMatching(/^AgentFleet/) },
      AGENTS_PER_INSTANCE: '1',
      BUILDKITE_AGENT_TOKEN_SSM_KEY: '/buildkite/agent-token',
      BUILDKITE_AGENT_ENDPOINT: 'https://agent-edge.buildkite.com/v3',
      SCALER_STATE_PARAMETER: { Ref: expect.stringMatching(/^ScalerStateParameter/) },
      SCALER_LOCK_TABLE: { Ref: expect.stringMatching(/^ScalerLeaseTable/) },
      SCALER_LOCK_TTL: '30s',
      SCALER_LOCK_WAIT: '10s',
      INCLUDE_WAITING: 'false',
      INSTANCE_BUFFER: '0',
      MAX_INSTANCE_CAP: '0',
      AVAILABILITY_THRESHOLD: '0.5',
      SCALE_OUT_FACTOR: '1',
      SCALE_IN_FACTOR: '1',
      SCALE_OUT_COOLDOWN_PERIOD: '300s',
      SCALE_IN_COOLDOWN_PERIOD: '3600s',
      SCALE_ONLY_AFTER_ALL_EVENT: 'false',
      DISABLE_SCALE_IN: 'true',
      DISABLE_SCALE_OUT: 'false',
      ELASTIC_CI_MODE: 'false',
      SCALE_IN_STRATEGY: 'set-desired',
      SCALE_IN_MIN_RUNNING_TIME: '0s',
      IDLE_COUNT: '0',
      WARM_POOL_ENABLED: 'false',
      LAMBDA_INTERVAL: '10s',
      LAMBDA_TIMEOUT: '50s',
      LAMBDA_STARTUP_JITTER_MAX: '0s',
      ZOMBIE_CHECK: 'false',
    });
  });

  it('every scaling option reaches its variable', () => {
    expect(scheduledEnvironment(maximal)).toMatchObject({
      BUILDKITE_QUEUE: 'builds-arm',
      BUILDKITE_AGENT_ENDPOINT: 'https://agent.buildkite.com/v3',
      AGENTS_PER_INSTANCE: '2',
      SCALE_OUT_FACTOR: '1.5',
      SCALE_IN_FACTOR: '0.5',
      SCALE_OUT_COOLDOWN_PERIOD: '120s',
      SCALE_IN_COOLDOWN_PERIOD: '900s',
      SCALE_ONLY_AFTER_ALL_EVENT: 'true',
      INCLUDE_WAITING: 'true',
      INSTANCE_BUFFER: '2',
      MAX_INSTANCE_CAP: '30',
      AVAILABILITY_THRESHOLD: '0.25',
      DISABLE_SCALE_IN: 'false',
      DISABLE_SCALE_OUT: 'false',
      ELASTIC_CI_MODE: 'true',
      STALE_METRICS_AFTER: '180s',
      SCALE_IN_STRATEGY: 'drain',
      SCALE_IN_ORDER: 'longest-idle-first',
      SCALE_IN_MIN_RUNNING_TIME: '600s',
      IDLE_COUNT: '1',
      GROWTH_THROTTLE_LAUNCHES_PER_SEC: '0.5',
      GROWTH_THROTTLE_BURST: '5',
      SCALER_POLICIES: JSON.stringify({ overProvision: { strategy: 'percent', percent: 10 } }),
      WARM_POOL_ENABLED: 'true',
      WARM_POOL_MIN_SIZE: '2',
      WARM_POOL_PREPARE_FOR_WAITING_JOBS: 'true',
      LAMBDA_INTERVAL: '15s',
      LAMBDA_TIMEOUT: '100s',
      LAMBDA_STARTUP_JITTER_MAX: '5s',
      SCALER_LOCK_TTL: '45s',
      SCALER_LOCK_WAIT: '15s',
      ZOMBIE_CHECK: 'true',
      ZOMBIE_GRACE_PERIOD: '900s',
      ZOMBIE_MAX_PER_PASS: '5',
    });
  });

  it("zombieCheckEnabled: agent-scaler's defaults rendered on the scheduled function only", () => {
    expect(scheduledEnvironment(zombieCheck)).toMatchObject({
      ZOMBIE_CHECK: 'true',
      ZOMBIE_GRACE_PERIOD: '600s',
      ZOMBIE_MAX_PER_PASS: '3',
    });
    // A webhook container sees the group minutes apart: its "not running for 2 minutes" would not be continuous.
    const webhookVariables = Object.keys(webhookEnvironment(zombieCheck));
    expect(webhookVariables.filter((name) => name.startsWith('ZOMBIE_'))).toEqual([]);
    const defaultVariables = Object.keys(scheduledEnvironment(defaults));
    expect(defaultVariables.filter((name) => name.startsWith('ZOMBIE_'))).toEqual(['ZOMBIE_CHECK']);
  });

  it('zombieCheckEnabled: SetInstanceHealth on the group only, with the other group actions; DescribeInstances', () => {
    const statements = statementsOfFunction(zombieCheck, 'scheduled.handler');
    const health = statements.filter((statement) => actionsOf(statement).includes('autoscaling:SetInstanceHealth'));
    expect(health).toHaveLength(1);
    expect(actionsOf(health[0])).toContain('autoscaling:SetDesiredCapacity');
    expect([health[0].Resource].flat()).toHaveLength(1);
    expect(json(health[0].Resource)).toMatch(
      /:autoScalingGroup:\*:autoScalingGroupName\/",\{"Ref":"AgentFleetAutoScalingGroup[^"]*"\}\]/,
    );
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'ec2:DescribeInstances', Resource: '*' }));
    for (const synthesized of [zombieCheck, defaults]) {
      const handler = synthesized === zombieCheck ? 'webhook.handler' : 'scheduled.handler';
      const actions = statementsOfFunction(synthesized, handler).flatMap(actionsOf);
      expect(actions, handler).not.toContain('autoscaling:SetInstanceHealth');
      expect(actions, handler).not.toContain('ec2:DescribeInstances');
    }
  });

  it('zombieCheckEnabled: ZombieInstancesReplaced joins the scaling decisions on the dashboard', () => {
    const body = (synthesized: SynthesizedStack) => {
      const [dashboard] = Object.values(resourcesOfType(synthesized.json, 'AWS::CloudWatch::Dashboard'));
      return json(resolved(synthesized, dashboard.Properties.DashboardBody));
    };
    expect(body(zombieCheck)).toContain('ZombieInstancesReplaced');
    expect(body(defaults)).not.toContain('ZombieInstancesReplaced');
  });

  it('the scheduled function: reserved concurrency 1, timeout = polling budget + margin, nodejs22.x', () => {
    expect(functionByHandler(defaults, 'scheduled.handler').Properties).toMatchObject({
      ReservedConcurrentExecutions: 1,
      Timeout: 50 + SCHEDULED_TIMEOUT_MARGIN_SEC,
      Runtime: 'nodejs22.x',
    });
    expect(functionByHandler(maximal, 'scheduled.handler').Properties.Timeout).toBe(100 + SCHEDULED_TIMEOUT_MARGIN_SEC);
  });

  it('scalerScheduleIntervalSec: the EventBridge rate, no retries', () => {
    defaults.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
    maximal.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(2 minutes)' });
  });

  it('the lease table: string key pk, TTL on the attribute agent-scaler writes', () => {
    defaults.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      TimeToLiveSpecification: { AttributeName: LEASE_TTL_ATTRIBUTE, Enabled: true },
    });
  });

  it('scalerLeaseEnabled: false → no table and no lease variables', () => {
    minimalControlPlane.template.resourceCountIs('AWS::DynamoDB::Table', 0);
    expect(Object.keys(scheduledEnvironment(minimalControlPlane))).not.toContain('SCALER_LOCK_TABLE');
  });

  it('the state parameter is an SSM String the scaler may read and write', () => {
    defaults.template.hasResourceProperties('AWS::SSM::Parameter', { Type: 'String' });
    const statements = statementsOfFunction(defaults, 'scheduled.handler');
    expect(statements).toContainEqual(expect.objectContaining({ Action: ['ssm:GetParameter', 'ssm:PutParameter'] }));
  });

  it('minSize === maxSize: a fixed fleet gets no scaler', () => {
    const handlers = Object.values(functionsOf(fixedFleet)).map((fn) => fn.Properties.Handler);
    expect(handlers).not.toContain('scheduled.handler');
    fixedFleet.template.resourceCountIs('AWS::Events::Rule', 0);
  });

  it('scaleInStrategy drain: TerminateInstanceInAutoScalingGroup on the group, DescribeInstances; not by default', () => {
    const drainActions = statementsOfFunction(maximal, 'scheduled.handler').flatMap(actionsOf);
    expect(drainActions).toEqual(
      expect.arrayContaining(['autoscaling:TerminateInstanceInAutoScalingGroup', 'ec2:DescribeInstances']),
    );
    const defaultActions = statementsOfFunction(defaults, 'scheduled.handler').flatMap(actionsOf);
    expect(defaultActions).not.toContain('autoscaling:TerminateInstanceInAutoScalingGroup');
    expect(defaultActions).not.toContain('ec2:DescribeInstances');
  });

  it('warmPoolScalerManaged: DescribeWarmPool and PutWarmPool (on the group only)', () => {
    const statements = statementsOfFunction(maximal, 'scheduled.handler');
    const put = statements.find((statement) => actionsOf(statement).includes('autoscaling:PutWarmPool'));
    expect(json(put?.Resource)).toContain(':autoScalingGroup:*:autoScalingGroupName/');
    expect(statementsOfFunction(defaults, 'scheduled.handler').flatMap(actionsOf)).not.toContain(
      'autoscaling:PutWarmPool',
    );
  });

  it('scalerManagedPolicyArns: attached to the scaler roles', () => {
    const roleId = functionByHandler(maximal, 'scheduled.handler').Properties.Role['Fn::GetAtt'][0];
    expect(maximal.json.Resources[roleId].Properties.ManagedPolicyArns).toEqual([
      'arn:aws:iam::123456789012:policy/scaler-extra',
    ]);
  });
});

describe('webhook', () => {
  it('webhookEnabled (default false): a function URL with auth NONE and its output', () => {
    // The default stack's one function URL is the instance broker's (IAM auth); no public one without the webhook.
    expect(
      Object.values(resourcesOfType(defaults.json, 'AWS::Lambda::Url')).map((url) => url.Properties.AuthType),
    ).toEqual(['AWS_IAM']);
    expect(Object.keys(defaults.json.Outputs)).not.toContain('WebhookUrl');
    minimalControlPlane.template.resourceCountIs('AWS::Lambda::Url', 0);
    maximal.template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
    expect(Object.keys(maximal.json.Outputs)).toContain('WebhookUrl');
  });

  it('without webhookSecretParameterName: a generated Secrets Manager token, read through the reference', () => {
    const secrets = Object.values(resourcesOfType(maximal.json, 'AWS::SecretsManager::Secret'));
    const webhookSecret = secrets.find((secret) => secret.Properties.GenerateSecretString !== undefined);
    expect(resolved(maximal, webhookSecret?.Properties.Name)).toBe(
      `elastic-ci/elastic-ci-test/webhook-token-${STACK_UUID}`,
    );
    expect(resolved(maximal, webhookEnvironment(maximal).WEBHOOK_SECRET_SSM_KEY)).toBe(
      `/aws/reference/secretsmanager/elastic-ci/elastic-ci-test/webhook-token-${STACK_UUID}`,
    );
    expect(Object.keys(maximal.json.Outputs)).toContain('WebhookSecretArn');
  });

  it('webhookSecretParameterName: that SecureString, readable by the webhook function only', () => {
    expect(webhookEnvironment(existingSecrets).WEBHOOK_SECRET_SSM_KEY).toBe('/ci/buildkite-webhook-token');
    expect(json(statementsOfFunction(existingSecrets, 'webhook.handler'))).toContain(
      ':parameter/ci/buildkite-webhook-token"',
    );
    expect(json(statementsOfFunction(existingSecrets, 'scheduled.handler'))).not.toContain('buildkite-webhook-token');
  });

  it('webhookAllowTokenHeader and webhookReplayWindowSec reach their variables (token header off by default)', () => {
    expect(webhookEnvironment(existingSecrets)).toMatchObject({
      WEBHOOK_ALLOW_TOKEN_HEADER: 'false',
      WEBHOOK_REPLAY_WINDOW: '300s',
    });
    expect(webhookEnvironment(maximal)).toMatchObject({
      WEBHOOK_ALLOW_TOKEN_HEADER: 'true',
      WEBHOOK_REPLAY_WINDOW: '120s',
    });
  });
});

describe('webhook reserved concurrency', () => {
  const webhookFunction = (synthesized: SynthesizedStack) => functionByHandler(synthesized, 'webhook.handler');

  it('webhookReservedConcurrency (default none): the webhook function reserves that many executions, nothing else changes', () => {
    // Prepare: the same webhook stack with and without the reservation
    const reserved = synthesizeStack({ ...MINIMAL_PROPS, webhookEnabled: true, webhookReservedConcurrency: 25 });

    // Assess: off by default (a reservation fails deploys in accounts with little concurrency)
    expect(webhookFunction(existingSecrets).Properties.ReservedConcurrentExecutions).toBeUndefined();
    expect(webhookFunction(reserved).Properties.ReservedConcurrentExecutions).toBe(25);
    // The scheduled scaler keeps its single execution; the custom resources reserve nothing
    expect(functionByHandler(reserved, 'scheduled.handler').Properties.ReservedConcurrentExecutions).toBe(1);
    const reservations = Object.values(functionsOf(reserved))
      .map((fn) => fn.Properties.ReservedConcurrentExecutions)
      .filter((value) => value !== undefined)
      .sort();
    expect(reservations).toEqual([1, 25]);
  });

  it('the maximal stack sets it too (cfn-lint and cdk-nag see a reserved webhook)', () => {
    expect(webhookFunction(maximal).Properties.ReservedConcurrentExecutions).toBe(
      MAXIMAL_PROPS.webhookReservedConcurrency,
    );
  });
});

describe('custom resources', () => {
  it("stop-agents takes !Ref of the group, so its Delete runs before the old group's deletion", () => {
    const [stopAgents] = Object.values(resourcesOfType(defaults.json, 'Custom::StopAgents'));
    const groupIds = Object.keys(resourcesOfType(defaults.json, 'AWS::AutoScaling::AutoScalingGroup'));
    expect(groupIds).toHaveLength(1);
    expect(stopAgents.Properties.AutoScalingGroupName).toEqual({ Ref: groupIds[0] });
    expect(stopAgents.Properties.ServiceTimeout).toBe('3600');
  });

  it('the suspender takes !Ref of the group too (re-runs when the group is replaced)', () => {
    const [suspender] = Object.values(resourcesOfType(defaults.json, 'Custom::AzRebalancingSuspender'));
    const groupIds = Object.keys(resourcesOfType(defaults.json, 'AWS::AutoScaling::AutoScalingGroup'));
    expect(suspender.Properties.AutoScalingGroupName).toEqual({ Ref: groupIds[0] });
  });

  it('stop-agents options reach its variables; it may invoke only itself', () => {
    const stopAgents = functionByHandler(maximal, 'lambda.handler', '@elastic-ci/stop-agents');
    expect(stopAgents.Properties.Environment.Variables).toEqual({
      DRAIN_TIMEOUT_SECONDS: '1800',
      POLL_INTERVAL_SECONDS: '30',
      ON_DRAIN_TIMEOUT: 'succeed',
      AGENT_PLATFORM: 'linux',
    });
    const invoke = Object.values(resourcesOfType(maximal.json, 'AWS::IAM::Policy'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
      .filter((statement) => actionsOf(statement).includes('lambda:InvokeFunction'));
    const [stopAgentsId] = Object.entries(functionsOf(maximal)).find(([, fn]) => fn === stopAgents) ?? [];
    expect(invoke).toEqual([expect.objectContaining({ Resource: { 'Fn::GetAtt': [stopAgentsId, 'Arn'] } })]);
  });

  it('azRebalancingSuspenderEnabled / stopAgentsEnabled: false → neither resource nor function', () => {
    minimalControlPlane.template.resourceCountIs('Custom::AzRebalancingSuspender', 0);
    minimalControlPlane.template.resourceCountIs('Custom::StopAgents', 0);
    const handlers = Object.values(functionsOf(minimalControlPlane)).map((fn) => fn.Properties.Handler);
    expect(handlers).toEqual(['scheduled.handler']);
  });
});

describe('observability and platform', () => {
  it('logRetentionDays: every control-plane log group (default 30)', () => {
    const retention = (synthesized: SynthesizedStack) =>
      Object.values(resourcesOfType(synthesized.json, 'AWS::Logs::LogGroup'))
        .filter((group) => group.Properties.LogGroupName === undefined)
        .map((group) => group.Properties.RetentionInDays);
    expect(new Set(retention(defaults))).toEqual(new Set([30]));
    expect(new Set(retention(maximal))).toEqual(new Set([90]));
  });

  it('every function writes to its own log group', () => {
    for (const fn of Object.values(functionsOf(maximal))) {
      expect(fn.Properties.LoggingConfig.LogGroup.Ref).toMatch(/LogGroup/);
    }
  });

  it('lambdaArchitecture: arm64 by default, x86_64 when asked', () => {
    const architectures = (synthesized: SynthesizedStack) =>
      new Set(Object.values(functionsOf(synthesized)).map((fn) => fn.Properties.Architectures[0]));
    expect(architectures(defaults)).toEqual(new Set(['arm64']));
    expect(architectures(maximal)).toEqual(new Set(['x86_64']));
  });

  it('rolePermissionsBoundaryArn: on every control-plane role', () => {
    const roleIds = Object.values(functionsOf(maximal)).map((fn) => fn.Properties.Role['Fn::GetAtt'][0]);
    for (const roleId of roleIds) {
      expect(maximal.json.Resources[roleId].Properties.PermissionsBoundary).toBe(
        'arn:aws:iam::123456789012:policy/ci-boundary',
      );
    }
  });

  it('dashboardEnabled (default true): the dashboard and its URL output', () => {
    defaults.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(Object.keys(defaults.json.Outputs)).toContain('DashboardUrl');
    minimalControlPlane.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(Object.keys(minimalControlPlane.json.Outputs)).not.toContain('DashboardUrl');
  });

  it('outputs: group, token location', () => {
    expect(Object.keys(defaults.json.Outputs)).toEqual(
      expect.arrayContaining(['AutoScalingGroupName', 'AgentTokenParameterName']),
    );
  });

  it('tags: on every taggable control-plane resource', () => {
    for (const fn of Object.values(functionsOf(maximal))) {
      expect(fn.Properties.Tags).toContainEqual({ Key: 'CostCenter', Value: 'ci' });
    }
  });
});
