// The world builder against moto: the synthesized template's fleet resources exist in moto with the template's own
// settings, and the functions carry the template's environment with every reference resolved.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeLifecycleHooksCommand,
  DescribeWarmPoolCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { awsClientConfig } from '@elastic-ci/testing';
import { describe, expect, it } from 'vitest';
import { buildWorld } from './build-world';

const target = () => {
  const config = awsClientConfig();
  return { endpoint: config.endpoint, region: config.region, credentials: config.credentials };
};

describe('buildWorld', () => {
  it('creates the group, hook, warm pool, state parameter and lease table from the template, durations scaled', async () => {
    const workDir = await mkdtemp(join(tmpdir(), 'sandbox-world-'));
    const world = await buildWorld({
      aws: target(),
      workDir,
      timeScale: 10,
      agentToken: 'canary-agent-token-world',
      webhookSecret: 'canary-webhook-secret-world',
      world: {
        stackName: 'world-test',
        config: {
          buildkite: { queue: 'world-queue', idleTimeoutSec: 600 },
          scaling: { minSize: 0, maxSize: 4, warmPool: { enabled: true, minSize: 1 }, scaleOutCooldownSec: 300 },
          instances: { terminationGracePeriodSec: 3600 },
        },
      },
    });
    const autoScaling = new AutoScalingClient(awsClientConfig());

    const group = (
      await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [world.groupName] }))
    ).AutoScalingGroups?.[0];
    expect(group).toMatchObject({ MinSize: 0, MaxSize: 4, NewInstancesProtectedFromScaleIn: true });
    expect(world.groupName).toMatch(/^world-test-/);

    // 3600 world seconds at time scale 10.
    const hooks = await autoScaling.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: world.groupName }));
    const inMoto = hooks.LifecycleHooks?.map((hook) => [hook.LifecycleTransition, hook.HeartbeatTimeout]);
    expect(inMoto).toContainEqual(['autoscaling:EC2_INSTANCE_TERMINATING', 360]);
    // Every hook of the template (a warm pool adds a launching one), no other.
    expect(inMoto).toHaveLength(world.lifecycleHooks.length);
    const pool = await autoScaling.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: world.groupName }));
    expect(pool.WarmPoolConfiguration?.MinSize).toBe(1);

    const scheduled = world.functions.scheduled.resolvedEnvironment;
    expect(scheduled).toMatchObject({
      BUILDKITE_QUEUE: 'world-queue',
      ASG_NAME: world.groupName,
      SCALE_OUT_COOLDOWN_PERIOD: '30s',
    });
    const ssm = new SSMClient(awsClientConfig());
    const state = await ssm.send(new GetParameterCommand({ Name: scheduled.SCALER_STATE_PARAMETER }));
    expect(state.Parameter?.Value).toBe('{}');
    const token = await ssm.send(
      new GetParameterCommand({ Name: scheduled.BUILDKITE_AGENT_TOKEN_SSM_KEY, WithDecryption: true }),
    );
    expect(token.Parameter?.Value).toBe('canary-agent-token-world');
    const table = await new DynamoDBClient(awsClientConfig()).send(
      new DescribeTableCommand({ TableName: scheduled.SCALER_LOCK_TABLE }),
    );
    expect(table.Table?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);

    expect(world.functions.webhook?.resolvedEnvironment.WEBHOOK_SECRET_SSM_KEY).toBe(
      world.parameterNames.webhookSecret,
    );
    expect(world.functions.stopAgents?.bundlePath).toMatch(/lambda\.mjs$/);
    expect(world.scheduleRateSec).toBe(60);
    expect(world.bootContract).toMatchObject({ agent: { idleDisconnectTimeoutSeconds: 60, queue: 'world-queue' } });
    expect(world.notCreated.map((resource) => resource.type)).toContain('Custom::StopAgents');

    const replacement = await world.createReplacementGroup();
    const replaced = (
      await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [replacement] }))
    ).AutoScalingGroups?.[0];
    expect(replacement).not.toBe(world.groupName);
    expect(replaced).toMatchObject({ MinSize: 0, MaxSize: 4 });
  }, 120_000);

  it("hands the hosts the sandbox's instance broker URL through the boot contract, and runs the broker with the template's environment", async () => {
    const workDir = await mkdtemp(join(tmpdir(), 'sandbox-world-'));
    const brokerUrl = 'http://127.0.0.1:45678/';

    const world = await buildWorld({
      aws: target(),
      workDir,
      timeScale: 10,
      agentToken: 'canary-agent-token-broker',
      webhookSecret: 'canary-webhook-secret-broker',
      instanceBrokerUrl: brokerUrl,
      world: { stackName: 'world-broker', config: { scaling: { minSize: 0, maxSize: 2 } } },
    });

    expect(world.bootContract).toMatchObject({ lifecycle: { instanceBrokerUrl: brokerUrl } });
    const broker = world.functions.instanceBroker;
    expect(broker?.bundlePath).toMatch(/lambda\.mjs$/);
    // The role name the broker admits is the instance role's, as the launch template's instance profile names it.
    expect(broker?.resolvedEnvironment.INSTANCE_ROLE_NAME).toMatch(/^world-broker-/);
    expect(broker?.resolvedEnvironment.FLEET_ID).toEqual(expect.any(String));
    expect(world.notCreated.map((resource) => resource.type)).toContain('AWS::Lambda::Url');
  }, 120_000);
});
