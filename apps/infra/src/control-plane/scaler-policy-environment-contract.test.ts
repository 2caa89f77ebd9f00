import { CORE_OPTION_VARIABLES } from '@elastic-ci/agent-scaler';
import { describe, expect, it } from 'vitest';
import { MAXIMAL_PROPS } from '../test-support/synthesize';
import { POLICY_PATHS_OF_VARIABLES, scalerPolicyEnvironment } from './scaler-policy-environment';

// Stack → agent-scaler seam: agent-scaler lets a variable win over the same path in SCALER_POLICIES. The stack
// refuses `scalerPolicies` paths its variables set; this checks its list against agent-scaler's own map, both ways.
describe('the scalerPolicies paths the stack refuses', () => {
  it("are the paths agent-scaler's variables set", () => {
    for (const [variable, { path }] of Object.entries(POLICY_PATHS_OF_VARIABLES)) {
      expect(CORE_OPTION_VARIABLES[path], path).toBe(variable);
    }
  });

  it('cover every variable the stack sets for a path SCALER_POLICIES could also hold', () => {
    const environment = {
      ...scalerPolicyEnvironment(
        { ...MAXIMAL_PROPS, scaleInStrategy: 'drain', growthThrottleLaunchesPerSec: 1, growthThrottleBurst: 2 },
        true,
      ),
    };
    const nestedVariables = Object.entries(CORE_OPTION_VARIABLES)
      .filter(([path]) => path.includes('.'))
      .map(([, variable]) => variable)
      .filter((variable) => variable in environment);

    expect(nestedVariables.length).toBeGreaterThan(0);
    expect(Object.keys(POLICY_PATHS_OF_VARIABLES).sort()).toEqual([...nestedVariables].sort());
  });
});
