import { customResourceEvent, RecordingLogger } from '@elastic-ci/custom-resource/testing';
import { FakeClock } from '@elastic-ci/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';
import { AwsCallError } from './errors';
import { createStopAgentsHandler } from './handler';
import { physicalIdFor } from './request-plan';
import { FakeFleet, type FakeInstanceSpec, MemoryResponder, QueueingInvoker } from './testing/fake-fleet';
import { simulateLambda } from './testing/simulated-lambda';

const MINUTE = 60_000;

function setUp(options: { instances: FakeInstanceSpec[]; environment?: Record<string, string> }) {
  const clock = new FakeClock(Date.UTC(2026, 10, 23, 12, 0, 0));
  const fleet = new FakeFleet(clock, { instances: options.instances });
  const responder = new MemoryResponder(clock);
  const invoker = new QueueingInvoker();
  const logger = new RecordingLogger();
  const handler = createStopAgentsHandler({
    config: loadConfig({ AWS_REGION: 'us-east-1', ...options.environment }),
    group: fleet,
    stopper: fleet,
    selfInvoker: invoker,
    responder,
    logger,
    clock,
  });
  const deleteEvent = customResourceEvent('Delete', {
    ResponseURL: 'https://example.invalid/answer?X-Amz-Signature=canary',
    LogicalResourceId: 'StopAgents',
    PhysicalResourceId: physicalIdFor('agents-old'),
    ResourceProperties: { AutoScalingGroupName: 'agents-old' },
  });
  return { clock, fleet, responder, invoker, logger, handler, deleteEvent };
}

