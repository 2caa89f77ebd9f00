import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { type CustomResourceResponse, createHttpResponder } from '@elastic-ci/custom-resource';
import {
  captureProcessOutput,
  customResourceEvent,
  RecordingLogger,
  type ResponseRecorder,
  startResponseRecorder,
} from '@elastic-ci/custom-resource/testing';
import { awsClientConfig, awsEnvironment, createMotoAutoScalingGroup, lambdaContext } from '@elastic-ci/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from './config';
import { createSuspenderHandler } from './handler';
import { createProcessSuspender } from './process-suspender';

let recorder: ResponseRecorder;
let autoScaling: AutoScalingClient;

beforeAll(async () => {
  recorder = await startResponseRecorder();
  autoScaling = new AutoScalingClient(awsClientConfig());
  for (const name of ['agents-blue', 'agents-green']) {
    await createMotoAutoScalingGroup({
      name,
      maxSize: 4,
      desiredCapacity: 1,
      availabilityZones: ['us-east-1a', 'us-east-1b'],
    });
  }
});
afterAll(async () => {
  await recorder.close();
});

async function suspendedProcesses(groupName: string): Promise<string[]> {
  const { AutoScalingGroups } = await autoScaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] }),
  );
  return (AutoScalingGroups?.[0]?.SuspendedProcesses ?? []).map((process) => process.ProcessName ?? '');
}

function lastAnswer(): CustomResourceResponse {
  return JSON.parse(recorder.answers.at(-1)?.body ?? 'null') as CustomResourceResponse;
}

describe('Lambda: az-rebalancing-suspender against moto', () => {
  const handler = () =>
    createSuspenderHandler({
      config: loadConfig({ AWS_REGION: 'us-east-1' }),
      suspender: createProcessSuspender(autoScaling),
      responder: createHttpResponder(),
      logger: new RecordingLogger(),
    });

  it('suspends AZRebalance on Create, on the replacement group on Update, and leaves Delete alone', async () => {
    // Act: Create
    await handler()(
      customResourceEvent('Create', {
        ResponseURL: recorder.urlFor('create'),
        LogicalResourceId: 'AzRebalancingSuspender',
        ResourceProperties: { AutoScalingGroupName: 'agents-blue' },
      }),
      lambdaContext(),
    );
    const created = lastAnswer();

    // Act: Update after the group was replaced
    await handler()(
      customResourceEvent('Update', {
        ResponseURL: recorder.urlFor('update'),
        LogicalResourceId: 'AzRebalancingSuspender',
        PhysicalResourceId: created.PhysicalResourceId,
        ResourceProperties: { AutoScalingGroupName: 'agents-green' },
        OldResourceProperties: { AutoScalingGroupName: 'agents-blue' },
      }),
      lambdaContext(),
    );
    const updated = lastAnswer();

    // Act: Delete
    await handler()(
      customResourceEvent('Delete', {
        ResponseURL: recorder.urlFor('delete'),
        LogicalResourceId: 'AzRebalancingSuspender',
        PhysicalResourceId: created.PhysicalResourceId,
        ResourceProperties: { AutoScalingGroupName: 'agents-green' },
      }),
      lambdaContext(),
    );
    const deleted = lastAnswer();

    // Assess
    expect(created).toMatchObject({ Status: 'SUCCESS', Data: { AutoScalingGroupName: 'agents-blue' } });
    expect(updated).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: created.PhysicalResourceId });
    expect(deleted).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: created.PhysicalResourceId });
    expect(await suspendedProcesses('agents-blue')).toEqual(['AZRebalance']);
    expect(await suspendedProcesses('agents-green')).toEqual(['AZRebalance']);
  });

  it('answers FAILED with the Auto Scaling error for a group that does not exist', async () => {
    await handler()(
      customResourceEvent('Create', {
        ResponseURL: recorder.urlFor('missing'),
        ResourceProperties: { AutoScalingGroupName: 'agents-never-created' },
      }),
      lambdaContext(),
    );

    expect(lastAnswer().Status).toBe('FAILED');
    expect(lastAnswer().Reason).toMatch(/SuspendProcesses\(AZRebalance\) on agents-never-created failed: /);
  });

  it('works through the Lambda entry point configured from the environment', async () => {
    // Prepare
    for (const [name, value] of Object.entries(awsEnvironment())) vi.stubEnv(name, value);
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
    const { handler: lambdaHandler } = await import('./lambda');

    // Act
    const printed = await captureProcessOutput(() =>
      lambdaHandler(
        customResourceEvent('Create', {
          ResponseURL: recorder.urlFor('entry'),
          ResourceProperties: { AutoScalingGroupName: 'agents-green' },
        }),
        lambdaContext(),
      ),
    ).finally(() => vi.unstubAllEnvs());

    // Assess: Powertools' structured records, and never the ResponseURL's signature.
    expect(printed).toMatch(/"message":"answering CloudFormation SUCCESS"/);
    expect(printed).not.toContain('canary-signature');
    expect(lastAnswer()).toMatchObject({ Status: 'SUCCESS', Data: { AutoScalingGroupName: 'agents-green' } });
  });

  it('answers Delete SUCCESS through the entry point even with a broken environment, and Create FAILED', async () => {
    // Prepare: a fresh module, configured from an environment with no region and a bad margin.
    vi.resetModules();
    for (const [name, value] of Object.entries(awsEnvironment())) vi.stubEnv(name, value);
    vi.stubEnv('AWS_REGION', '');
    vi.stubEnv('ANSWER_MARGIN_SECONDS', 'soon');
    const { handler: lambdaHandler } = await import('./lambda');

    // Act
    const deleted = await captureProcessOutput(() =>
      lambdaHandler(
        customResourceEvent('Delete', {
          ResponseURL: recorder.urlFor('broken-delete'),
          PhysicalResourceId: 'elastic-ci:az-rebalancing-suspended:Suspender',
          ResourceProperties: { AutoScalingGroupName: 'agents-blue' },
        }),
        lambdaContext(),
      ),
    ).then(() => lastAnswer());
    const created = await captureProcessOutput(() =>
      lambdaHandler(
        customResourceEvent('Create', {
          ResponseURL: recorder.urlFor('broken-create'),
          ResourceProperties: { AutoScalingGroupName: 'agents-blue' },
        }),
        lambdaContext(),
      ),
    )
      .then(() => lastAnswer())
      .finally(() => vi.unstubAllEnvs());

    // Assess
    expect(deleted).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'elastic-ci:az-rebalancing-suspended:Suspender',
    });
    expect(created.Status).toBe('FAILED');
    expect(created.Reason).toMatch(/ANSWER_MARGIN_SECONDS/);
  });
});
