import { PACKAGE_TAG } from '../control-plane/control-plane-function';
import { LAMBDA_RUNTIME_ENVIRONMENT, resolvePlaceholders } from './resolve-placeholders';
import { resourcesOfType, type SynthesizedStack, type TemplateValue } from './synthesize';

type Resources = Record<string, { Type: string; Properties: Record<string, TemplateValue> }>;

/** One Lambda function of a synthesized stack, as Lambda will run it. */
export interface DeployedFunction {
  logicalId: string;
  packageName: string;
  handler: string;
  /** The template's variables with their intrinsics resolved, plus what the Lambda runtime adds. */
  environment: Record<string, string>;
}

/** Every Lambda function of the stack with its package (from its tag), handler and environment. */
export function deployedFunctions(synthesized: SynthesizedStack): DeployedFunction[] {
  const resources = synthesized.json.Resources as Resources;
  return Object.entries(resourcesOfType(synthesized.json, 'AWS::Lambda::Function')).map(([logicalId, resource]) => {
    const tags = (resource.Properties.Tags ?? []) as { Key: string; Value: string }[];
    const variables = resource.Properties.Environment?.Variables ?? {};
    return {
      logicalId,
      packageName: tags.find((tag) => tag.Key === PACKAGE_TAG)?.Value ?? '(untagged)',
      handler: resource.Properties.Handler,
      environment: {
        ...LAMBDA_RUNTIME_ENVIRONMENT,
        ...(resolvePlaceholders(variables, resources) as Record<string, string>),
      },
    };
  });
}
