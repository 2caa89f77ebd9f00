import { parseBootContract } from '@elastic-ci/agent-instance/boot-contract';
import { POLICY_JSON_KEYS, parseAgentScalerConfig } from '@elastic-ci/agent-scaler';
import { ELASTIC_CI_POLICY, parseScalerConfig, type ScalerConfig } from '@elastic-ci/scaler-core';
import { frontierSettings, PRESETS, policyWith } from '@elastic-ci/simulator';
import { beforeAll, describe, expect, it } from 'vitest';
import { bootContractFromUserData } from './agent-fleet/fleet-boot-contract';
import { launchTemplateUserData } from './agent-fleet/test-support/decode-user-data';
import { stackConfigFromDocument } from './config/load-stack-config';
import { SCALER_POLICY_KEYS } from './control-plane/validate-control-plane-options';
import { deployedFunctions } from './test-support/deployed-functions';
import {
  MINIMAL_PROPS,
  resourcesOfType,
  type SynthesizedStack,
  synthesizeStack,
  type TemplateValue,
} from './test-support/synthesize';

// Stack → scaler seam for the benchmarked policy: `scalingProfile: 'elastic-ci'` must deploy exactly what the
// simulator measures (scaler-core's ELASTIC_CI_POLICY and the preset's fleet), read back from the template the way
// the Lambda and the instance read it. A profile that drifts from the benchmark fails here, not in production.

/** The scheduled scaler's environment as Lambda sees it, parsed by agent-scaler's own parser. */
function deployedScalerConfig(synthesized: SynthesizedStack): ScalerConfig {
  const scheduled = deployedFunctions(synthesized).find((fn) => fn.handler === 'scheduled.handler');
  if (scheduled === undefined) throw new Error('the stack deploys no scheduled scaler');
  return parseAgentScalerConfig(scheduled.environment).scaler;
}

/** A parsed config as its JSON (time zones serialise as their names), so two parses compare by value. */
function comparable(config: ScalerConfig): unknown {
  return JSON.parse(JSON.stringify(config));
}

function onlyWarmPool(synthesized: SynthesizedStack): Record<string, TemplateValue> {
  const pools = Object.values(resourcesOfType(synthesized.json, 'AWS::AutoScaling::WarmPool'));
  expect(pools).toHaveLength(1);
  return pools[0].Properties;
}

describe("scalingProfile 'elastic-ci' deploys the benchmarked policy", () => {
  let profiled: SynthesizedStack;
  beforeAll(() => {
    profiled = synthesizeStack({ ...MINIMAL_PROPS, scalingProfile: 'elastic-ci' });
  }, 180_000);

  it("gives the scaler a configuration equal to scaler-core's parse of ELASTIC_CI_POLICY", () => {
    const deployed = deployedScalerConfig(profiled);
    const benchmarked = parseScalerConfig({ ...ELASTIC_CI_POLICY, agentsPerInstance: deployed.agentsPerInstance });

    expect(comparable(deployed)).toEqual(comparable(benchmarked));
  });

  it("is the simulator's elastic-ci preset: its scaler block and its fleet's warm pool and idle timeout", () => {
    const preset = PRESETS['elastic-ci'];
    if (preset === undefined) throw new Error("the simulator has no 'elastic-ci' preset");
    expect(preset.scaler).toBe(ELASTIC_CI_POLICY);

    const pool = onlyWarmPool(profiled);
    const groups = Object.values(resourcesOfType(profiled.json, 'AWS::AutoScaling::AutoScalingGroup'));
    // The preset's pool holds exactly what the scaler decides (maxPreparedCapacity 0); AWS does the same when
    // MaxGroupPreparedCapacity is at the group's MinSize (the pool is max(MinSize, that − desired)).
    expect(preset.fleet?.warmPool).toMatchObject({ maxPreparedCapacity: 0, reuseOnScaleIn: true });
    expect(pool.MaxGroupPreparedCapacity).toBe(Number(groups[0].Properties.MinSize));
    expect(pool).toMatchObject({ MinSize: 0, PoolState: 'Stopped', InstanceReusePolicy: { ReuseOnScaleIn: true } });

    const contract = parseBootContract(bootContractFromUserData(launchTemplateUserData(profiled.template)));
    expect(contract.agent.idleDisconnectTimeoutSeconds).toBe(preset.fleet?.idleTimeoutSec);
    expect(contract.lifecycle.warmPoolEnabled).toBe(true);
  });

  it('lets the options you set win, and merges your scalerPolicies over the profile key by key', () => {
    const mine = synthesizeStack({
      ...MINIMAL_PROPS,
      scalingProfile: 'elastic-ci',
      scaleInOrder: 'oldest-first',
      scalerPolicies: { forecast: { timezone: 'Europe/Berlin' } },
    });
    const deployed = deployedScalerConfig(mine);

    expect(deployed.scaleIn).toMatchObject({ strategy: 'drain', order: 'oldest-first', minIdleSec: 45 });
    expect(deployed.forecast.enabled).toBe(true);
    expect(JSON.stringify(deployed.forecast.timezone)).toBe('"Europe/Berlin"');
    expect(deployed.dependencies).toMatchObject({ enabled: true, releaseQuantile: 0.7 });
  }, 180_000);
});

