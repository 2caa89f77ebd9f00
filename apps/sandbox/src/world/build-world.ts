import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  PutLifecycleHookCommand,
  PutWarmPoolCommand,
} from '@aws-sdk/client-auto-scaling';
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateLaunchTemplateCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAvailabilityZonesCommand,
  DescribeImagesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { type AwsTarget, clientConfig } from './aws-config';
import {
  bootContractFromUserData,
  type CfnTemplate,
  functionCalledBy,
  parseTemplate,
  rateSeconds,
  referencedLogicalIds,
  resolveIntrinsics,
  resourcesOfType,
  singleResource,
  TemplateError,
  type TemplateFunction,
  templateFunctions,
} from './template';
import {
  type ClampedDuration,
  type InfraDefaults,
  productDefaultDurations,
  renderStackConfig,
  sandboxParameterNames,
  type WorldSettings,
} from './world-config';

/** moto's fixed account id. */
export const MOTO_ACCOUNT_ID = '123456789012';

/**
 * Resource types the sandbox creates in moto from the template's own properties. Why not moto's CloudFormation:
 * measured against moto 5.2.5 with the synthesized template (`CreateStack`), it fails before creating anything —
 * `AWS::SSM::Parameter` without a `Name` crashes moto (`put_parameter` of `None`), `Outputs` with `Fn::GetAtt` of an
 * `AWS::Lambda::Url` fail validation (moto has no model for it), and the Lambda functions need their code in the CDK
 * assets bucket plus Docker to run; the custom resources would be invoked by moto through Docker too. The sandbox
 * therefore creates what the fleet needs here, and runs the Lambda bundles itself (`src/lambdas`).
 */
export const CREATED_TYPES = [
  'AWS::EC2::VPC',
  'AWS::EC2::Subnet',
  'AWS::EC2::SecurityGroup',
  'AWS::EC2::LaunchTemplate',
  'AWS::AutoScaling::AutoScalingGroup',
  'AWS::AutoScaling::LifecycleHook',
  'AWS::AutoScaling::WarmPool',
  'AWS::SSM::Parameter',
  'AWS::DynamoDB::Table',
] as const;

/** Why a resource type of the template is not created in moto (the sandbox stands in for it, or nothing reads it). */
const NOT_CREATED_BECAUSE: Readonly<Record<string, string>> = {
  'AWS::Lambda::Function': 'run by the sandbox as a child process with the template environment (src/lambdas)',
  'AWS::Lambda::Url':
    "the sandbox delivers webhook events to the webhook function itself, and serves the instance broker's URL locally (IAM signatures checked)",
  'AWS::Lambda::Permission': 'no AWS service invokes the sandbox functions',
  'AWS::Events::Rule': 'the sandbox runs the schedule (rate / timeScale)',
  'Custom::StopAgents': 'answered through custom-resource events on a simulated stack update (src/stack-update)',
  'Custom::AzRebalancingSuspender': 'answered through custom-resource events on a simulated stack update',
};

export interface SandboxFunction extends TemplateFunction {
  readonly functionName: string;
  /** The staged bundle of the cloud assembly: exactly what CloudFormation would deploy. */
  readonly bundlePath: string;
  /** `Environment.Variables` with every intrinsic resolved against the created world. */
  readonly resolvedEnvironment: Readonly<Record<string, string>>;
}

export interface CreatedResource {
  readonly logicalId: string;
  readonly type: string;
  readonly physicalId: string;
}

