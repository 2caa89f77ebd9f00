import { RecordingLogger } from '@elastic-ci/custom-resource/testing';
import { afterEach, describe, expect, it } from 'vitest';
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
});