describe('a row of `elastic-ci-sim frontier`, deployed as it says', () => {
  // The CLI tells users: scaling.profile elastic-ci, scaling.warmPool.prepareForWaitingJobs as the row says, the
  // row's dependencies and scaleIn under scaling.policies. That config must give the scaler what was simulated.
  const rows = frontierSettings().filter(
    (settings) =>
      (settings.dependencies.minSamples === 1 && !settings.warmPool.prepareForWaitingJobs) ||
      (settings.dependencies.releaseQuantile === 0.3 && settings.scaleIn.minIdleSec === 120),
  );

  it.each(rows.map((settings) => [JSON.stringify(settings), settings] as const))(
    'gives the scaler the simulated configuration: %s',
    (_name, settings) => {
      const { props } = stackConfigFromDocument(
        {
          buildkite: { agentToken: { parameterName: '/buildkite/agent-token' } },
          instances: { types: ['c7g.xlarge'] },
          scaling: {
            profile: 'elastic-ci',
            maxSize: 10,
            warmPool: { prepareForWaitingJobs: settings.warmPool.prepareForWaitingJobs },
            policies: { dependencies: settings.dependencies, scaleIn: settings.scaleIn },
          },
        },
        { source: 'frontier-row.yaml', defaultStackName: 'frontier-row' },
      );
      const deployed = deployedScalerConfig(synthesizeStack(props));
      const simulated = parseScalerConfig({
        ...policyWith(settings, 'row').scaler,
        agentsPerInstance: deployed.agentsPerInstance,
      });

      expect(comparable(deployed)).toEqual(comparable(simulated));
    },
    180_000,
  );

  it('covers both pool choices', () => {
    expect(rows.map((settings) => settings.warmPool.prepareForWaitingJobs)).toEqual(
      expect.arrayContaining([true, false]),
    );
  });
});

describe("scalingProfile 'buildkite' (the default)", () => {
  it('deploys no warm pool and keeps the forecast off, as before the profiles', () => {
    const plain = synthesizeStack(MINIMAL_PROPS);
    const deployed = deployedScalerConfig(plain);

    expect(Object.keys(resourcesOfType(plain.json, 'AWS::AutoScaling::WarmPool'))).toEqual([]);
    expect(deployed.forecast.enabled).toBe(false);
    expect(deployed.disableScaleIn).toBe(true);
  }, 180_000);
});

describe('scalerPolicies keys', () => {
  it("are the keys agent-scaler's SCALER_POLICIES accepts", () => {
    expect([...SCALER_POLICY_KEYS].sort()).toEqual([...POLICY_JSON_KEYS].sort());
  });
});