export interface World {
  readonly stackName: string;
  readonly templatePath: string;
  readonly configPath: string;
  readonly template: CfnTemplate;
  readonly region: string;
  readonly groupLogicalId: string;
  readonly groupName: string;
  readonly launchTemplateId: string;
  readonly lifecycleHooks: readonly { name: string; transition: string; heartbeatTimeoutSec: number }[];
  readonly warmPool: Readonly<Record<string, unknown>> | undefined;
  readonly created: readonly CreatedResource[];
  readonly notCreated: readonly { logicalId: string; type: string; reason: string }[];
  readonly functions: {
    readonly scheduled: SandboxFunction;
    readonly webhook: SandboxFunction | undefined;
    readonly stopAgents: SandboxFunction | undefined;
    readonly azRebalancingSuspender: SandboxFunction | undefined;
    /** The instance broker (`instanceBroker`, on by default): the hosts' Auto Scaling writes go through it. */
    readonly instanceBroker: SandboxFunction | undefined;
  };
  /** EventBridge rate of the scheduled function, seconds (real product value; the sandbox divides it). */
  readonly scheduleRateSec: number;
  readonly bootContract: Readonly<Record<string, unknown>>;
  readonly parameterNames: { readonly agentToken: string; readonly webhookSecret: string };
  readonly clamped: readonly ClampedDuration[];
  /** Creates a replacement of the group (new name, same template properties), as a stack update that replaces it. */
  createReplacementGroup(): Promise<string>;
  /** A resource's properties resolved as CloudFormation would, with some `Ref`s answered differently (a new group). */
  resolveProperties(logicalId: string, refOverrides?: Readonly<Record<string, string>>): Record<string, unknown>;
  /** A function's environment resolved the same way. */
  resolveEnvironment(fn: SandboxFunction, refOverrides?: Readonly<Record<string, string>>): Record<string, string>;
}

export interface BuildWorldOptions {
  readonly aws: AwsTarget;
  readonly workDir: string;
  readonly world: WorldSettings;
  readonly timeScale: number;
  /** Agent token stored as the SecureString the template names. */
  readonly agentToken: string;
  readonly webhookSecret: string;
  /**
   * Where the sandbox serves the instance broker's function URL (a local front: moto has no function URLs): the
   * template's `Fn::GetAtt <Url>.FunctionUrl` of the broker resolves to it, so the boot contract hands it to the hosts.
   */
  readonly instanceBrokerUrl?: string;
}

/** Thrown when the world cannot be built; the message names the step and the fix. */
export class WorldBuildError extends Error {
  override name = 'WorldBuildError';
}

interface InfraSynth extends InfraDefaults {
  synthesizeApp(options: {
    configPath: string;
    outRoot: string;
    loadConfig: (path: string) => unknown;
  }): Promise<{ stackName: string; templatePath: string; assemblyDirectory: string }>;
  loadStackConfig(path: string): unknown;
}

/**
 * Synthesizes the stack with apps/infra's own code path (`synthesizeApp` with `loadStackConfig`, what `make synth
 * CONFIG=…` runs) from the config the sandbox renders.
 */
export async function synthesizeSandboxStack(world: WorldSettings, timeScale: number, workDir: string) {
  let infra: InfraSynth;
  try {
    // apps/infra has no exports map: its built entry is the published surface (`make synth` uses the same code).
    infra = (await import('@elastic-ci/infra/dist/index.js')) as unknown as InfraSynth;
  } catch (error) {
    throw new WorldBuildError(
      'apps/infra is not built: run `pnpm exec turbo run build --filter=@elastic-ci/sandbox^...` (or `make demo`, which builds it)',
      { cause: error },
    );
  }
  const rendered = renderStackConfig(world, timeScale, productDefaultDurations(infra));
  await mkdir(workDir, { recursive: true });
  const configPath = join(workDir, `${rendered.stackName}.config.json`);
  await writeFile(configPath, `${JSON.stringify(rendered.config, null, 2)}\n`);
  const synthesized = await infra.synthesizeApp({
    configPath,
    outRoot: join(workDir, 'cdk.out'),
    loadConfig: infra.loadStackConfig,
  });
  return { ...synthesized, configPath, clamped: rendered.clamped };
}

function physicalName(stackName: string, logicalId: string): string {
  // CloudFormation's own pattern: <stack>-<logical id>-<random>, so the stack's `<stack name>-*` IAM scopes match.
  return `${stackName}-${logicalId.slice(0, 40)}-${randomBytes(4).toString('hex').toUpperCase()}`;
}

