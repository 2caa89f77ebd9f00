import { parseAgentScalerConfig } from '@elastic-ci/agent-scaler';
import { loadConfig as loadSuspenderConfig, planSuspension } from '@elastic-ci/az-rebalancing-suspender';
import { loadConfig as loadInstanceBrokerConfig } from '@elastic-ci/instance-broker';
import { loadConfig as loadStopAgentsConfig, planRequest } from '@elastic-ci/stop-agents';
import { beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_TAG } from './control-plane/control-plane-function';
import { type DeployedFunction, deployedFunctions } from './test-support/deployed-functions';
import { LAMBDA_RUNTIME_ENVIRONMENT, resolvePlaceholders } from './test-support/resolve-placeholders';
import {
  MAXIMAL_PROPS,
  MINIMAL_PROPS,
  resourcesOfType,
  type SynthesizedStack,
  synthesizeStack,
  type TemplateValue,
} from './test-support/synthesize';

// Stack → Lambda seam (ARCHITECTURE.md): every function's environment, as Lambda will see it, must pass the
// deployed package's own config parser. A renamed or retyped variable fails here, not at a cold start after deploy.

type Resources = Record<string, { Type: string; Properties: Record<string, TemplateValue> }>;

/** The environment as a parser sees it, and the names the parser looked up in it. */
function recordingReads(environment: Record<string, string>): {
  environment: Record<string, string>;
  read: Set<string>;
} {
  const read = new Set<string>();
  const recording = new Proxy(environment, {
    get(target, name, receiver) {
      if (typeof name === 'string') read.add(name);
      return Reflect.get(target, name, receiver);
    },
  });
  return { environment: recording, read };
}

/** The package's own parser: `undefined` when it accepts the environment, else its message. */
function parserError(fn: DeployedFunction, environment: Record<string, string>): string | undefined {
  try {
    switch (fn.packageName) {
      case '@elastic-ci/agent-scaler':
        parseAgentScalerConfig(environment, { requireWebhook: fn.handler === 'webhook.handler' });
        return undefined;
      case '@elastic-ci/az-rebalancing-suspender': {
        const result = loadSuspenderConfig(environment);
        return result.ok ? undefined : result.error.message;
      }
      case '@elastic-ci/stop-agents': {
        const result = loadStopAgentsConfig(environment);
        return result.ok ? undefined : result.error.message;
      }
      case '@elastic-ci/instance-broker': {
        const result = loadInstanceBrokerConfig(environment);
        return result.ok ? undefined : result.error.message;
      }
      default:
        return `function ${fn.logicalId} has no ${PACKAGE_TAG} tag naming a known package`;
    }
  } catch (error) {
    return String(error);
  }
}

/**
 * Parses one function's environment with its package's parser; returns the parser's verdict. Every variable the
 * template sets must also be one the parser reads: the parsers ignore names they do not know, so an optional
 * variable renamed on one side would pass them and silently deploy its default.
 */
function parseWithOwnParser(fn: DeployedFunction): { ok: true } | { ok: false; error: string } {
  const { environment, read } = recordingReads(fn.environment);
  const error = parserError(fn, environment);
  if (error !== undefined) return { ok: false, error };
  const unread = Object.keys(fn.environment).filter((name) => !(name in LAMBDA_RUNTIME_ENVIRONMENT) && !read.has(name));
  if (unread.length > 0) {
    return { ok: false, error: `${fn.packageName} never reads ${unread.join(', ')} (renamed or misspelled?)` };
  }
  return { ok: true };
}

const variants: [string, () => SynthesizedStack][] = [
  ['default', () => synthesizeStack({ ...MINIMAL_PROPS, webhookEnabled: true })],
  ['maximal', () => synthesizeStack(MAXIMAL_PROPS)],
  [
    'elastic-ci profile',
    () => synthesizeStack({ ...MINIMAL_PROPS, scalingProfile: 'elastic-ci', webhookEnabled: true }),
  ],
];

