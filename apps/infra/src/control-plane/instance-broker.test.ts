import * as cdk from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { bootContractFromUserData } from '../agent-fleet/fleet-boot-contract';
import {
  MINIMAL_PROPS,
  resourcesOfType,
  type SynthesizedStack,
  synthesizeStack,
  type TemplateValue,
} from '../test-support/synthesize';
import { INSTANCE_BROKER_TIMEOUT_SEC, InstanceBroker } from './instance-broker';

// Written out rather than imported: the test states the policy, the code must match it.
const AUTO_SCALING_WRITES = [
  'autoscaling:CompleteLifecycleAction',
  'autoscaling:RecordLifecycleActionHeartbeat',
  'autoscaling:SetInstanceHealth',
  'autoscaling:SetInstanceProtection',
  'autoscaling:TerminateInstanceInAutoScalingGroup',
];
const SHARED_ROLE_ARN = 'arn:aws:iam::123456789012:role/ci/shared-agents';

let brokered: SynthesizedStack;
let direct: SynthesizedStack;
let sharedRole: SynthesizedStack;

beforeAll(() => {
  brokered = synthesizeStack(MINIMAL_PROPS);
  direct = synthesizeStack({ ...MINIMAL_PROPS, instanceBroker: false });
  sharedRole = synthesizeStack({ ...MINIMAL_PROPS, instanceRoleArn: SHARED_ROLE_ARN });
}, 600_000);

const actionsOf = (statement: TemplateValue): string[] => [statement.Action].flat();

function brokerFunctionId(synthesized: SynthesizedStack): string | undefined {
  return Object.entries(resourcesOfType(synthesized.json, 'AWS::Lambda::Function')).find(([, fn]) =>
    fn.Properties.Tags.some((tag: { Value: string }) => tag.Value === '@elastic-ci/instance-broker'),
  )?.[0];
}

function requiredBrokerFunctionId(synthesized: SynthesizedStack): string {
  const id = brokerFunctionId(synthesized);
  if (id === undefined) throw new Error('no instance broker function in the template');
  return id;
}

