import { RecordingLogger } from '@elastic-ci/custom-resource/testing';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BROKER_STATUS } from './broker-protocol';
import { loadConfig } from './config';
import { createBrokerHandler, MAX_BODY_BYTES } from './handler';
import { awsError, FakeAutoScalingPort } from './test-support/fake-auto-scaling-port';
import {
  FLEET_ID,
  functionUrlEvent,
  INSTANCE_ID,
  INSTANCE_ROLE_NAME,
  instanceUserArn,
} from './test-support/function-url-events';

const GROUP = 'agents';
const TOKEN = '3d0c5c1e-0f45-4b7c-9c53-5c2f1f0b8a11';
const CANARY = 'CANARY-secret-never-logged-0001';
const CONFIG = loadConfig({ AWS_REGION: 'us-east-1', INSTANCE_ROLE_NAME, FLEET_ID });

function setUp(options: { now?: () => number; groupCacheTtlMs?: number; config?: ReturnType<typeof loadConfig> } = {}) {
  const port = new FakeAutoScalingPort().withGroup(GROUP, { 'elastic-ci:fleet': FLEET_ID, Name: 'agents' });
  const logger = new RecordingLogger();
  const handler = createBrokerHandler({
    config: options.config ?? CONFIG,
    autoScaling: port,
    logger,
    ...(options.now ? { now: options.now } : {}),
    ...(options.groupCacheTtlMs === undefined ? {} : { groupCacheTtlMs: options.groupCacheTtlMs }),
  });
  const send = async (event: LambdaFunctionURLEvent) => {
    const result = await handler(event);
    if (typeof result === 'string') throw new Error('the handler answers structured results');
    return { status: result.statusCode, body: JSON.parse(result.body ?? 'null'), headers: result.headers };
  };
  return { port, logger, send };
}

const requestEvent = (request: Record<string, unknown>, options: Parameters<typeof functionUrlEvent>[0] = {}) =>
  functionUrlEvent({ body: JSON.stringify({ version: 1, autoScalingGroupName: GROUP, ...request }), ...options });

