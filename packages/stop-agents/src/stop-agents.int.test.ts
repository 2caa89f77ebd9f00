import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  SetInstanceProtectionCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { type CustomResourceResponse, createHttpResponder } from '@elastic-ci/custom-resource';
import {
  captureProcessOutput,
  customResourceEvent,
  RecordingLogger,
  type ResponseRecorder,
  startResponseRecorder,
} from '@elastic-ci/custom-resource/testing';
import {
  awsClientConfig,
  awsEnvironment,
  createMotoAutoScalingGroup,
  FakeClock,
  lambdaContext,
} from '@elastic-ci/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAutoScalingAgentGroup, createSsmAgentStopper } from './aws-adapters';
import { loadConfig } from './config';
import { createStopAgentsHandler } from './handler';
import { physicalIdFor } from './request-plan';
import { QueueingInvoker } from './testing/fake-fleet';

let recorder: ResponseRecorder;
let autoScaling: AutoScalingClient;
let motoSsm: SSMClient;

beforeAll(async () => {
  recorder = await startResponseRecorder();
  autoScaling = new AutoScalingClient(awsClientConfig());
  motoSsm = new SSMClient(awsClientConfig());
});
afterAll(async () => {
  await recorder.close();
});

/**
 * An SSM client whose SendCommand goes to moto and whose ListCommandInvocations is answered from moto's own
 * records (ListCommands + GetCommandInvocation): moto 5.2.5 does not implement ListCommandInvocations.
 */
function ssmWithInvocationsFromMoto(): SSMClient {
  const ssm = new SSMClient(awsClientConfig());
  const mock = mockClient(ssm);
  mock.on(SendCommandCommand).callsFake((input) => motoSsm.send(new SendCommandCommand(input)));
  mock.on(ListCommandInvocationsCommand).callsFake(async (input: { CommandId: string }) => {
    const { Commands } = await motoSsm.send(new ListCommandsCommand({ CommandId: input.CommandId }));
    const instanceIds = Commands?.[0]?.InstanceIds ?? [];
    const CommandInvocations = await Promise.all(
      instanceIds.map(async (instanceId) => {
        const invocation = await motoSsm.send(
          new GetCommandInvocationCommand({ CommandId: input.CommandId, InstanceId: instanceId }),
        );
        return { CommandId: input.CommandId, InstanceId: instanceId, Status: invocation.Status };
      }),
    );
    return { CommandInvocations };
  });
  return ssm;
}

async function describeGroup(name: string) {
  const { AutoScalingGroups } = await autoScaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
  );
  return AutoScalingGroups?.[0];
}

/**
 * Waits for an event of the code under test. The bound only turns a hang into a message before the test's own
 * timeout: moto's first SSM call alone can take seconds on a loaded machine, so it is generous.
 */
async function until(condition: () => boolean, what: string): Promise<void> {
  const giveUpAt = Date.now() + 25_000;
  while (!condition()) {
    if (Date.now() > giveUpAt) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 10));
  }
}

function lastAnswer(): CustomResourceResponse {
  return JSON.parse(recorder.answers.at(-1)?.body ?? 'null') as CustomResourceResponse;
}

