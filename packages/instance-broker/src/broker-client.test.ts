import { RecordingLogger } from '@elastic-ci/custom-resource/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createInstanceBrokerClient, InstanceBrokerError } from './broker-client';
import { loadConfig } from './config';
import { createBrokerHandler } from './handler';
import { type LocalFunctionUrl, startLocalFunctionUrl } from './local-function-url';
import { awsError, FakeAutoScalingPort } from './test-support/fake-auto-scaling-port';
import { FLEET_ID, INSTANCE_ID, INSTANCE_ROLE_NAME, instanceUserArn } from './test-support/function-url-events';

// Canary secrets: if any of them shows up in an answer, an error or a log line, a test fails.
const CANARY_SECRET = 'CANARYsecretKEY/do-not-log+0000000000000000';
const CANARY_TOKEN = 'CANARYsessionTOKEN//do-not-log==';
const INSTANCE_CREDENTIALS = {
  accessKeyId: 'ASIAINSTANCE0000001',
  secretAccessKey: CANARY_SECRET,
  sessionToken: CANARY_TOKEN,
};
const GROUP = 'agents';

let front: LocalFunctionUrl | undefined;
afterEach(async () => {
  await front?.close();
  front = undefined;
});

async function brokerBehindFront(port = new FakeAutoScalingPort().withGroup(GROUP, { 'elastic-ci:fleet': FLEET_ID })) {
  const logger = new RecordingLogger();
  const handler = createBrokerHandler({
    config: loadConfig({ AWS_REGION: 'us-east-1', INSTANCE_ROLE_NAME, FLEET_ID }),
    autoScaling: port,
    logger,
  });
  front = await startLocalFunctionUrl({
    handler,
    callers: {
      [INSTANCE_CREDENTIALS.accessKeyId]: {
        secretAccessKey: CANARY_SECRET,
        sessionToken: CANARY_TOKEN,
        userArn: instanceUserArn(),
      },
    },
  });
  return { port, logger, url: front.url };
}

