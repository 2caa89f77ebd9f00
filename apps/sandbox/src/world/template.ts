import * as z from 'zod';

/** The parts of a synthesized CloudFormation template the sandbox reads. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | readonly string[];
}

export interface CfnTemplate {
  readonly Resources: Readonly<Record<string, CfnResource>>;
  readonly Outputs?: Readonly<Record<string, unknown>>;
  readonly Parameters?: Readonly<Record<string, unknown>>;
}

const templateSchema = z.object({
  Resources: z.record(
    z.string(),
    z.object({
      Type: z.string(),
      Properties: z.record(z.string(), z.unknown()).optional(),
      DependsOn: z.union([z.string(), z.array(z.string())]).optional(),
    }),
  ),
  Outputs: z.record(z.string(), z.unknown()).optional(),
  Parameters: z.record(z.string(), z.unknown()).optional(),
});

/** Thrown when a template is not what `apps/infra` synthesizes, or uses an intrinsic the sandbox cannot resolve. */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

export function parseTemplate(text: string): CfnTemplate {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new TemplateError('the synthesized template is not JSON', { cause: error });
  }
  const parsed = templateSchema.safeParse(document);
  if (!parsed.success) {
    throw new TemplateError(`the synthesized template has no usable Resources: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data as CfnTemplate;
}

/** What `Ref` and `Fn::GetAtt` resolve to: the physical ids and attributes of resources created so far. */
export interface ResolutionContext {
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  readonly refs: ReadonlyMap<string, string>;
  readonly attributes: ReadonlyMap<string, string>;
  /** Availability zones `Fn::GetAZs` returns. */
  readonly availabilityZones: readonly string[];
}

const PSEUDO_PARAMETERS = (context: ResolutionContext): Record<string, string> => ({
  'AWS::Region': context.region,
  'AWS::AccountId': context.accountId,
  'AWS::StackName': context.stackName,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackId': `arn:aws:cloudformation:${context.region}:${context.accountId}:stack/${context.stackName}/sandbox`,
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Logical ids a value refers to (`Ref`, `Fn::GetAtt`), for ordering creation. */
export function referencedLogicalIds(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedLogicalIds(item, into);
  } else if (isRecord(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'Ref' && typeof value.Ref === 'string' && !value.Ref.startsWith('AWS::')) {
      into.add(value.Ref);
    } else if (keys.length === 1 && keys[0] === 'Fn::GetAtt') {
      const target = value['Fn::GetAtt'];
      const logicalId = Array.isArray(target) ? target[0] : typeof target === 'string' ? target.split('.')[0] : '';
      if (typeof logicalId === 'string' && logicalId !== '') into.add(logicalId);
    } else {
      for (const item of Object.values(value)) referencedLogicalIds(item, into);
    }
  }
  return into;
}

/**
 * Resolves CloudFormation intrinsics in a property value the way CloudFormation would at deploy time, from the
 * resources created so far (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Select`, `Fn::GetAZs`, `Fn::Base64`, `Fn::Sub`
 * without a variable map). Anything else is refused by name, so a template change that needs more shows up at once.
 */
export function resolveIntrinsics(value: unknown, context: ResolutionContext): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, context));
  if (!isRecord(value)) return value;
  const keys = Object.keys(value);
  const only = keys.length === 1 ? (keys[0] as string) : undefined;
  const text = (inner: unknown, where: string): string => {
    const resolved = resolveIntrinsics(inner, context);
    if (typeof resolved === 'string') return resolved;
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
    throw new TemplateError(`${where} did not resolve to a string`);
  };
  switch (only) {
    case 'Ref': {
      const name = value.Ref as string;
      const pseudo = PSEUDO_PARAMETERS(context)[name];
      if (pseudo !== undefined) return pseudo;
      const physical = context.refs.get(name);
      if (physical === undefined) throw new TemplateError(`Ref ${name}: no such resource was created`);
      return physical;
    }
    case 'Fn::GetAtt': {
      const target = value['Fn::GetAtt'];
      const [logicalId, attribute] = Array.isArray(target) ? target : String(target).split('.');
      const key = `${String(logicalId)}.${String(attribute)}`;
      const resolved = context.attributes.get(key);
      if (resolved === undefined) throw new TemplateError(`Fn::GetAtt ${key}: not known in the sandbox`);
      return resolved;
    }
    case 'Fn::Join': {
      const [separator, parts] = value['Fn::Join'] as [string, unknown[]];
      const resolvedParts = resolveIntrinsics(parts, context);
      if (!Array.isArray(resolvedParts)) throw new TemplateError('Fn::Join: the parts are not a list');
      return resolvedParts.map((part, index) => text(part, `Fn::Join part ${index}`)).join(separator);
    }
    case 'Fn::Select': {
      const [index, list] = value['Fn::Select'] as [unknown, unknown];
      const resolvedList = resolveIntrinsics(list, context);
      const position = Number(resolveIntrinsics(index, context));
      if (!Array.isArray(resolvedList) || resolvedList[position] === undefined) {
        throw new TemplateError(`Fn::Select ${position}: out of range`);
      }
      return resolvedList[position];
    }
    case 'Fn::GetAZs':
      return [...context.availabilityZones];
    case 'Fn::Base64':
      return Buffer.from(text(value['Fn::Base64'], 'Fn::Base64'), 'utf8').toString('base64');
    case 'Fn::Sub': {
      const template = value['Fn::Sub'];
      if (typeof template !== 'string') throw new TemplateError('Fn::Sub with a variable map is not supported');
      return template.replace(/\$\{([^}!][^}]*)\}/g, (_match, name: string) => {
        const [logicalId, attribute] = name.split('.');
        return attribute === undefined
          ? text({ Ref: logicalId }, `Fn::Sub \${${name}}`)
          : text({ 'Fn::GetAtt': [logicalId, attribute] }, `Fn::Sub \${${name}}`);
      });
    }
    default:
      if (only?.startsWith('Fn::')) throw new TemplateError(`${only} is not supported by the sandbox`);
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, resolveIntrinsics(inner, context)]));
  }
}