describe('Function: createBrokerHandler', () => {
  it.each<[string, Record<string, unknown>, unknown]>([
    [
      'set-instance-protection',
      { action: 'set-instance-protection', protectedFromScaleIn: false },
      {
        operation: 'setInstanceProtection',
        autoScalingGroupName: GROUP,
        instanceId: INSTANCE_ID,
        protectedFromScaleIn: false,
      },
    ],
    [
      'set-instance-unhealthy',
      { action: 'set-instance-unhealthy' },
      { operation: 'setInstanceUnhealthy', instanceId: INSTANCE_ID },
    ],
    [
      'terminate-instance',
      { action: 'terminate-instance', decrementDesiredCapacity: true },
      { operation: 'terminateInstance', instanceId: INSTANCE_ID, decrementDesiredCapacity: true },
    ],
    [
      'record-lifecycle-action-heartbeat',
      { action: 'record-lifecycle-action-heartbeat', lifecycleHookName: 'drain', lifecycleActionToken: TOKEN },
      {
        operation: 'recordLifecycleActionHeartbeat',
        autoScalingGroupName: GROUP,
        lifecycleHookName: 'drain',
        instanceId: INSTANCE_ID,
      },
    ],
    [
      'complete-lifecycle-action',
      {
        action: 'complete-lifecycle-action',
        lifecycleHookName: 'drain',
        lifecycleActionResult: 'CONTINUE',
        lifecycleActionToken: TOKEN,
      },
      {
        operation: 'completeLifecycleAction',
        autoScalingGroupName: GROUP,
        lifecycleHookName: 'drain',
        instanceId: INSTANCE_ID,
        lifecycleActionResult: 'CONTINUE',
      },
    ],
  ])(
    '%s: makes the call for the caller (never forwarding a lifecycle token) and answers done',
    async (_, request, expected) => {
      // Arrange
      const { port, send } = setUp();

      // Act
      const answer = await send(requestEvent(request));

      // Assess
      expect(answer).toEqual({
        status: 200,
        body: { outcome: 'done', instanceId: INSTANCE_ID },
        headers: { 'content-type': 'application/json' },
      });
      expect(port.actionCalls).toEqual([expected]);
    },
  );

  it('acts on the signed caller only, whatever the request holds (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^i-[0-9a-f]{8,17}$/),
        fc.constantFrom<Record<string, unknown>>(
          { action: 'set-instance-protection', protectedFromScaleIn: true },
          { action: 'set-instance-unhealthy' },
          { action: 'terminate-instance', decrementDesiredCapacity: false },
          { action: 'record-lifecycle-action-heartbeat', lifecycleHookName: 'drain' },
          { action: 'complete-lifecycle-action', lifecycleHookName: 'drain', lifecycleActionResult: 'ABANDON' },
        ),
        fc.option(fc.uuid(), { nil: undefined }),
        async (caller, request, token) => {
          const { port, send } = setUp();
          const withToken =
            token !== undefined && String(request.action).includes('lifecycle') ? { lifecycleActionToken: token } : {};

          const answer = await send(requestEvent({ ...request, ...withToken }, { userArn: instanceUserArn(caller) }));

          expect(answer.body).toEqual({ outcome: 'done', instanceId: caller });
          for (const call of port.actionCalls) expect(call).toMatchObject({ instanceId: caller });
          expect(JSON.stringify(port.calls)).not.toContain('Token');
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuses a request that names an instance (the protocol has no such field)', async () => {
    const { port, send } = setUp();

    const answer = await send(requestEvent({ action: 'set-instance-unhealthy', instanceId: 'i-0fedcba9876543210' }));

    expect(answer.status).toBe(BROKER_STATUS.badRequest);
    expect(answer.body).toEqual({
      error: 'invalid request: has fields this protocol version does not know (a newer client than broker?)',
      retryable: false,
    });
    expect(port.calls).toEqual([]);
  });

  it('answers 405 to anything but POST, before anything else', async () => {
    const { port, send } = setUp();

    const answer = await send(requestEvent({ action: 'set-instance-unhealthy' }, { method: 'GET' }));

    expect(answer).toMatchObject({
      status: 405,
      body: { error: 'the broker answers POST requests only', retryable: false },
    });
    expect(port.calls).toEqual([]);
  });

  it.each([
    ['no IAM identity (AuthType NONE)', null, /carries no IAM identity/],
    ['a session of another role', instanceUserArn(INSTANCE_ID, 'some-other-role'), /not the fleet's instance role/],
    ['a session not named after an instance', instanceUserArn('jenkins-admin'), /not named after an instance/],
    ['an IAM user', 'arn:aws:iam::123456789012:user/alice', /not an assumed-role session/],
  ])('answers 403 to %s, before reading the body', async (_, userArn, reason) => {
    const { port, send } = setUp();

    const answer = await send(functionUrlEvent({ body: 'not even JSON', userArn }));

    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ retryable: false, error: expect.stringMatching(reason) });
    expect(port.calls).toEqual([]);
  });

  it.each([
    ['an empty body', functionUrlEvent({ body: '' }), 'the body is empty: send a JSON broker request'],
    ['no body', functionUrlEvent(), 'the body is empty: send a JSON broker request'],
    [
      'a body that is not JSON',
      functionUrlEvent({ body: `{"secret":"${CANARY}"` }),
      'the body is not JSON (UTF-8): send a JSON broker request',
    ],
    [
      'a body over the size limit',
      functionUrlEvent({ body: JSON.stringify({ padding: 'x'.repeat(MAX_BODY_BYTES) }) }),
      `the body is larger than ${MAX_BODY_BYTES} bytes: no broker request is`,
    ],
    [
      'a base64 body over the size limit',
      functionUrlEvent({ body: Buffer.alloc(MAX_BODY_BYTES + 1, 32).toString('base64'), isBase64Encoded: true }),
      `the body is larger than ${MAX_BODY_BYTES} bytes: no broker request is`,
    ],
    [
      'a base64 body that is not UTF-8',
      functionUrlEvent({ body: Buffer.from([0xff, 0xfe, 0x7b]).toString('base64'), isBase64Encoded: true }),
      'the body is not JSON (UTF-8): send a JSON broker request',
    ],
  ])('answers 400 to %s', async (_, event, error) => {
    const { port, send } = setUp();

    const answer = await send(event);

    expect(answer).toMatchObject({ status: 400, body: { error, retryable: false } });
    expect(port.calls).toEqual([]);
  });

  it('reads a base64-encoded body', async () => {
    const { port, send } = setUp();
    const body = JSON.stringify({ version: 1, action: 'set-instance-unhealthy', autoScalingGroupName: GROUP });

    const answer = await send(functionUrlEvent({ body: Buffer.from(body).toString('base64'), isBase64Encoded: true }));

    expect(answer.body).toEqual({ outcome: 'done', instanceId: INSTANCE_ID });
    expect(port.actionCalls).toEqual([{ operation: 'setInstanceUnhealthy', instanceId: INSTANCE_ID }]);
  });

  it.each([
    [{ action: 'set-instance-protection' }, /protectedFromScaleIn Invalid input: expected boolean/],
    [
      { action: 'complete-lifecycle-action', lifecycleHookName: 'drain', lifecycleActionResult: 'MAYBE' },
      /lifecycleActionResult/,
    ],
    [
      { action: 'record-lifecycle-action-heartbeat', lifecycleHookName: 'bad name!' },
      /lifecycleHookName must be a lifecycle hook name/,
    ],
    [{ action: 'reboot-neighbour' }, /action must be one of set-instance-protection/],
    [{ action: 'set-instance-unhealthy', version: 2 }, /version must be 1/],
    [
      { action: 'set-instance-unhealthy', autoScalingGroupName: '' },
      /autoScalingGroupName must be an Auto Scaling group name/,
    ],
  ])('answers 400 naming the field for %j', async (request, error) => {
    const { port, send } = setUp();

    const answer = await send(requestEvent(request));

    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(error);
    expect(port.calls).toEqual([]);
  });

  it.each([
    ['does not exist', 'no-such-group'],
    ['carries no fleet tag', 'untagged'],
    ['belongs to another fleet', 'other-fleet'],
  ])('answers 403 when the group %s, with no Auto Scaling action', async (_, group) => {
    const { port, send } = setUp();
    port.withGroup('untagged', { Name: 'untagged' }).withGroup('other-fleet', { 'elastic-ci:fleet': 'another-fleet' });

    const answer = await send(
      requestEvent({ action: 'terminate-instance', decrementDesiredCapacity: true, autoScalingGroupName: group }),
    );

    expect(answer).toMatchObject({
      status: 403,
      body: {
        error: "the group is not one of this fleet's (it carries no elastic-ci:fleet tag with this fleet's id)",
        retryable: false,
      },
    });
    expect(port.actionCalls).toEqual([]);
  });

  it("trusts a fleet group's tag for the cache time only, and never caches a refusal", async () => {
    // Arrange
    let now = 1_000_000;
    const { port, send } = setUp({ now: () => now, groupCacheTtlMs: 60_000 });
    const protect = requestEvent({ action: 'set-instance-protection', protectedFromScaleIn: true });
    const lookups = () => port.calls.filter((call) => call.operation === 'groupTags').length;

    // Act / Assess: the first call looks the group up, the next within the TTL does not
    await send(protect);
    now += 59_999;
    await send(protect);
    expect(lookups()).toBe(1);

    // Act / Assess: after the TTL, it looks again, and an untagged group loses access
    now += 1;
    port.withGroup(GROUP, { Name: 'agents' });
    expect((await send(protect)).status).toBe(403);
    expect(lookups()).toBe(2);

    // Act / Assess: a refusal is not cached: tagging the group works at once
    port.withGroup(GROUP, { 'elastic-ci:fleet': FLEET_ID });
    expect((await send(protect)).status).toBe(200);
    expect(lookups()).toBe(3);
  });

  it('looks the group up on every request when the cache is off', async () => {
    const { port, send } = setUp({ groupCacheTtlMs: 0 });

    await send(requestEvent({ action: 'set-instance-unhealthy' }));
    await send(requestEvent({ action: 'set-instance-unhealthy' }));

    expect(port.calls.filter((call) => call.operation === 'groupTags')).toHaveLength(2);
  });

  it.each(['record-lifecycle-action-heartbeat', 'complete-lifecycle-action'])(
    '%s: answers 200 no-pending-action when the instance waits in no lifecycle action',
    async (action) => {
      const { port, send } = setUp();
      port.nextActionError = awsError(
        'ValidationError',
        `No active Lifecycle Action found with instance ID ${INSTANCE_ID}`,
      );

      const answer = await send(
        requestEvent({
          action,
          lifecycleHookName: 'drain',
          ...(action === 'complete-lifecycle-action' ? { lifecycleActionResult: 'CONTINUE' } : {}),
        }),
      );

      expect(answer).toMatchObject({ status: 200, body: { outcome: 'no-pending-action', instanceId: INSTANCE_ID } });
    },
  );

  it.each<[string, Error, boolean]>([
    ['Throttling', awsError('Throttling', 'Rate exceeded'), true],
    ['ScalingActivityInProgress', awsError('ScalingActivityInProgress', 'activity in progress'), true],
    ['ResourceContention', awsError('ResourceContention', 'pending update'), true],
    ['a 5xx', awsError('InternalFailure', 'oops', { httpStatusCode: 500, fault: 'server' }), true],
    ['an unnamed 503', awsError('UnknownError', 'unavailable', { httpStatusCode: 503, fault: 'server' }), true],
    ['a timeout', awsError('TimeoutError', 'socket timed out'), true],
    [
      'another ValidationError',
      awsError('ValidationError', 'The instance i-0123456789abcdef0 is not part of Auto Scaling group agents.'),
      false,
    ],
    ['AccessDenied', awsError('AccessDenied', 'not authorized', { httpStatusCode: 403 }), false],
  ])('answers 502 to %s with its name and retryability', async (name, error, retryable) => {
    const { port, send } = setUp();
    port.nextActionError = error;

    const answer = await send(requestEvent({ action: 'set-instance-protection', protectedFromScaleIn: true }));

    expect(answer).toMatchObject({
      status: 502,
      body: {
        retryable,
        awsErrorName: error.name,
        error: expect.stringContaining(`Auto Scaling refused SetInstanceProtection: ${error.name}`),
      },
    });
    expect(name).toBeTruthy();
  });

  it('does not answer no-pending-action to a call that is no lifecycle call', async () => {
    const { port, send } = setUp();
    port.nextActionError = awsError('ValidationError', 'No active Lifecycle Action found');

    const answer = await send(requestEvent({ action: 'set-instance-unhealthy' }));

    expect(answer).toMatchObject({ status: 502, body: { retryable: false, awsErrorName: 'ValidationError' } });
  });

  it('answers 502 when looking the group up fails, retryable as classified', async () => {
    const { port, send } = setUp();
    port.groupTagsError = awsError('Throttling', 'Rate exceeded');

    const answer = await send(requestEvent({ action: 'set-instance-unhealthy' }));

    expect(answer).toMatchObject({
      status: 502,
      body: {
        retryable: true,
        awsErrorName: 'Throttling',
        error: 'Auto Scaling refused DescribeAutoScalingGroups: Throttling: Rate exceeded',
      },
    });
    expect(port.actionCalls).toEqual([]);
  });

  it('answers 500 naming the variables to every request when the configuration is invalid', async () => {
    const { port, send, logger } = setUp({ config: loadConfig({ AWS_REGION: 'us-east-1' }) });

    const first = await send(requestEvent({ action: 'set-instance-unhealthy' }));
    const second = await send(requestEvent({ action: 'set-instance-unhealthy' }));

    for (const answer of [first, second]) {
      expect(answer.status).toBe(500);
      expect(answer.body.retryable).toBe(false);
      expect(answer.body.error).toMatch(/INSTANCE_ROLE_NAME is required.*FLEET_ID is required/);
    }
    expect(port.calls).toEqual([]);
    expect(logger.entries.map((entry) => entry.level)).toEqual(['error', 'error']);
  });

  it('logs one record per request: action, instance, group, outcome, duration', async () => {
    // Arrange
    let now = 5_000;
    const { port, send, logger } = setUp({
      now: () => {
        now += 7;
        return now;
      },
    });
    port.nextActionError = awsError('Throttling', 'Rate exceeded');

    // Act
    await send(requestEvent({ action: 'set-instance-protection', protectedFromScaleIn: true }));
    await send(
      requestEvent({
        action: 'complete-lifecycle-action',
        lifecycleHookName: 'drain',
        lifecycleActionResult: 'CONTINUE',
      }),
    );
    await send(functionUrlEvent({ body: 'x', userArn: null }));

    // Assess
    expect(logger.entries).toEqual([
      {
        level: 'error',
        message: 'instance broker request',
        attributes: {
          action: 'set-instance-protection',
          instanceId: INSTANCE_ID,
          autoScalingGroupName: GROUP,
          status: 502,
          outcome: 'refused',
          reason: 'Auto Scaling refused SetInstanceProtection: Throttling: Rate exceeded',
          retryable: true,
          awsErrorName: 'Throttling',
          durationMs: expect.any(Number),
        },
      },
      {
        level: 'info',
        message: 'instance broker request',
        attributes: {
          action: 'complete-lifecycle-action',
          instanceId: INSTANCE_ID,
          autoScalingGroupName: GROUP,
          status: 200,
          outcome: 'done',
          durationMs: expect.any(Number),
        },
      },
      {
        level: 'warn',
        message: 'instance broker request',
        attributes: {
          status: 403,
          outcome: 'refused',
          reason: 'the request carries no IAM identity (the function URL must use AuthType AWS_IAM)',
          retryable: false,
          durationMs: expect.any(Number),
        },
      },
    ]);
    expect(logger.entries.every((entry) => (entry.attributes.durationMs as number) > 0)).toBe(true);
  });

  it('never echoes the body or a header into a log record or an answer', async () => {
    // Arrange
    const { send, logger } = setUp();
    const headers = { authorization: `AWS4-HMAC-SHA256 Credential=${CANARY}`, 'x-amz-security-token': CANARY };
    const events = [
      requestEvent({ action: 'set-instance-unhealthy', [CANARY]: CANARY }, { headers }),
      requestEvent({ action: CANARY }, { headers }),
      requestEvent(
        { action: 'record-lifecycle-action-heartbeat', lifecycleHookName: 'drain', lifecycleActionToken: CANARY },
        { headers },
      ),
      functionUrlEvent({ body: `{"${CANARY}":`, headers }),
      requestEvent(
        { action: 'set-instance-unhealthy' },
        { headers, userArn: `arn:aws:sts::123456789012:assumed-role/${CANARY}/i-0123456789abcdef0` },
      ),
    ];

    // Act
    const answers = [];
    for (const event of events) answers.push(await send(event));

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400, 400, 403]);
    expect(JSON.stringify(answers)).not.toContain(CANARY);
    expect(logger.text).not.toContain(CANARY);
    expect(logger.entries).toHaveLength(events.length);
  });
});