function creationOrder(template: CfnTemplate, ids: readonly string[]): string[] {
  const wanted = new Set(ids);
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (id: string) => {
    if (ordered.includes(id) || !wanted.has(id)) return;
    if (visiting.has(id)) throw new TemplateError(`circular references around ${id}`);
    visiting.add(id);
    const resource = template.Resources[id];
    const dependsOn = resource?.DependsOn === undefined ? [] : [resource.DependsOn].flat();
    for (const dependency of [...referencedLogicalIds(resource?.Properties), ...dependsOn]) visit(dependency);
    visiting.delete(id);
    ordered.push(id);
  };
  for (const id of ids) visit(id);
  return ordered;
}

function asNumber(value: unknown): number | undefined {
  return value === undefined ? undefined : Number(value);
}

/** Builds the sandbox world: synth, then the stack's fleet resources in moto from the template's properties. */
export async function buildWorld(options: BuildWorldOptions): Promise<World> {
  const synthesized = await synthesizeSandboxStack(options.world, options.timeScale, options.workDir);
  const template = parseTemplate(await readFile(synthesized.templatePath, 'utf8'));
  const { stackName } = synthesized;
  const config = clientConfig(options.aws);
  const ec2 = new EC2Client(config);
  const autoScaling = new AutoScalingClient(config);
  const ssm = new SSMClient(config);
  const dynamo = new DynamoDBClient(config);

  // What an operator creates before deploying: the agent token and webhook secret the template names.
  const parameterNames = sandboxParameterNames(stackName);
  await ssm.send(
    new PutParameterCommand({
      Name: parameterNames.agentToken,
      Type: 'SecureString',
      Value: options.agentToken,
      Overwrite: true,
    }),
  );
  await ssm.send(
    new PutParameterCommand({
      Name: parameterNames.webhookSecret,
      Type: 'SecureString',
      Value: options.webhookSecret,
      Overwrite: true,
    }),
  );

  const zones = await ec2.send(new DescribeAvailabilityZonesCommand({}));
  const refs = new Map<string, string>();
  const attributes = new Map<string, string>();
  const context = {
    region: options.aws.region,
    accountId: MOTO_ACCOUNT_ID,
    stackName,
    refs,
    attributes,
    availabilityZones: (zones.AvailabilityZones ?? []).map((zone) => zone.ZoneName as string),
  };
  // Resources nothing in moto needs still get names, so references to them resolve (e.g. the instance profile ARN of
  // the launch template): the names CloudFormation would give them.
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if ((CREATED_TYPES as readonly string[]).includes(resource.Type)) continue;
    // S3 bucket names are lowercase, at most 63 characters (the boot contract checks the secrets bucket's).
    const name =
      resource.Type === 'AWS::S3::Bucket'
        ? physicalName(stackName, logicalId)
            .toLowerCase()
            .slice(-63)
            .replace(/^[^a-z0-9]+/, '')
        : physicalName(stackName, logicalId);
    refs.set(logicalId, name);
    const service = resource.Type.split('::')[1]?.toLowerCase() ?? 'resource';
    attributes.set(`${logicalId}.Arn`, `arn:aws:${service}:${options.aws.region}:${MOTO_ACCOUNT_ID}:${name}`);
  }
  for (const fn of templateFunctions(template)) {
    const name = refs.get(fn.logicalId) as string;
    attributes.set(`${fn.logicalId}.Arn`, `arn:aws:lambda:${options.aws.region}:${MOTO_ACCOUNT_ID}:function:${name}`);
  }
  const brokerLogicalId = templateFunctions(template).find(isInstanceBrokerFunction)?.logicalId;
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::Lambda::Url')) {
    const [target] = [...referencedLogicalIds(resource.Properties?.TargetFunctionArn)];
    const url =
      target !== undefined && target === brokerLogicalId && options.instanceBrokerUrl !== undefined
        ? options.instanceBrokerUrl
        : `https://${(refs.get(logicalId) as string).toLowerCase()}.lambda-url.${options.aws.region}.on.aws/`;
    attributes.set(`${logicalId}.FunctionUrl`, url);
  }

  const created: CreatedResource[] = [];
  const notCreated: { logicalId: string; type: string; reason: string }[] = [];
  const toCreate = Object.entries(template.Resources)
    .filter(([logicalId, resource]) => {
      if ((CREATED_TYPES as readonly string[]).includes(resource.Type)) return true;
      notCreated.push({
        logicalId,
        type: resource.Type,
        reason: NOT_CREATED_BECAUSE[resource.Type] ?? 'nothing in the sandbox reads it',
      });
      return false;
    })
    .map(([logicalId]) => logicalId);

  let groupLogicalId: string | undefined;
  let launchTemplateId: string | undefined;
  let launchTemplateLogicalId: string | undefined;
  let warmPool: Record<string, unknown> | undefined;
  const lifecycleHooks: { name: string; transition: string; heartbeatTimeoutSec: number }[] = [];
  let userData = '';

  const createGroup = async (logicalId: string, name: string) => {
    const properties = resolveIntrinsics(template.Resources[logicalId]?.Properties ?? {}, context) as Record<
      string,
      unknown
    >;
    const zonesOrSubnets = properties.VPCZoneIdentifier;
    await autoScaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        MinSize: asNumber(properties.MinSize) ?? 0,
        MaxSize: asNumber(properties.MaxSize) ?? 0,
        ...(properties.DesiredCapacity === undefined ? {} : { DesiredCapacity: asNumber(properties.DesiredCapacity) }),
        ...(properties.LaunchTemplate === undefined
          ? {}
          : { LaunchTemplate: properties.LaunchTemplate as { LaunchTemplateId: string; Version: string } }),
        ...(properties.MixedInstancesPolicy === undefined
          ? {}
          : { MixedInstancesPolicy: properties.MixedInstancesPolicy as never }),
        ...(Array.isArray(zonesOrSubnets) ? { VPCZoneIdentifier: zonesOrSubnets.join(',') } : {}),
        ...(Array.isArray(properties.AvailabilityZones)
          ? { AvailabilityZones: properties.AvailabilityZones as string[] }
          : {}),
        NewInstancesProtectedFromScaleIn: properties.NewInstancesProtectedFromScaleIn === true,
        CapacityRebalance: properties.CapacityRebalance === true,
        ...(properties.HealthCheckType === undefined ? {} : { HealthCheckType: String(properties.HealthCheckType) }),
        ...(properties.HealthCheckGracePeriod === undefined
          ? {}
          : { HealthCheckGracePeriod: Number(properties.HealthCheckGracePeriod) }),
        ...(properties.MaxInstanceLifetime === undefined
          ? {}
          : { MaxInstanceLifetime: Number(properties.MaxInstanceLifetime) }),
        Tags: ((properties.Tags as { Key: string; Value: string; PropagateAtLaunch?: boolean }[]) ?? []).map((tag) => ({
          Key: tag.Key,
          Value: tag.Value,
          PropagateAtLaunch: tag.PropagateAtLaunch === true,
        })),
      }),
    );
    const hooks = (properties.LifecycleHookSpecificationList ?? []) as {
      LifecycleHookName: string;
      LifecycleTransition: string;
      HeartbeatTimeout?: number;
      DefaultResult?: string;
    }[];
    for (const hook of hooks) {
      await autoScaling.send(
        new PutLifecycleHookCommand({
          AutoScalingGroupName: name,
          LifecycleHookName: hook.LifecycleHookName,
          LifecycleTransition: hook.LifecycleTransition,
          ...(hook.HeartbeatTimeout === undefined ? {} : { HeartbeatTimeout: Number(hook.HeartbeatTimeout) }),
          ...(hook.DefaultResult === undefined ? {} : { DefaultResult: hook.DefaultResult }),
        }),
      );
    }
    return hooks;
  };

  const createWarmPool = async (properties: Record<string, unknown>, groupName: string) => {
    await autoScaling.send(
      new PutWarmPoolCommand({
        AutoScalingGroupName: groupName,
        ...(properties.MinSize === undefined ? {} : { MinSize: Number(properties.MinSize) }),
        ...(properties.MaxGroupPreparedCapacity === undefined
          ? {}
          : { MaxGroupPreparedCapacity: Number(properties.MaxGroupPreparedCapacity) }),
        ...(properties.PoolState === undefined ? {} : { PoolState: properties.PoolState as 'Stopped' }),
        ...(properties.InstanceReusePolicy === undefined
          ? {}
          : { InstanceReusePolicy: properties.InstanceReusePolicy as { ReuseOnScaleIn: boolean } }),
      }),
    );
  };

  for (const logicalId of creationOrder(template, toCreate)) {
    const resource = template.Resources[logicalId] as { Type: string; Properties?: Record<string, unknown> };
    const record = (physicalId: string) => {
      refs.set(logicalId, physicalId);
      created.push({ logicalId, type: resource.Type, physicalId });
    };
    try {
      switch (resource.Type) {
        case 'AWS::EC2::VPC': {
          const properties = resolveIntrinsics(resource.Properties ?? {}, context) as Record<string, unknown>;
          const answer = await ec2.send(new CreateVpcCommand({ CidrBlock: String(properties.CidrBlock) }));
          record(answer.Vpc?.VpcId as string);
          break;
        }
        case 'AWS::EC2::Subnet': {
          const properties = resolveIntrinsics(resource.Properties ?? {}, context) as Record<string, unknown>;
          const answer = await ec2.send(
            new CreateSubnetCommand({
              VpcId: String(properties.VpcId),
              CidrBlock: String(properties.CidrBlock),
              ...(properties.AvailabilityZone === undefined
                ? {}
                : { AvailabilityZone: String(properties.AvailabilityZone) }),
            }),
          );
          record(answer.Subnet?.SubnetId as string);
          break;
        }
        case 'AWS::EC2::SecurityGroup': {
          const properties = resolveIntrinsics(resource.Properties ?? {}, context) as Record<string, unknown>;
          const answer = await ec2.send(
            new CreateSecurityGroupCommand({
              GroupName: physicalName(stackName, logicalId),
              Description: String(properties.GroupDescription ?? logicalId),
              ...(properties.VpcId === undefined ? {} : { VpcId: String(properties.VpcId) }),
            }),
          );
          record(answer.GroupId as string);
          attributes.set(`${logicalId}.GroupId`, answer.GroupId as string);
          break;
        }
        case 'AWS::EC2::LaunchTemplate': {
          const properties = resolveIntrinsics(resource.Properties ?? {}, context) as Record<string, unknown>;
          const data = { ...(properties.LaunchTemplateData as Record<string, unknown>) };
          userData = Buffer.from(String(data.UserData ?? ''), 'base64').toString('utf8');
          data.ImageId = await resolveImageId(ssm, ec2, String(data.ImageId ?? ''));
          const answer = await ec2.send(
            new CreateLaunchTemplateCommand({
              LaunchTemplateName: physicalName(stackName, logicalId),
              LaunchTemplateData: data as never,
            }),
          );
          launchTemplateId = answer.LaunchTemplate?.LaunchTemplateId as string;
          launchTemplateLogicalId = logicalId;
          record(launchTemplateId);
          attributes.set(`${logicalId}.LatestVersionNumber`, String(answer.LaunchTemplate?.LatestVersionNumber ?? 1));
          attributes.set(`${logicalId}.DefaultVersionNumber`, String(answer.LaunchTemplate?.DefaultVersionNumber ?? 1));
          break;
        }
        case 'AWS::AutoScaling::AutoScalingGroup': {
          if (groupLogicalId !== undefined) throw new TemplateError('the template has two Auto Scaling groups');
          const name = physicalName(stackName, logicalId);
          const hooks = await createGroup(logicalId, name);
          groupLogicalId = logicalId;
          record(name);
          for (const hook of hooks) {
            lifecycleHooks.push({
              name: hook.LifecycleHookName,
              transition: hook.LifecycleTransition,
              heartbeatTimeoutSec: Number(hook.HeartbeatTimeout ?? 3600),
            });
          }
          break;
        }
        case 'AWS::AutoScaling::LifecycleHook': {
          const properties = resolveIntrinsics(resource.Properties ?? {}, context) as Record<string, unknown>;
          const name = String(properties.LifecycleHookName ?? physicalName(stackName, logicalId));
          await autoScaling.send(
            new PutLifecycleHookCommand({
              AutoScalingGroupName: String(properties.AutoScalingGroupName),
              LifecycleHookName: name,
              LifecycleTransition: String(properties.LifecycleTransition),
              ...(properties.HeartbeatTimeout === undefined
                ? {}
                : { HeartbeatTimeout: Number(properties.HeartbeatTimeout) }),
              ...(properties.DefaultResult === undefined ? {} : { DefaultResult: String(properties.DefaultResult) }),
            }),
          );
          lifecycleHooks.push({
            name,
            transition: String(properties.LifecycleTransition),
            heartbeatTimeoutSec: Number(properties.HeartbeatTimeout ?? 3600),
          });
          record(name);
          break;
        }
        case 'AWS::AutoScaling::WarmPool': {
          const properties = resolveIntrinsics(resource.Properties ?? {}, context) as Record<string, unknown>;
          await createWarmPool(properties, String(properties.AutoScalingGroupName));
          warmPool = properties;
          record(String(properties.AutoScalingGroupName));
          break;
        }
        case 'AWS::SSM::Parameter': {
          const properties = resolveIntrinsics(resource.Properties ?? {}, context) as Record<string, unknown>;
          const name = String(properties.Name ?? `/${physicalName(stackName, logicalId)}`);
          await ssm.send(
            new PutParameterCommand({
              Name: name,
              Type: (properties.Type as 'String') ?? 'String',
              Value: String(properties.Value),
              ...(properties.Description === undefined ? {} : { Description: String(properties.Description) }),
              Overwrite: true,
            }),
          );
          record(name);
          break;
        }
        case 'AWS::DynamoDB::Table': {
          const properties = resolveIntrinsics(resource.Properties ?? {}, context) as Record<string, unknown>;
          const name = String(properties.TableName ?? physicalName(stackName, logicalId));
          await dynamo.send(
            new CreateTableCommand({
              TableName: name,
              AttributeDefinitions: properties.AttributeDefinitions as never,
              KeySchema: properties.KeySchema as never,
              BillingMode: (properties.BillingMode as 'PAY_PER_REQUEST') ?? 'PAY_PER_REQUEST',
            }),
          );
          const ttl = properties.TimeToLiveSpecification as { AttributeName: string; Enabled: boolean } | undefined;
          if (ttl !== undefined) {
            await dynamo.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: ttl }));
          }
          record(name);
          attributes.set(`${logicalId}.Arn`, `arn:aws:dynamodb:${options.aws.region}:${MOTO_ACCOUNT_ID}:table/${name}`);
          break;
        }
      }
    } catch (error) {
      if (error instanceof TemplateError) throw error;
      throw new WorldBuildError(`creating ${resource.Type} ${logicalId} in moto failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  if (groupLogicalId === undefined || launchTemplateId === undefined || launchTemplateLogicalId === undefined) {
    throw new TemplateError('the template has no Auto Scaling group with a launch template');
  }

  const assemblyDirectory = synthesized.assemblyDirectory;
  const toSandboxFunction = (fn: TemplateFunction): SandboxFunction => {
    const code = template.Resources[fn.logicalId]?.Properties?.Code as { S3Key?: string } | undefined;
    const assetHash = String(code?.S3Key ?? '').replace(/\.zip$/, '');
    const file = fn.handler.split('.')[0] as string;
    const bundlePath = join(assemblyDirectory, `asset.${assetHash}`, `${file}.mjs`);
    if (!existsSync(bundlePath)) {
      throw new WorldBuildError(`the cloud assembly has no bundle ${bundlePath} for ${fn.logicalId}`);
    }
    const environment = resolveIntrinsics(fn.environment, context) as Record<string, unknown>;
    return {
      ...fn,
      functionName: refs.get(fn.logicalId) as string,
      bundlePath,
      resolvedEnvironment: Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, String(value)])),
    };
  };
  const functions = templateFunctions(template);
  const webhook = functions.find((fn) => 'WEBHOOK_SECRET_SSM_KEY' in fn.environment);
  const brokerFunction = functions.find(isInstanceBrokerFunction);
  const optionalCalledBy = (type: string) =>
    Object.values(template.Resources).some((resource) => resource.Type === type)
      ? toSandboxFunction(functionCalledBy(template, type))
      : undefined;
  const [, rule] = singleResource(template, 'AWS::Events::Rule');
  const groupName = refs.get(groupLogicalId) as string;
  const groupId = groupLogicalId;

  return {
    stackName,
    templatePath: synthesized.templatePath,
    configPath: synthesized.configPath,
    template,
    region: options.aws.region,
    groupLogicalId,
    groupName,
    launchTemplateId,
    lifecycleHooks,
    warmPool,
    created,
    notCreated,
    functions: {
      scheduled: toSandboxFunction(functionCalledBy(template, 'AWS::Events::Rule')),
      webhook: webhook === undefined ? undefined : toSandboxFunction(webhook),
      stopAgents: optionalCalledBy('Custom::StopAgents'),
      azRebalancingSuspender: optionalCalledBy('Custom::AzRebalancingSuspender'),
      instanceBroker: brokerFunction === undefined ? undefined : toSandboxFunction(brokerFunction),
    },
    scheduleRateSec: rateSeconds(String(rule.Properties?.ScheduleExpression ?? '')),
    bootContract: bootContractFromUserData(userData),
    parameterNames,
    clamped: synthesized.clamped,
    resolveProperties(logicalId, refOverrides = {}) {
      const overridden = { ...context, refs: new Map([...refs, ...Object.entries(refOverrides)]) };
      return resolveIntrinsics(template.Resources[logicalId]?.Properties ?? {}, overridden) as Record<string, unknown>;
    },
    resolveEnvironment(fn, refOverrides = {}) {
      const overridden = { ...context, refs: new Map([...refs, ...Object.entries(refOverrides)]) };
      const environment = resolveIntrinsics(fn.environment, overridden) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, String(value)]));
    },
    async createReplacementGroup() {
      const name = physicalName(stackName, groupId);
      await createGroup(groupId, name);
      if (warmPool !== undefined) await createWarmPool(warmPool, name);
      return name;
    },
  };
}

/**
 * `resolve:ssm:<parameter>` image ids are resolved by EC2 at launch; moto does not, so the sandbox reads the parameter
 * from moto's SSM (moto ships the public AMI parameters) and falls back to one of moto's images when it has none.
 */
async function resolveImageId(ssm: SSMClient, ec2: EC2Client, imageId: string): Promise<string> {
  const parameter = /^resolve:ssm:(.+)$/.exec(imageId)?.[1];
  if (parameter === undefined) return imageId;
  try {
    const answer = await ssm.send(new GetParameterCommand({ Name: parameter }));
    if (answer.Parameter?.Value) return answer.Parameter.Value;
  } catch {
    // moto has no such public parameter: take one of its images below.
  }
  const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  const fallback = images.Images?.[0]?.ImageId;
  if (fallback === undefined) throw new WorldBuildError(`moto resolves no image for ${imageId}`);
  return fallback;
}

/** The instance broker is the function whose environment names the instance role it serves. */
function isInstanceBrokerFunction(fn: TemplateFunction): boolean {
  return 'INSTANCE_ROLE_NAME' in fn.environment;
}