describe.each(variants)('Lambda environment contract (%s stack)', (_name, synthesize) => {
  let functions: DeployedFunction[];
  let synthesized: SynthesizedStack;
  beforeAll(() => {
    synthesized = synthesize();
    functions = deployedFunctions(synthesized);
  }, 180_000);

  it('deploys every control-plane package, each with the handler its README documents', () => {
    expect(functions.map((fn) => `${fn.packageName} ${fn.handler}`).sort()).toEqual([
      '@elastic-ci/agent-scaler scheduled.handler',
      '@elastic-ci/agent-scaler webhook.handler',
      '@elastic-ci/az-rebalancing-suspender lambda.handler',
      '@elastic-ci/instance-broker lambda.handler',
      '@elastic-ci/stop-agents lambda.handler',
    ]);
  });

  it("passes each function's environment through that package's own config parser", () => {
    const verdicts = functions.map((fn) => ({ function: fn.logicalId, ...parseWithOwnParser(fn) }));
    expect(verdicts.filter((verdict) => !verdict.ok)).toEqual([]);
  });

  it("gives the custom resources properties their packages' request planners accept", () => {
    const resources = synthesized.json.Resources as Resources;
    const properties = (type: string) => {
      const [resource] = Object.values(resourcesOfType(synthesized.json, type));
      return resolvePlaceholders(resource.Properties, resources) as Record<string, unknown>;
    };
    const suspension = planSuspension({
      RequestType: 'Create',
      LogicalResourceId: 'AzRebalancingSuspension',
      ResourceProperties: properties('Custom::AzRebalancingSuspender'),
    } as never);
    expect(suspension).toMatchObject({ action: 'suspend', groupName: expect.stringContaining('AgentFleet') });
    const stopAgents = planRequest({
      RequestType: 'Create',
      LogicalResourceId: 'StopAgentsOnReplacement',
      ResourceProperties: properties('Custom::StopAgents'),
    } as never);
    expect(JSON.stringify(stopAgents)).toContain('AgentFleet');
  });
});

describe('Lambda environment contract (instance broker)', () => {
  const brokerOf = (synthesized: SynthesizedStack) =>
    deployedFunctions(synthesized).find((fn) => fn.packageName === '@elastic-ci/instance-broker');

  it('gives the broker the created role name and the fleet tag value the group carries', () => {
    // Act
    const synthesized = synthesizeStack(MINIMAL_PROPS);
    const broker = brokerOf(synthesized);

    // Assess: the names the broker compares callers and groups with are the ones deployed.
    const resources = synthesized.json.Resources as Resources;
    const roleId = Object.keys(resourcesOfType(synthesized.json, 'AWS::IAM::Role')).find((id) =>
      id.startsWith('AgentFleetInstanceRole'),
    );
    expect(roleId).toBeDefined();
    const [group] = Object.values(resourcesOfType(synthesized.json, 'AWS::AutoScaling::AutoScalingGroup'));
    const fleetTag = (group.Properties.Tags as { Key: string; Value: string }[]).find(
      (tag) => tag.Key === 'elastic-ci:fleet',
    );
    expect(broker?.environment.INSTANCE_ROLE_NAME).toBe(resolvePlaceholders({ Ref: roleId }, resources));
    expect(broker?.environment.FLEET_ID).toBe(fleetTag?.Value);
    expect(broker && parseWithOwnParser(broker)).toEqual({ ok: true });
  }, 180_000);

  it("names an imported role by its name without the path, as the callers' assumed-role ARNs do", () => {
    const broker = brokerOf(
      synthesizeStack({ ...MINIMAL_PROPS, instanceRoleArn: 'arn:aws:iam::123456789012:role/ci/agents/ci-agents' }),
    );
    expect(broker?.environment.INSTANCE_ROLE_NAME).toBe('ci-agents');
    expect(broker && parseWithOwnParser(broker)).toEqual({ ok: true });
  }, 180_000);

  it('deploys no broker with instanceBroker: false', () => {
    expect(brokerOf(synthesizeStack({ ...MINIMAL_PROPS, instanceBroker: false }))).toBeUndefined();
  }, 180_000);
});