describe('Function: createStopAgentsHandler', () => {
  it('zeroes the old group, stops the agents and answers SUCCESS once the busy instances are gone', async () => {
    // Prepare
    const { clock, fleet, responder, invoker, handler, deleteEvent, logger } = setUp({
      instances: [{ busyForMs: 4 * MINUTE }, { busyForMs: 9 * MINUTE }, {}],
    });
    const start = clock.now();

    // Act
    const run = await simulateLambda(handler, deleteEvent, { clock, timeoutMs: 15 * MINUTE, invoker });

    // Assess
    expect(responder.bodies).toHaveLength(1);
    expect(responder.bodies[0]).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: physicalIdFor('agents-old'),
      Data: { Drained: true, RemainingInstances: 0, StopCommandsSent: 1 },
    });
    expect(run.invocations).toBe(1);
    expect(responder.answeredAt[0]).toBeGreaterThanOrEqual(start + 9 * MINUTE);
    expect(responder.answeredAt[0]).toBeLessThanOrEqual(start + 9 * MINUTE + 15_000);
    expect(fleet.calls.slice(0, 3)).toEqual(['describe', 'zeroCapacity', 'sendStop']);
    expect({ min: fleet.minSize, desired: fleet.desiredCapacity, max: fleet.maxSize }).toEqual({
      min: 0,
      desired: 0,
      max: 10,
    });
    expect(fleet.terminatedWhileBusy).toEqual([]);
    expect(logger.text).toContain('drain step');
    expect(logger.text).not.toContain('X-Amz-Signature=canary');
  });

  it('waits beyond one Lambda timeout by continuing in new invocations, and answers exactly once', async () => {
    const { clock, responder, invoker, handler, deleteEvent, logger } = setUp({
      instances: [{ busyForMs: 40 * MINUTE }],
    });

    const run = await simulateLambda(handler, deleteEvent, { clock, timeoutMs: 5 * MINUTE, invoker });

    expect(run.invocations).toBeGreaterThanOrEqual(9);
    expect(run.longestInvocationMs).toBeLessThan(5 * MINUTE);
    expect(responder.bodies).toHaveLength(1);
    expect(responder.bodies[0]).toMatchObject({ Status: 'SUCCESS', Data: { Drained: true, StopCommandsSent: 1 } });
    expect(logger.entries.filter((entry) => entry.message === 'continuing in a new invocation').length).toBe(
      run.invocations - 1,
    );
  });

  it('answers FAILED at the drain deadline without touching the busy instance', async () => {
    const { clock, fleet, responder, invoker, handler, deleteEvent } = setUp({
      instances: [{ busyForMs: 3 * 60 * MINUTE }],
      environment: { DRAIN_TIMEOUT_SECONDS: '600' },
    });
    const start = clock.now();

    await simulateLambda(handler, deleteEvent, { clock, timeoutMs: 15 * MINUTE, invoker });

    expect(responder.bodies).toHaveLength(1);
    expect(responder.bodies[0]?.Status).toBe('FAILED');
    expect(responder.bodies[0]?.Reason).toMatch(
      /agents-old: 1 instance\(s\) still running at the drain deadline: i-0000\. Their jobs were not interrupted/,
    );
    expect(responder.answeredAt[0]).toBe(start + 10 * MINUTE);
    expect(fleet.liveInstanceIds).toEqual(['i-0000']);
  });

  it('answers SUCCESS with Drained=false at the deadline when ON_DRAIN_TIMEOUT=succeed', async () => {
    const { clock, responder, invoker, handler, deleteEvent } = setUp({
      instances: [{ busyForMs: 3 * 60 * MINUTE }, { busyForMs: 3 * 60 * MINUTE }],
      environment: { DRAIN_TIMEOUT_SECONDS: '120', ON_DRAIN_TIMEOUT: 'succeed' },
    });

    await simulateLambda(handler, deleteEvent, { clock, timeoutMs: 15 * MINUTE, invoker });

    expect(responder.bodies[0]).toMatchObject({
      Status: 'SUCCESS',
      Data: { Drained: false, RemainingInstances: 2, StopCommandsSent: 1 },
    });
  });

  it('tells an instance that was still booting at the first command to stop once it is in service', async () => {
    const { clock, fleet, responder, invoker, handler, deleteEvent } = setUp({
      instances: [{ busyForMs: 2 * MINUTE }, { busyForMs: 5 * MINUTE, joinsAfterMs: 30_000 }],
    });

    await simulateLambda(handler, deleteEvent, { clock, timeoutMs: 15 * MINUTE, invoker });

    expect(fleet.calls.filter((call) => call === 'sendStop')).toHaveLength(2);
    expect(responder.bodies[0]).toMatchObject({ Status: 'SUCCESS', Data: { Drained: true, StopCommandsSent: 2 } });
  });

  it('answers FAILED with the AWS error when a call fails', async () => {
    const { clock, fleet, responder, invoker, handler, deleteEvent } = setUp({ instances: [{ busyForMs: MINUTE }] });
    fleet.failNext('zeroCapacity', new AwsCallError('UpdateAutoScalingGroup(agents-old) failed: AccessDenied'));

    await simulateLambda(handler, deleteEvent, { clock, timeoutMs: 15 * MINUTE, invoker });

    expect(responder.bodies[0]?.Status).toBe('FAILED');
    expect(responder.bodies[0]?.Reason).toMatch(/^Delete failed: AwsCallError: UpdateAutoScalingGroup.*AccessDenied/);
  });

  it.each([
    [
      'describe',
      'DescribeAutoScalingGroups',
      Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $retryable: { throttling: true } }),
    ],
    [
      'zeroCapacity',
      'UpdateAutoScalingGroup',
      Object.assign(new Error('Scaling activity in progress'), {
        name: 'ScalingActivityInProgressFault',
        $metadata: { httpStatusCode: 400 },
      }),
    ],
    ['listInvocations', 'ListCommandInvocations', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    [
      'sendStop',
      'SendCommand',
      Object.assign(new Error('Internal error'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } }),
    ],
  ] as const)(
    'looks again at the next poll when %s fails for a passing reason, instead of giving the drain up',
    async (call, operation, cause) => {
      // Prepare: a FAILED answer here lost the whole drain on one throttled call; in an update's cleanup phase the
      // old group was then left behind outside the stack, at full capacity and with its agents still taking jobs.
      const { clock, fleet, responder, invoker, handler, deleteEvent, logger } = setUp({
        instances: [{ busyForMs: 4 * MINUTE }, {}],
      });
      fleet.failNext(call, new AwsCallError(`${operation}(agents-old) failed: ${cause.name}`, { cause }));

      // Act
      await simulateLambda(handler, deleteEvent, { clock, timeoutMs: 15 * MINUTE, invoker });

      // Assess
      expect(responder.bodies).toHaveLength(1);
      expect(responder.bodies[0]).toMatchObject({ Status: 'SUCCESS', Data: { Drained: true } });
      expect(fleet.terminatedWhileBusy).toEqual([]);
      expect({ min: fleet.minSize, desired: fleet.desiredCapacity }).toEqual({ min: 0, desired: 0 });
      expect(logger.text).toMatch(/AWS call failed for a passing reason; looking again/);
    },
  );

  it('answers FAILED with the last passing AWS error when it lasts until the drain deadline', async () => {
    // Prepare
    const { clock, fleet, responder, invoker, handler, deleteEvent } = setUp({
      instances: [{ busyForMs: 90 * MINUTE }],
      environment: { DRAIN_TIMEOUT_SECONDS: '600' },
    });
    const start = clock.now();
    const throttled = () =>
      new AwsCallError('DescribeAutoScalingGroups(agents-old) failed: Throttling: Rate exceeded', {
        cause: Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $retryable: { throttling: true } }),
      });
    fleet.failAlways('describe', throttled);

    // Act
    await simulateLambda(handler, deleteEvent, { clock, timeoutMs: 15 * MINUTE, invoker });

    // Assess
    expect(responder.bodies).toHaveLength(1);
    expect(responder.bodies[0]?.Status).toBe('FAILED');
    expect(responder.bodies[0]?.Reason).toMatch(/Throttling: Rate exceeded/);
    expect(responder.answeredAt[0]).toBeGreaterThanOrEqual(start + 10 * MINUTE);
  });

  it('answers FAILED before the Lambda dies when an AWS call hangs', async () => {
    const { clock, fleet, responder, invoker, handler, deleteEvent } = setUp({ instances: [{ busyForMs: MINUTE }] });
    fleet.hang('describe');

    const run = await simulateLambda(handler, deleteEvent, { clock, timeoutMs: 2 * MINUTE, invoker });

    expect(run.longestInvocationMs).toBe(2 * MINUTE - 15_000);
    expect(responder.bodies[0]?.Status).toBe('FAILED');
    expect(responder.bodies[0]?.Reason).toMatch(/^timed out: Delete did not finish/);
  });

  it.each(['Create', 'Update'] as const)('answers %s without any AWS call', async (requestType) => {
    const { clock, fleet, responder, invoker, handler } = setUp({ instances: [{}] });
    const event = customResourceEvent(requestType, {
      ResponseURL: 'https://example.invalid/answer',
      PhysicalResourceId: physicalIdFor('agents-old'),
      ResourceProperties: { AutoScalingGroupName: 'agents-new' },
      OldResourceProperties: { AutoScalingGroupName: 'agents-old' },
    });

    await simulateLambda(handler, event, { clock, timeoutMs: MINUTE, invoker });

    expect(fleet.calls).toEqual([]);
    expect(responder.bodies[0]).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: physicalIdFor('agents-new') });
  });

  it('answers a Delete FAILED naming the bad variables when its group has instances, touching nothing', async () => {
    const { clock, fleet, responder, invoker, handler, deleteEvent } = setUp({
      instances: [{}],
      environment: { AGENT_PLATFORM: 'solaris' },
    });

    await simulateLambda(handler, deleteEvent, { clock, timeoutMs: MINUTE, invoker });

    expect(fleet.calls).toEqual(['describe']);
    expect(fleet.liveInstanceIds).toHaveLength(1);
    expect(responder.bodies).toHaveLength(1);
    expect(responder.bodies[0]?.Status).toBe('FAILED');
    expect(responder.bodies[0]?.Reason).toMatch(/ConfigurationError: invalid configuration: AGENT_PLATFORM must be/);
    expect(responder.bodies[0]?.Reason).toMatch(/agents-old still has 1 instance\(s\) and was not drained nor touched/);
  });

  it('answers a Delete SUCCESS with an invalid configuration when its group has no instance left', async () => {
    const { clock, fleet, responder, invoker, handler, deleteEvent } = setUp({
      instances: [],
      environment: { AGENT_PLATFORM: 'solaris' },
    });

    await simulateLambda(handler, deleteEvent, { clock, timeoutMs: MINUTE, invoker });

    expect(fleet.calls).toEqual(['describe']);
    expect(responder.bodies).toHaveLength(1);
    expect(responder.bodies[0]).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: physicalIdFor('agents-old'),
      Data: { Drained: true, RemainingInstances: 0, StopCommandsSent: 0 },
    });
  });

  it.each([
    ['the same group', 'agents-old'],
    ['a replaced group (a rollback looks the same)', 'agents-new'],
  ])('answers an Update to %s SUCCESS with an invalid configuration, without any AWS call', async (_case, group) => {
    const { clock, fleet, responder, invoker, handler, logger } = setUp({
      instances: [{}],
      environment: { DRAIN_TIMEOUT_SECONDS: 'forever' },
    });
    const event = customResourceEvent('Update', {
      ResponseURL: 'https://example.invalid/answer',
      PhysicalResourceId: physicalIdFor('agents-old'),
      ResourceProperties: { AutoScalingGroupName: group },
      OldResourceProperties: { AutoScalingGroupName: 'agents-old' },
    });

    await simulateLambda(handler, event, { clock, timeoutMs: MINUTE, invoker });

    expect(fleet.calls).toEqual([]);
    expect(responder.bodies).toHaveLength(1);
    expect(responder.bodies[0]).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: physicalIdFor(group) });
    expect(logger.text).toMatch(/DRAIN_TIMEOUT_SECONDS/);
  });

  it('answers a Create FAILED with an invalid configuration: a guard that cannot drain must not be created', async () => {
    const { clock, fleet, responder, invoker, handler } = setUp({
      instances: [{}],
      environment: { DRAIN_TIMEOUT_SECONDS: 'forever' },
    });
    const event = customResourceEvent('Create', {
      ResponseURL: 'https://example.invalid/answer',
      ResourceProperties: { AutoScalingGroupName: 'agents-new' },
    });

    await simulateLambda(handler, event, { clock, timeoutMs: MINUTE, invoker });

    expect(fleet.calls).toEqual([]);
    expect(responder.bodies[0]?.Status).toBe('FAILED');
    expect(responder.bodies[0]?.Reason).toMatch(/DRAIN_TIMEOUT_SECONDS/);
  });

  it.each([
    ['a missing RequestId', { RequestId: undefined }, /RequestId: Invalid input/],
    ['an unknown RequestType', { RequestType: 'Drain' }, /RequestType: Invalid discriminator value/],
    ['ResourceProperties of the wrong type', { ResourceProperties: 'agents-old' }, /ResourceProperties: .*record/],
  ])('answers FAILED for an event with %s, without any AWS call', async (_case, overrides, reason) => {
    const { clock, fleet, responder, invoker, handler, deleteEvent } = setUp({ instances: [{}] });

    await simulateLambda(handler, { ...deleteEvent, ...overrides }, { clock, timeoutMs: MINUTE, invoker });

    expect(fleet.calls).toEqual([]);
    expect(responder.bodies).toHaveLength(1);
    expect(responder.bodies[0]?.Status).toBe('FAILED');
    expect(responder.bodies[0]?.Reason).toMatch(reason);
  });

  it.each([
    ['not an object', 'Delete'],
    ['without ResponseURL', { RequestType: 'Delete' }],
  ])('sends nothing and logs loudly for an event %s', async (_case, event) => {
    const { clock, fleet, responder, invoker, handler, logger } = setUp({ instances: [{}] });

    await simulateLambda(handler, event, { clock, timeoutMs: MINUTE, invoker });

    expect(fleet.calls).toEqual([]);
    expect(responder.bodies).toEqual([]);
    expect(logger.entries.some((entry) => entry.level === 'error' && /CANNOT BE ANSWERED/.test(entry.message))).toBe(
      true,
    );
  });

  it('answers FAILED when a continuation carries a malformed drain state', async () => {
    const { clock, responder, invoker, handler, deleteEvent } = setUp({ instances: [{}] });

    await simulateLambda(
      handler,
      { ...deleteEvent, ElasticCiContinuation: { hop: 1, state: { groupName: 'agents-old', commands: 'none' } } },
      { clock, timeoutMs: MINUTE, invoker },
    );

    expect(responder.bodies[0]?.Reason).toMatch(/malformed drain state: drainDeadlineAt: .*commands: /);
  });

  it('answers FAILED through the hop limit when the Lambda timeout leaves no time to wait', async () => {
    const { clock, responder, invoker, handler, deleteEvent } = setUp({ instances: [{ busyForMs: 60 * MINUTE }] });

    const run = await simulateLambda(handler, deleteEvent, { clock, timeoutMs: 40_000, invoker });

    expect(run.invocations).toBe(51);
    expect(responder.bodies).toHaveLength(1);
    expect(responder.bodies[0]?.Reason).toMatch(/gave up after 50 continuations/);
  });

  it('always answers exactly once, in time, and never before the fleet is drained or the deadline passed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            busyForMs: fc.option(fc.integer({ min: 0, max: 90 * MINUTE }), { nil: undefined }),
            joinsAfterMs: fc.option(fc.integer({ min: 0, max: 5 * MINUTE }), { nil: undefined }),
          }),
          { maxLength: 5 },
        ),
        // Lambda timeouts the README allows (at least 3 minutes); shorter ones are covered by the hop-limit test.
        fc.integer({ min: 3, max: 15 }).map((minutes) => minutes * MINUTE),
        fc.integer({ min: 1, max: 59 }).map((minutes) => String(minutes * 60)),
        fc.option(fc.constantFrom('describe', 'zeroCapacity', 'sendStop', 'listInvocations'), { nil: undefined }),
        // A passing failure (throttling) is looked at again; any other fails the drain at once.
        fc.boolean(),
        async (instances, timeoutMs, drainTimeoutSeconds, failingCall, passing) => {
          const specs = instances.map((spec) => ({
            ...(spec.busyForMs === undefined ? {} : { busyForMs: spec.busyForMs }),
            ...(spec.joinsAfterMs === undefined ? {} : { joinsAfterMs: spec.joinsAfterMs }),
          }));
          const { clock, fleet, responder, invoker, handler, deleteEvent } = setUp({
            instances: specs,
            environment: { DRAIN_TIMEOUT_SECONDS: drainTimeoutSeconds },
          });
          if (failingCall) {
            const cause = passing ? { cause: Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }) } : {};
            fleet.failNext(failingCall, new AwsCallError(`${failingCall} failed: Throttling`, cause));
          }
          const start = clock.now();

          const run = await simulateLambda(handler, deleteEvent, { clock, timeoutMs, invoker });

          expect(responder.bodies).toHaveLength(1);
          expect(run.longestInvocationMs).toBeLessThan(timeoutMs);
          expect(fleet.terminatedWhileBusy).toEqual([]);
          const answer = responder.bodies[0] as { Status: string; Data: { Drained?: boolean } };
          if (answer.Status === 'SUCCESS') expect(fleet.liveInstanceIds).toEqual([]);
          if (passing) expect(String(responder.bodies[0]?.Reason)).not.toMatch(/Throttling/);
          if (answer.Status === 'FAILED' && !/Throttling|timed out/.test(String(responder.bodies[0]?.Reason))) {
            expect(responder.answeredAt[0]).toBeGreaterThanOrEqual(start + Number(drainTimeoutSeconds) * 1_000);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