/** Logical ids of every resource of a type, in template order. */
export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

/** The one resource of a type the stack must have. */
export function singleResource(template: CfnTemplate, type: string): [string, CfnResource] {
  const found = resourcesOfType(template, type);
  if (found.length !== 1) {
    throw new TemplateError(`the template has ${found.length} resources of type ${type}; the sandbox expects one`);
  }
  return found[0] as [string, CfnResource];
}

/** A Lambda function of the template, as Lambda would run it. */
export interface TemplateFunction {
  readonly logicalId: string;
  /** `scheduled.handler` → file `scheduled` (the bundle's basename), export `handler`. */
  readonly handler: string;
  readonly timeoutSec: number;
  readonly memorySizeMb: number;
  readonly reservedConcurrency: number | undefined;
  /** `Environment.Variables`, still with intrinsics (resolve them against the created world). */
  readonly environment: Readonly<Record<string, unknown>>;
}

export function templateFunctions(template: CfnTemplate): TemplateFunction[] {
  return resourcesOfType(template, 'AWS::Lambda::Function').map(([logicalId, resource]) => {
    const properties = resource.Properties ?? {};
    const environment = isRecord(properties.Environment) ? properties.Environment.Variables : undefined;
    return {
      logicalId,
      handler: String(properties.Handler ?? ''),
      timeoutSec: Number(properties.Timeout ?? 3),
      memorySizeMb: Number(properties.MemorySize ?? 128),
      reservedConcurrency:
        properties.ReservedConcurrentExecutions === undefined
          ? undefined
          : Number(properties.ReservedConcurrentExecutions),
      environment: isRecord(environment) ? environment : {},
    };
  });
}

/**
 * The function whose environment carries `key` (e.g. `WEBHOOK_SECRET_SSM_KEY` marks the webhook scaler), or the one a
 * resource of `consumerType` calls through `ServiceToken` / `Targets[].Arn`.
 */
export function functionCalledBy(template: CfnTemplate, consumerType: string): TemplateFunction {
  const [, consumer] = singleResource(template, consumerType);
  const properties = consumer.Properties ?? {};
  const reference =
    properties.ServiceToken ??
    (Array.isArray(properties.Targets) ? (properties.Targets[0] as Record<string, unknown>)?.Arn : undefined) ??
    properties.TargetFunctionArn;
  const [logicalId] = [...referencedLogicalIds(reference)];
  const found = templateFunctions(template).find((candidate) => candidate.logicalId === logicalId);
  if (found === undefined) throw new TemplateError(`${consumerType} calls no Lambda function of the template`);
  return found;
}

/** `rate(1 minute)`, `rate(5 minutes)`, `rate(1 hour)` → seconds. */
export function rateSeconds(expression: string): number {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (match === null) throw new TemplateError(`schedule ${expression} is not a rate() expression`);
  const unit = (match[2] as string).replace(/s$/, '');
  const perUnit = unit === 'minute' ? 60 : unit === 'hour' ? 3600 : 86_400;
  return Number(match[1]) * perUnit;
}

/** The boot contract the launch template's user data writes (`/etc/elastic-ci/boot-contract.json`). */
export function bootContractFromUserData(userData: string): Record<string, unknown> {
  const match = /ELASTIC_CI_BOOT_CONTRACT'?\n([\s\S]*?)\nELASTIC_CI_BOOT_CONTRACT/.exec(userData);
  if (match === null) throw new TemplateError('the launch template user data holds no boot contract');
  const contract: unknown = JSON.parse(match[1] as string);
  if (!isRecord(contract)) throw new TemplateError('the boot contract in the user data is not an object');
  return contract;
}