describe('Function: createInstanceBrokerClient', () => {
  it('signs a call the function URL accepts, and the broker acts for the signing instance', async () => {
    // Arrange
    const { port, url } = await brokerBehindFront();
    const client = createInstanceBrokerClient({
      url,
      region: 'us-east-1',
      credentials: async () => INSTANCE_CREDENTIALS,
    });

    // Act
    const answer = await client.call({
      action: 'set-instance-protection',
      autoScalingGroupName: GROUP,
      protectedFromScaleIn: true,
    });

    // Assess
    expect(answer).toEqual({ outcome: 'done', instanceId: INSTANCE_ID });
    expect(port.actionCalls).toEqual([
      {
        operation: 'setInstanceProtection',
        autoScalingGroupName: GROUP,
        instanceId: INSTANCE_ID,
        protectedFromScaleIn: true,
      },
    ]);
  });

  it('is refused 403 (not retryable) when it signs with a wrong secret key', async () => {
    // Arrange
    const { port, url } = await brokerBehindFront();
    const client = createInstanceBrokerClient({
      url,
      region: 'us-east-1',
      credentials: async () => ({ ...INSTANCE_CREDENTIALS, secretAccessKey: 'wrong' }),
    });

    // Act
    const error = await client.call({ action: 'set-instance-unhealthy', autoScalingGroupName: GROUP }).catch((e) => e);

    // Assess
    expect(error).toBeInstanceOf(InstanceBrokerError);
    expect(error).toMatchObject({ status: 403, retryable: false, name: 'InstanceBrokerError' });
    expect(port.actionCalls).toEqual([]);
  });

  it('passes Auto Scaling failures on with their name and retryability, and no secret anywhere', async () => {
    // Arrange
    const port = new FakeAutoScalingPort().withGroup(GROUP, { 'elastic-ci:fleet': FLEET_ID });
    port.nextActionError = awsError('Throttling', 'Rate exceeded');
    const { logger, url } = await brokerBehindFront(port);
    const client = createInstanceBrokerClient({
      url,
      region: 'us-east-1',
      credentials: async () => INSTANCE_CREDENTIALS,
    });

    // Act
    const error = await client
      .call({ action: 'terminate-instance', autoScalingGroupName: GROUP, decrementDesiredCapacity: false })
      .catch((e) => e);

    // Assess
    expect(error).toBeInstanceOf(InstanceBrokerError);
    expect(error).toMatchObject({ status: 502, retryable: true, name: 'Throttling' });
    for (const text of [logger.text, String(error.message), JSON.stringify(error)]) {
      expect(text).not.toContain(CANARY_SECRET);
      expect(text).not.toContain(CANARY_TOKEN);
    }
  });

  it('POSTs the request with the protocol version, as JSON', async () => {
    // Arrange
    const sent: { method?: string; body?: string; headers: Headers }[] = [];
    const client = createInstanceBrokerClient({
      url: 'https://abcdefghij.lambda-url.us-east-1.on.aws/',
      region: 'us-east-1',
      credentials: async () => INSTANCE_CREDENTIALS,
      fetch: async (_url, init) => {
        sent.push({ method: init?.method ?? '', body: String(init?.body), headers: new Headers(init?.headers) });
        return Response.json({ outcome: 'no-pending-action', instanceId: INSTANCE_ID });
      },
    });

    // Act
    const answer = await client.call({
      action: 'complete-lifecycle-action',
      autoScalingGroupName: GROUP,
      lifecycleHookName: 'drain',
      lifecycleActionResult: 'CONTINUE',
    });

    // Assess
    expect(answer).toEqual({ outcome: 'no-pending-action', instanceId: INSTANCE_ID });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.method).toBe('POST');
    expect(JSON.parse(sent[0]?.body ?? '')).toEqual({
      version: 1,
      action: 'complete-lifecycle-action',
      autoScalingGroupName: GROUP,
      lifecycleHookName: 'drain',
      lifecycleActionResult: 'CONTINUE',
    });
    expect(sent[0]?.headers.get('authorization')).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ASIAINSTANCE0000001\/\d{8}\/us-east-1\/lambda\/aws4_request, /,
    );
    expect(sent[0]?.headers.get('x-amz-security-token')).toBe(CANARY_TOKEN);
  });

  it.each<[string, () => Response, { status: number; retryable: boolean; name: string }]>([
    [
      "Lambda's own throttling answer",
      () => Response.json({ Message: 'Rate Exceeded.' }, { status: 429 }),
      { status: 429, retryable: true, name: 'InstanceBrokerError' },
    ],
    [
      'an HTML 503 from something in between',
      () => new Response('<html>busy</html>', { status: 503 }),
      { status: 503, retryable: true, name: 'InstanceBrokerError' },
    ],
    [
      "Lambda's 502 for a crashed function",
      () => Response.json({ Message: 'Internal Server Error' }, { status: 502 }),
      { status: 502, retryable: true, name: 'InstanceBrokerError' },
    ],
    [
      'an unexplained 404',
      () => new Response('not here', { status: 404 }),
      { status: 404, retryable: false, name: 'InstanceBrokerError' },
    ],
    [
      'a 200 that is no broker answer',
      () => Response.json({ outcome: 'maybe' }),
      { status: 200, retryable: false, name: 'InstanceBrokerError' },
    ],
    [
      'a 200 that is not JSON',
      () => new Response('OK'),
      { status: 200, retryable: false, name: 'InstanceBrokerError' },
    ],
    [
      'a 204',
      () => new Response(null, { status: 204 }),
      { status: 204, retryable: false, name: 'InstanceBrokerError' },
    ],
    [
      "the broker's failure naming Auto Scaling's error",
      () =>
        Response.json(
          { error: 'Auto Scaling refused X', retryable: true, awsErrorName: 'ScalingActivityInProgress' },
          { status: 502 },
        ),
      { status: 502, retryable: true, name: 'ScalingActivityInProgress' },
    ],
    [
      "the broker's non-retryable 502 (its verdict wins over the status)",
      () =>
        Response.json(
          { error: 'Auto Scaling refused X', retryable: false, awsErrorName: 'ValidationError' },
          { status: 502 },
        ),
      { status: 502, retryable: false, name: 'ValidationError' },
    ],
    [
      "the broker's 403",
      () => Response.json({ error: 'no', retryable: false }, { status: 403 }),
      { status: 403, retryable: false, name: 'InstanceBrokerError' },
    ],
  ])('rejects with an InstanceBrokerError for %s', async (_, answer, expected) => {
    const client = createInstanceBrokerClient({
      url: 'https://abcdefghij.lambda-url.us-east-1.on.aws/',
      region: 'us-east-1',
      credentials: async () => INSTANCE_CREDENTIALS,
      fetch: async () => answer(),
    });

    const error = await client.call({ action: 'set-instance-unhealthy', autoScalingGroupName: GROUP }).catch((e) => e);

    expect(error).toBeInstanceOf(InstanceBrokerError);
    expect(error).toMatchObject(expected);
    expect(error.message).not.toContain(CANARY_SECRET);
  });

  it('stops waiting when the signal aborts, and makes no request with a signal aborted before', async () => {
    // Arrange: a broker that never answers until the test is over
    let invoked!: () => void;
    const handlerInvoked = new Promise<void>((resolve) => {
      invoked = resolve;
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    front = await startLocalFunctionUrl({
      handler: async () => {
        invoked();
        await released;
        return { statusCode: 200, body: JSON.stringify({ outcome: 'done', instanceId: INSTANCE_ID }) };
      },
      callers: {
        [INSTANCE_CREDENTIALS.accessKeyId]: {
          secretAccessKey: CANARY_SECRET,
          sessionToken: CANARY_TOKEN,
          userArn: instanceUserArn(),
        },
      },
    });
    const fetchSpy = vi.fn(fetch);
    const client = createInstanceBrokerClient({
      url: front.url,
      region: 'us-east-1',
      credentials: async () => INSTANCE_CREDENTIALS,
      fetch: fetchSpy,
    });
    const request = { action: 'set-instance-unhealthy', autoScalingGroupName: GROUP } as const;

    // Act: abort while the broker holds the request
    const controller = new AbortController();
    const pending = client.call(request, { signal: controller.signal }).catch((e) => e);
    await handlerInvoked;
    controller.abort();
    const aborted = await pending;
    release();

    // Act: a signal aborted before the call
    const early = await client.call(request, { signal: AbortSignal.abort() }).catch((e) => e);

    // Assess
    expect(aborted).toMatchObject({ name: 'AbortError' });
    expect(early).toMatchObject({ name: 'AbortError' });
    expect(fetchSpy).toHaveBeenCalledTimes(1);
  });

  it('asks for credentials on each call only, never when created', async () => {
    // Arrange
    const credentials = vi.fn(async () => INSTANCE_CREDENTIALS);
    const client = createInstanceBrokerClient({
      url: 'https://abcdefghij.lambda-url.us-east-1.on.aws/',
      region: 'us-east-1',
      credentials,
      fetch: async () => Response.json({ outcome: 'done', instanceId: INSTANCE_ID }),
    });
    const before = credentials.mock.calls.length;

    // Act
    await client.call({ action: 'set-instance-unhealthy', autoScalingGroupName: GROUP });
    await client.call({ action: 'set-instance-unhealthy', autoScalingGroupName: GROUP });

    // Assess
    expect(before).toBe(0);
    expect(credentials).toHaveBeenCalledTimes(2);
  });

  it("loads the SDK's default provider chain on the first call when no credentials are given", async () => {
    // Arrange: the chain's first provider reads the environment
    vi.stubEnv('AWS_ACCESS_KEY_ID', INSTANCE_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', CANARY_SECRET);
    vi.stubEnv('AWS_SESSION_TOKEN', CANARY_TOKEN);
    vi.stubEnv('AWS_PROFILE', '');
    try {
      const { port, url } = await brokerBehindFront();
      const client = createInstanceBrokerClient({ url, region: 'us-east-1' });

      // Act
      const answer = await client.call({
        action: 'set-instance-protection',
        autoScalingGroupName: GROUP,
        protectedFromScaleIn: false,
      });

      // Assess
      expect(answer).toEqual({ outcome: 'done', instanceId: INSTANCE_ID });
      expect(port.actionCalls).toHaveLength(1);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
