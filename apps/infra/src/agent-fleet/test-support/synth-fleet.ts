import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AgentFleet, type AgentFleetProps, type AgentTokenSource } from '../agent-fleet.js';

/**
 * Hook and test timeout for anything that synthesizes: the first synthesis in a test file loads most of aws-cdk-lib
 * (seconds on a loaded 2-core machine). A hang guard only; no assertion depends on it.
 */
export const SYNTH_TIMEOUT_MS = 180_000;

export const TEST_TOKEN_PARAMETER = '/elastic-ci/test/agent-token';
export const TEST_STACK_NAME = 'FleetTest';

/** A token location that grants like the control plane's `AgentToken` does for an SSM parameter. */
export function testAgentToken(parameterName = TEST_TOKEN_PARAMETER): AgentTokenSource {
  return {
    parameterName,
    grantRead(grantee) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['ssm:GetParameter'],
          resources: [`arn:aws:ssm:us-east-1:123456789012:parameter${parameterName}`],
        }),
      );
    },
  };
}

export interface SynthesizedFleet {
  readonly stack: Stack;
  readonly fleet: AgentFleet;
  readonly template: Template;
}

/**
 * Builds the fleet in an environment-agnostic stack of its own and synthesizes it. `prepare` may add resources the
 * options refer to (a KMS key, a VPC) to the stack before the fleet is built.
 */
export function synthFleet(
  options: Partial<AgentFleetProps> | ((stack: Stack) => Partial<AgentFleetProps>) = {},
): SynthesizedFleet {
  const app = new App();
  const stack = new Stack(app, TEST_STACK_NAME);
  const props = typeof options === 'function' ? options(stack) : options;
  const fleet = new AgentFleet(stack, 'Fleet', { agentToken: testAgentToken(), ...props });
  return { stack, fleet, template: Template.fromStack(stack) };
}

/** The one resource of `type` in the template, with its logical id. */
export function onlyResource(template: Template, type: string): { id: string; properties: Record<string, unknown> } {
  const resources = Object.entries(template.findResources(type));
  if (resources.length !== 1) throw new Error(`expected one ${type}, found ${resources.length}`);
  const [[id, resource]] = resources as [[string, { Properties: Record<string, unknown> }]];
  return { id, properties: resource.Properties };
}