/** Every statement of the policies attached to the role with this logical id. */
function statementsOfRole(synthesized: SynthesizedStack, roleId: string): TemplateValue[] {
  return Object.values(resourcesOfType(synthesized.json, 'AWS::IAM::Policy'))
    .filter((policy) => policy.Properties.Roles.some((role: TemplateValue) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

function instanceRoleId(synthesized: SynthesizedStack): string {
  const [id] = Object.keys(resourcesOfType(synthesized.json, 'AWS::IAM::Role')).filter((candidate) =>
    candidate.startsWith('AgentFleetInstanceRole'),
  );
  if (id === undefined) throw new Error('no instance role in the template');
  return id;
}

function brokerStatements(synthesized: SynthesizedStack): TemplateValue[] {
  const fn = synthesized.json.Resources[requiredBrokerFunctionId(synthesized)];
  return statementsOfRole(synthesized, fn.Properties.Role['Fn::GetAtt'][0]);
}

function permissionsOfBroker(synthesized: SynthesizedStack): TemplateValue[] {
  const id = requiredBrokerFunctionId(synthesized);
  return Object.values(resourcesOfType(synthesized.json, 'AWS::Lambda::Permission'))
    .filter((permission) => JSON.stringify(permission.Properties.FunctionName).includes(id))
    .map((permission) => permission.Properties);
}

const intrinsicText = (intrinsic: unknown) => `intrinsic:${encodeURIComponent(JSON.stringify(intrinsic))}`;

function bootContract(synthesized: SynthesizedStack): TemplateValue {
  const [template] = Object.values(resourcesOfType(synthesized.json, 'AWS::EC2::LaunchTemplate'));
  const userData = template.Properties.LaunchTemplateData.UserData['Fn::Base64'];
  // The contract is JSON inside a Fn::Join; deploy-time values (the function URL too) are intrinsic parts of it,
  // each inside a JSON string: written as their encoded intrinsic, they keep the JSON valid and readable.
  const text = (userData['Fn::Join'][1] as TemplateValue[])
    .map((part) => (typeof part === 'string' ? part : intrinsicText(part)))
    .join('');
  return JSON.parse(bootContractFromUserData(text));
}

describe('instanceBroker (default true)', () => {
  it('deploys the broker behind a function URL with IAM auth, with a short timeout', () => {
    const id = requiredBrokerFunctionId(brokered);
    const urls = Object.values(resourcesOfType(brokered.json, 'AWS::Lambda::Url')).filter(
      (url) => url.Properties.TargetFunctionArn['Fn::GetAtt']?.[0] === id,
    );
    expect(urls).toEqual([expect.objectContaining({ Properties: expect.objectContaining({ AuthType: 'AWS_IAM' }) })]);
    expect(brokered.json.Resources[id].Properties).toMatchObject({
      Handler: 'lambda.handler',
      Timeout: INSTANCE_BROKER_TIMEOUT_SEC,
    });
    expect(INSTANCE_BROKER_TIMEOUT_SEC).toBeLessThanOrEqual(30);
  });

  it("gives the instance role the five Auto Scaling writes only on a group deployed before the broker, and marks the stack's group as brokered", () => {
    // Prepare: the instance role's statement without the broker is the reference scope.
    const directStatement = statementsOfRole(direct, instanceRoleId(direct)).find(
      (statement) => statement.Sid === 'OwnAutoScalingGroup',
    );

    // Act
    const statements = statementsOfRole(brokered, instanceRoleId(brokered));
    const writes = statements.filter((statement) =>
      actionsOf(statement).some((action) => AUTO_SCALING_WRITES.includes(action)),
    );
    const [group] = Object.values(resourcesOfType(brokered.json, 'AWS::AutoScaling::AutoScalingGroup'));

    // Assess: switching the broker on replaces the group; the old group's instances run the old contract and still
    // drain with direct calls (their heartbeats and completions must not fail mid-job), so the role keeps the writes
    // for groups without the broker tag — only the replaced one, until its drain ends and it is deleted.
    expect(writes).toHaveLength(1);
    const [statement] = writes;
    expect(statement.Sid).toBe('GroupsDeployedBeforeTheBroker');
    expect(actionsOf(statement).sort()).toEqual(AUTO_SCALING_WRITES);
    expect(statement.Resource).toEqual(directStatement.Resource);
    expect(statement.Condition).toEqual({
      ...directStatement.Condition,
      StringNotEquals: { 'autoscaling:ResourceTag/elastic-ci:instance-broker': 'required' },
    });
    expect(group.Properties.Tags).toContainEqual({
      Key: 'elastic-ci:instance-broker',
      Value: 'required',
      PropagateAtLaunch: false,
    });
    // The role still has its other statements (this is the instance role, not an empty one).
    expect(statements.flatMap(actionsOf)).toContain('ec2:CreateTags');
  });

  it("lets the broker make them on the fleet's group with exactly the scope the instance role had", () => {
    // Prepare: the instance role's statement without the broker is the reference scope.
    const directStatement = statementsOfRole(direct, instanceRoleId(direct)).find(
      (statement) => statement.Sid === 'OwnAutoScalingGroup',
    );

    // Act
    const writes = brokerStatements(brokered).filter((statement) =>
      actionsOf(statement).some((action) => AUTO_SCALING_WRITES.includes(action)),
    );

    // Assess
    expect(writes).toHaveLength(1);
    const [statement] = writes;
    expect(actionsOf(statement).sort()).toEqual(AUTO_SCALING_WRITES);
    expect(statement.Resource).toEqual(directStatement.Resource);
    expect(statement.Condition).toEqual(directStatement.Condition);
    expect(statement.Condition).toEqual({
      StringEquals: {
        'autoscaling:ResourceTag/elastic-ci:fleet': brokered.stack.fleet.fleetId,
        'autoscaling:ResourceTag/aws:cloudformation:stack-id': { Ref: 'AWS::StackId' },
      },
    });
    expect(JSON.stringify(statement.Resource)).toContain(':autoScalingGroup:*:autoScalingGroupName/elastic-ci-test-*');
  });

  it('lets the broker describe groups (no resource-level permission) and write its logs, nothing else', () => {
    const others = brokerStatements(brokered).filter(
      (statement) => !actionsOf(statement).some((action) => AUTO_SCALING_WRITES.includes(action)),
    );
    expect(others.map((statement) => [actionsOf(statement), statement.Resource])).toEqual(
      expect.arrayContaining([[['autoscaling:DescribeAutoScalingGroups'], '*']]),
    );
    expect(others.flatMap(actionsOf).sort()).toEqual([
      'autoscaling:DescribeAutoScalingGroups',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
  });

  it('lets only the instance role invoke the URL, through the function policy (IAM auth, via the URL only)', () => {
    const roleArn = { 'Fn::GetAtt': [instanceRoleId(brokered), 'Arn'] };
    expect(permissionsOfBroker(brokered)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: 'lambda:InvokeFunctionUrl',
          Principal: roleArn,
          FunctionUrlAuthType: 'AWS_IAM',
        }),
        expect.objectContaining({ Action: 'lambda:InvokeFunction', Principal: roleArn, InvokedViaFunctionUrl: true }),
      ]),
    );
    expect(permissionsOfBroker(brokered)).toHaveLength(2);
    // Nothing in the instance role's own policy: the function's policy is the one grant (an imported role has none).
    const lambdaActions = statementsOfRole(brokered, instanceRoleId(brokered))
      .flatMap(actionsOf)
      .filter((action) => action.startsWith('lambda:'));
    expect(lambdaActions).toEqual([]);
  });

  it('lets an imported role in by its ARN, and tells the broker its name without the path', () => {
    expect(permissionsOfBroker(sharedRole).map((permission) => permission.Principal)).toEqual([
      SHARED_ROLE_ARN,
      SHARED_ROLE_ARN,
    ]);
    const fn = sharedRole.json.Resources[requiredBrokerFunctionId(sharedRole)];
    expect(fn.Properties.Environment.Variables.INSTANCE_ROLE_NAME).toBe('shared-agents');
    // The imported role is used as is: the stack adds no policy to it.
    expect(
      Object.values(resourcesOfType(sharedRole.json, 'AWS::IAM::Policy')).filter((policy) =>
        JSON.stringify(policy.Properties.Roles).includes('shared-agents'),
      ),
    ).toEqual([]);
  });

  it('hands the instances the function URL in the boot contract', () => {
    const urlId = Object.keys(resourcesOfType(brokered.json, 'AWS::Lambda::Url')).find((id) =>
      id.startsWith('InstanceBroker'),
    );
    expect(bootContract(brokered).lifecycle.instanceBrokerUrl).toBe(
      intrinsicText({ 'Fn::GetAtt': [urlId, 'FunctionUrl'] }),
    );
  });

  it('starts the group only once the broker, its URL and its permissions exist', () => {
    const groups = Object.values(resourcesOfType(brokered.json, 'AWS::AutoScaling::AutoScalingGroup'));
    const brokerTypes = new Map(
      Object.entries(brokered.json.Resources as Record<string, TemplateValue>)
        .filter(([id]) => id.startsWith('InstanceBroker'))
        .map(([id, resource]) => [id, resource.Type as string]),
    );
    expect(groups).toHaveLength(1);
    expect(new Set(brokerTypes.values())).toEqual(
      new Set([
        'AWS::Lambda::Function',
        'AWS::Lambda::Url',
        'AWS::Lambda::Permission',
        'AWS::IAM::Role',
        'AWS::IAM::Policy',
        'AWS::Logs::LogGroup',
      ]),
    );
    const [group] = groups;
    expect(group.DependsOn).toEqual(expect.arrayContaining([...brokerTypes.keys()]));
  });

  it('outputs the URL', () => {
    expect(brokered.json.Outputs.InstanceBrokerUrl.Value).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^InstanceBroker/), 'FunctionUrl'],
    });
  });
});