describe('the contract check itself', () => {
  it('refuses a broker environment with a renamed variable', () => {
    // Prepare: FLEET_TAG instead of FLEET_ID; the broker would answer every request 500.
    const renamed: DeployedFunction = {
      logicalId: 'InstanceBroker',
      packageName: '@elastic-ci/instance-broker',
      handler: 'lambda.handler',
      environment: { AWS_REGION: 'eu-west-1', INSTANCE_ROLE_NAME: 'ci-agents', FLEET_TAG: 'AgentFleet1234' },
    };

    // Act
    const verdict = parseWithOwnParser(renamed);

    // Assess
    expect(verdict).toMatchObject({ ok: false, error: expect.stringContaining('FLEET_ID') });
  });

  it('refuses an environment the scaler would refuse (a renamed variable)', () => {
    const renamed: DeployedFunction = {
      logicalId: 'Renamed',
      packageName: '@elastic-ci/agent-scaler',
      handler: 'scheduled.handler',
      environment: { BUILDKITE_QUEUE: 'default', ASG_NAME: 'group', AGENT_TOKEN_SSM_KEY: '/x' },
    };
    const verdict = parseWithOwnParser(renamed);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok === false && verdict.error).toContain('BUILDKITE_AGENT_TOKEN_SSM_KEY');
  });

  it('refuses a renamed optional variable, which the parser would ignore and replace by its default', () => {
    // Prepare: WEBHOOK_ALLOW_TOKEN_HEADER defaults to true in agent-scaler; the stack turns it off. A renamed
    // variable is simply unread, so the parser succeeds and the deployed webhook accepts the bare token header.
    const renamed: DeployedFunction = {
      logicalId: 'Renamed',
      packageName: '@elastic-ci/agent-scaler',
      handler: 'webhook.handler',
      environment: {
        BUILDKITE_QUEUE: 'default',
        ASG_NAME: 'group',
        AGENTS_PER_INSTANCE: '1',
        BUILDKITE_AGENT_TOKEN_SSM_KEY: '/ci/token',
        WEBHOOK_SECRET_SSM_KEY: '/ci/webhook',
        WEBHOOK_ALLOW_TOKEN_HEADERS: 'false',
      },
    };

    // Act
    const verdict = parseWithOwnParser(renamed);

    // Assess
    expect(verdict).toMatchObject({ ok: false, error: expect.stringContaining('WEBHOOK_ALLOW_TOKEN_HEADERS') });
    const { WEBHOOK_ALLOW_TOKEN_HEADERS: value = '', ...others } = renamed.environment;
    expect(parseWithOwnParser({ ...renamed, environment: { ...others, WEBHOOK_ALLOW_TOKEN_HEADER: value } })).toEqual({
      ok: true,
    });
  });

  it('refuses a renamed optional variable of a custom resource too', () => {
    const verdict = parseWithOwnParser({
      logicalId: 'StopAgents',
      packageName: '@elastic-ci/stop-agents',
      handler: 'lambda.handler',
      environment: { AWS_REGION: 'eu-west-1', DRAIN_TIMEOUT: '600' },
    });
    expect(verdict).toEqual({ ok: false, error: expect.stringContaining('never reads DRAIN_TIMEOUT') });
  });

  it('refuses a custom-resource environment out of range', () => {
    const verdict = parseWithOwnParser({
      logicalId: 'StopAgents',
      packageName: '@elastic-ci/stop-agents',
      handler: 'lambda.handler',
      environment: { AWS_REGION: 'eu-west-1', DRAIN_TIMEOUT_SECONDS: '7200' },
    });
    expect(verdict).toMatchObject({ ok: false, error: expect.stringContaining('DRAIN_TIMEOUT_SECONDS') });
  });
});