describe('Lambda: stop-agents against moto', () => {
  it('drains a replaced group: capacity to zero, agents told to stop, busy instances left to finish', async () => {
    // Prepare: three agents, two busy (scale-in protected) and one idle.
    await createMotoAutoScalingGroup({
      name: 'agents-old',
      minSize: 1,
      maxSize: 4,
      desiredCapacity: 3,
      newInstancesProtectedFromScaleIn: true,
    });
    const [idle, ...busy] = ((await describeGroup('agents-old'))?.Instances ?? []).map(
      (instance) => instance.InstanceId ?? '',
    );
    await autoScaling.send(
      new SetInstanceProtectionCommand({
        AutoScalingGroupName: 'agents-old',
        InstanceIds: [idle ?? ''],
        ProtectedFromScaleIn: false,
      }),
    );
    const clock = new FakeClock(Date.UTC(2026, 10, 23, 12, 0, 0));
    const handler = createStopAgentsHandler({
      config: loadConfig({ AWS_REGION: 'us-east-1', POLL_INTERVAL_SECONDS: '15' }),
      group: createAutoScalingAgentGroup(autoScaling),
      stopper: createSsmAgentStopper(ssmWithInvocationsFromMoto()),
      selfInvoker: new QueueingInvoker(),
      responder: createHttpResponder(),
      logger: new RecordingLogger(),
      clock,
    });
    const event = customResourceEvent('Delete', {
      ResponseURL: recorder.urlFor('drain'),
      LogicalResourceId: 'StopAgents',
      PhysicalResourceId: physicalIdFor('agents-old'),
      ResourceProperties: { AutoScalingGroupName: 'agents-old' },
    });

    // Act: first look at the group, then park in the poll wait (runner deadline + poll sleep).
    const invocation = handler(event, lambdaContext({ clock, timeoutMs: 15 * 60_000 }));
    await until(() => clock.pendingSleeps >= 2, 'the drain loop to wait');
    const duringDrain = await describeGroup('agents-old');
    const { Commands } = await motoSsm.send(new ListCommandsCommand({}));
    const answersWhileBusy = recorder.answers.length;
    // The busy agents finish their jobs and their instances terminate themselves.
    for (const instanceId of busy) {
      await autoScaling.send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: instanceId,
          ShouldDecrementDesiredCapacity: false,
        }),
      );
    }
    await clock.advance(15_000);
    await invocation;

    // Assess
    expect({ min: duringDrain?.MinSize, desired: duringDrain?.DesiredCapacity, max: duringDrain?.MaxSize }).toEqual({
      min: 0,
      desired: 0,
      max: 4,
    });
    expect(duringDrain?.Instances?.map((instance) => instance.InstanceId).sort()).toEqual([...busy].sort());
    expect(duringDrain?.Instances?.every((instance) => instance.LifecycleState === 'InService')).toBe(true);
    expect(Commands).toHaveLength(1);
    expect(Commands?.[0]).toMatchObject({
      DocumentName: 'AWS-RunShellScript',
      Parameters: { commands: ["systemctl stop --no-block 'buildkite-agent'"], executionTimeout: ['120'] },
      Targets: [{ Key: 'tag:aws:autoscaling:groupName', Values: ['agents-old'] }],
      MaxErrors: '100%',
    });
    // moto resolves tag targets over terminated instances too (SSM only reaches running, managed ones).
    expect(Commands?.[0]?.InstanceIds).toEqual(expect.arrayContaining(busy));
    expect(answersWhileBusy).toBe(0);
    expect(lastAnswer()).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: physicalIdFor('agents-old'),
      LogicalResourceId: 'StopAgents',
      Data: { Drained: true, RemainingInstances: 0, StopCommandsSent: 1 },
    });
  });

  it('answers SUCCESS at once when the group is already gone', async () => {
    const clock = new FakeClock(0);
    const handler = createStopAgentsHandler({
      config: loadConfig({ AWS_REGION: 'us-east-1' }),
      group: createAutoScalingAgentGroup(autoScaling),
      stopper: createSsmAgentStopper(new SSMClient(awsClientConfig())),
      selfInvoker: new QueueingInvoker(),
      responder: createHttpResponder(),
      logger: new RecordingLogger(),
      clock,
    });

    await handler(
      customResourceEvent('Delete', {
        ResponseURL: recorder.urlFor('gone'),
        PhysicalResourceId: physicalIdFor('agents-deleted-long-ago'),
      }),
      lambdaContext({ clock }),
    );

    expect(lastAnswer()).toMatchObject({ Status: 'SUCCESS', Data: { Drained: true, StopCommandsSent: 0 } });
    expect(lastAnswer().Reason).toMatch(/the group no longer exists/);
  });

  it('answers a Delete SUCCESS with an invalid configuration when the group is already gone', async () => {
    const clock = new FakeClock(0);
    const handler = createStopAgentsHandler({
      config: loadConfig({ AWS_REGION: 'us-east-1', ANSWER_MARGIN_SECONDS: 'lots' }),
      group: createAutoScalingAgentGroup(autoScaling),
      stopper: createSsmAgentStopper(new SSMClient(awsClientConfig())),
      selfInvoker: new QueueingInvoker(),
      responder: createHttpResponder(),
      logger: new RecordingLogger(),
      clock,
    });

    await handler(
      customResourceEvent('Delete', {
        ResponseURL: recorder.urlFor('gone-broken'),
        PhysicalResourceId: physicalIdFor('agents-deleted-before-the-fix'),
      }),
      lambdaContext({ clock }),
    );

    expect(lastAnswer()).toMatchObject({ Status: 'SUCCESS', Data: { Drained: true, StopCommandsSent: 0 } });
    expect(lastAnswer().Reason).toMatch(/agents-deleted-before-the-fix has no instance to drain \(gone\)/);
  });

  it('works through the Lambda entry point configured from the environment', async () => {
    for (const [name, value] of Object.entries(awsEnvironment())) vi.stubEnv(name, value);
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
    const { handler } = await import('./lambda');

    const printed = await captureProcessOutput(() =>
      handler(
        customResourceEvent('Create', {
          ResponseURL: recorder.urlFor('entry'),
          ResourceProperties: { AutoScalingGroupName: 'agents-new' },
        }),
        lambdaContext(),
      ),
    ).finally(() => vi.unstubAllEnvs());

    // Powertools' structured records, and never the ResponseURL's signature.
    expect(printed).toMatch(/"message":"answering CloudFormation SUCCESS"/);
    expect(printed).not.toContain('canary-signature');
    expect(lastAnswer()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: physicalIdFor('agents-new') });
  });
});
