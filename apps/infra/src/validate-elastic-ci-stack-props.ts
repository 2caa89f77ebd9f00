import { instanceTagKeyProblems, validateAgentFleetOptions } from './agent-fleet/validate-agent-fleet-options';
import { shadowedScalerPolicyProblems } from './control-plane/scaler-policy-environment';
import { validateControlPlaneOptions } from './control-plane/validate-control-plane-options';
import type { ElasticCiStackProps } from './elastic-ci-stack-props';
import { withScalingProfile } from './scaling-profile';

/**
 * Every problem with the props, fleet and control plane together, checked as the stack builds them: with the scaling
 * profile applied (it turns the warm pool on, which `warmPoolPrepareForWaitingJobs` needs, and sets options that
 * shadow `scalerPolicies` paths). Empty when valid.
 */
export function validateElasticCiStackProps(props: ElasticCiStackProps): string[] {
  return problemsOfResolvedProps(withScalingProfile(props));
}

/** The same, for props the profile was already applied to. */
export function problemsOfResolvedProps(resolved: ElasticCiStackProps): string[] {
  return [
    ...new Set([
      ...validateAgentFleetOptions(resolved),
      ...validateControlPlaneOptions(resolved),
      ...shadowedScalerPolicyProblems(resolved),
      ...stackPropsProblems(resolved),
    ]),
  ];
}

/** CloudFormation's own limit on the stack props we pass through (CDK throws on it, without naming the fix). */
function stackPropsProblems(props: ElasticCiStackProps): string[] {
  const bytes = props.description === undefined ? 0 : Buffer.byteLength(props.description, 'utf8');
  return [
    ...(bytes > 1024 ? [`description is ${bytes} bytes; CloudFormation takes at most 1024`] : []),
    // The stack's tags go on the group, which propagates them to every instance it launches.
    ...instanceTagKeyProblems('tags', props.tags, props),
  ];
}