describe('instanceBroker: false', () => {
  it('deploys no broker, no URL, and no boot contract URL', () => {
    expect(brokerFunctionId(direct)).toBeUndefined();
    expect(Object.keys(resourcesOfType(direct.json, 'AWS::Lambda::Url'))).toEqual([]);
    expect(bootContract(direct).lifecycle.instanceBrokerUrl).toBeUndefined();
    expect(Object.keys(direct.json.Outputs)).not.toContain('InstanceBrokerUrl');
  });

  it('gives the instance role the five Auto Scaling writes back, on its own group', () => {
    const statement = statementsOfRole(direct, instanceRoleId(direct)).find(
      (candidate) => candidate.Sid === 'OwnAutoScalingGroup',
    );
    expect(actionsOf(statement).sort()).toEqual(AUTO_SCALING_WRITES);
    expect(statement.Condition.StringEquals).toMatchObject({
      'autoscaling:ResourceTag/elastic-ci:fleet': direct.stack.fleet.fleetId,
    });
    expect(statement.Condition.StringNotEquals).toBeUndefined();
    const [group] = Object.values(resourcesOfType(direct.json, 'AWS::AutoScaling::AutoScalingGroup'));
    expect(group.Properties.Tags.map((tag: { Key: string }) => tag.Key)).not.toContain('elastic-ci:instance-broker');
  });
});

describe('Construct: InstanceBroker', () => {
  const fleet = {
    instanceRoleArn: 'arn:aws:iam::123456789012:role/ci-agents',
    instanceRoleName: 'ci-agents',
    fleetId: 'CiAgentFleet1234',
  };
  const newBroker = () => {
    const app = new cdk.App();
    const stack = new cdk.Stack(app, 'BrokerTest');
    const broker = new InstanceBroker(stack, 'InstanceBroker', {
      architecture: 'arm64',
      logRetentionDays: 30,
      permissionsBoundaryArn: undefined,
    });
    return { app, broker };
  };

  it('refuses to synthesize while it serves no fleet (its environment would lack the role and the fleet id)', () => {
    const { app } = newBroker();
    expect(() => app.synth()).toThrow(/the instance broker serves no fleet/);
  });

  it('serves one fleet only: a second would share the first one’s role name and fleet id', () => {
    const { broker } = newBroker();
    broker.serveFleet(fleet);
    expect(() => broker.serveFleet({ ...fleet, fleetId: 'OtherFleet5678' })).toThrow(/already serves a fleet/);
  });
});
