import { type CustomResourceResponse, createHttpResponder } from '@elastic-ci/custom-resource';
import {
  customResourceEvent,
  RecordingLogger,
  type ResponseRecorder,
  startResponseRecorder,
} from '@elastic-ci/custom-resource/testing';
import { lambdaContext } from '@elastic-ci/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config';
import { SuspendProcessesError } from './errors';
import { createSuspenderHandler } from './handler';
import type { ProcessSuspender } from './process-suspender';

let recorder: ResponseRecorder;
beforeEach(async () => {
  recorder = await startResponseRecorder();
});
afterEach(async () => {
  await recorder.close();
});

class RecordingSuspender implements ProcessSuspender {
  readonly groups: string[] = [];
  constructor(private readonly failure?: Error) {}
  async suspendAzRebalance(groupName: string): Promise<void> {
    this.groups.push(groupName);
    if (this.failure) throw this.failure;
  }
}

function answers(): CustomResourceResponse[] {
  return recorder.answers.map((answer) => JSON.parse(answer.body) as CustomResourceResponse);
}

describe('Function: createSuspenderHandler', () => {
  it('answers FAILED naming the bad variables when the configuration is invalid, without calling AWS', async () => {
    const suspender = new RecordingSuspender();
    const handler = createSuspenderHandler({
      config: loadConfig({ ANSWER_MARGIN_SECONDS: 'x' }),
      suspender,
      responder: createHttpResponder(),
      logger: new RecordingLogger(),
    });
    const event = customResourceEvent('Create', {
      ResponseURL: recorder.urlFor(),
      ResourceProperties: { AutoScalingGroupName: 'agents' },
    });

    await handler(event, lambdaContext());

    expect(suspender.groups).toEqual([]);
    expect(answers()[0]?.Status).toBe('FAILED');
    expect(answers()[0]?.Reason).toMatch(
      /ConfigurationError: invalid configuration: AWS_REGION .*ANSWER_MARGIN_SECONDS/,
    );
  });

  it('answers Delete SUCCESS even when the configuration is invalid, so the stack can still be deleted', async () => {
    // Prepare
    const suspender = new RecordingSuspender();
    const logger = new RecordingLogger();
    const handler = createSuspenderHandler({
      config: loadConfig({ ANSWER_MARGIN_SECONDS: 'x' }),
      suspender,
      responder: createHttpResponder(),
      logger,
    });
    const event = customResourceEvent('Delete', {
      ResponseURL: recorder.urlFor(),
      PhysicalResourceId: 'elastic-ci:az-rebalancing-suspended:Suspender',
      ResourceProperties: { AutoScalingGroupName: 'agents' },
    });

    // Act
    await handler(event, lambdaContext());

    // Assess
    expect(suspender.groups).toEqual([]);
    expect(answers()).toHaveLength(1);
    expect(answers()[0]).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'elastic-ci:az-rebalancing-suspended:Suspender',
    });
    expect(logger.text).toMatch(/ANSWER_MARGIN_SECONDS/);
  });

  it('answers Update FAILED naming the configuration when it is invalid', async () => {
    // Prepare
    const suspender = new RecordingSuspender();
    const handler = createSuspenderHandler({
      config: loadConfig({ ANSWER_MARGIN_SECONDS: 'x' }),
      suspender,
      responder: createHttpResponder(),
      logger: new RecordingLogger(),
    });
    const event = customResourceEvent('Update', {
      ResponseURL: recorder.urlFor(),
      PhysicalResourceId: 'elastic-ci:az-rebalancing-suspended:Suspender',
      ResourceProperties: { AutoScalingGroupName: 'agents' },
    });

    // Act
    await handler(event, lambdaContext());

    // Assess
    expect(suspender.groups).toEqual([]);
    expect(answers()[0]?.Status).toBe('FAILED');
    expect(answers()[0]?.Reason).toMatch(/ConfigurationError: invalid configuration/);
  });

  it('answers FAILED with the Auto Scaling error when the call fails', async () => {
    const suspender = new RecordingSuspender(
      new SuspendProcessesError('SuspendProcesses(AZRebalance) on gone failed: ValidationError: not found'),
    );
    const handler = createSuspenderHandler({
      config: loadConfig({ AWS_REGION: 'us-east-1' }),
      suspender,
      responder: createHttpResponder(),
      logger: new RecordingLogger(),
    });

    await handler(
      customResourceEvent('Update', {
        ResponseURL: recorder.urlFor(),
        PhysicalResourceId: 'elastic-ci:az-rebalancing-suspended:X',
        ResourceProperties: { AutoScalingGroupName: 'gone' },
      }),
      lambdaContext(),
    );

    expect(answers()[0]).toMatchObject({
      Status: 'FAILED',
      PhysicalResourceId: 'elastic-ci:az-rebalancing-suspended:X',
    });
    expect(answers()[0]?.Reason).toMatch(/on gone failed: ValidationError: not found/);
  });

  it.each([
    ['a missing StackId', { StackId: undefined }, /StackId: Invalid input/],
    ['an unknown RequestType', { RequestType: 'Resume' }, /RequestType: Invalid discriminator value/],
    [
      'a group name of the wrong type',
      { ResourceProperties: { AutoScalingGroupName: 42 } },
      /AutoScalingGroupName: is required/,
    ],
  ])('answers FAILED for an event with %s, without any Auto Scaling call', async (_case, overrides, reason) => {
    const suspender = new RecordingSuspender();
    const handler = createSuspenderHandler({
      config: loadConfig({ AWS_REGION: 'us-east-1' }),
      suspender,
      responder: createHttpResponder(),
      logger: new RecordingLogger(),
    });

    await handler(customResourceEvent('Create', { ResponseURL: recorder.urlFor(), ...overrides }), lambdaContext());

    expect(suspender.groups).toEqual([]);
    expect(answers()[0]?.Status).toBe('FAILED');
    expect(answers()[0]?.Reason).toMatch(reason);
  });

  it('answers Delete SUCCESS without any Auto Scaling call', async () => {
    const suspender = new RecordingSuspender(new Error('must not be called'));
    const handler = createSuspenderHandler({
      config: loadConfig({ AWS_REGION: 'us-east-1' }),
      suspender,
      responder: createHttpResponder(),
      logger: new RecordingLogger(),
    });

    await handler(customResourceEvent('Delete', { ResponseURL: recorder.urlFor() }), lambdaContext());

    expect(suspender.groups).toEqual([]);
    expect(answers()[0]).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'example-physical-id' });
  });
});
