import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningImdsStandIn, startImdsStandIn } from '@elastic-ci/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { renderStackEnv } from '../boot/env-files.js';
import { parseBootContract } from '../boot-contract.js';
import { FakeInstanceBrokerClient } from '../test-support/fake-instance-broker-client.js';
import { maximalBootContract } from '../test-support/maximal-boot-contract.js';
import { bootInstanceId, instanceControlFor } from './instance-runtime.js';

const contract = parseBootContract(JSON.stringify(maximalBootContract));
const BOOT_INSTANCE_ID = 'i-0bbbbccccddddeeee';
let imds: RunningImdsStandIn | undefined;

afterEach(async () => {
  await imds?.close();
  imds = undefined;
});

async function scratchRoot(stackEnv?: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'instance-runtime-'));
  if (stackEnv !== undefined) {
    await mkdir(join(root, 'etc', 'elastic-ci'), { recursive: true });
    await writeFile(join(root, 'etc', 'elastic-ci', 'agent.env'), stackEnv);
  }
  return root;
}

describe('the instance identity of the job hooks', () => {
  it('comes from what the boot recorded, without a single instance metadata request', async () => {
    imds = await startImdsStandIn({ instanceId: 'i-0aaaabbbbccccdddd', region: 'eu-west-1' });
    // The file exactly as the boot writes it.
    const root = await scratchRoot(renderStackEnv(contract, BOOT_INSTANCE_ID));
    const control = await instanceControlFor({
      root,
      env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint },
      contract,
    });

    expect(await control.identity()).toEqual({
      instanceId: BOOT_INSTANCE_ID,
      region: contract.stack.region,
      groupName: contract.stack.autoScalingGroupName,
    });
    expect(imds.requests).toEqual([]);
  });

  it('asks instance metadata when the boot left no record (or no contract)', async () => {
    imds = await startImdsStandIn({ instanceId: 'i-0aaaabbbbccccdddd', region: 'eu-west-1' });
    const control = await instanceControlFor({
      root: await scratchRoot(),
      env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint },
      contract: { ...contract, stack: { ...contract.stack, region: undefined as unknown as string } },
    });

    expect(await control.identity()).toMatchObject({ instanceId: 'i-0aaaabbbbccccdddd', region: 'eu-west-1' });
    expect(imds.requests.map((request) => request.path)).toEqual(
      expect.arrayContaining(['/latest/meta-data/instance-id', '/latest/meta-data/placement/region']),
    );
  });

  it.each([
    ['no such line', 'BUILDKITE_STACK_NAME="ci"\n'],
    ['not an instance id', 'ELASTIC_CI_INSTANCE_ID="$(reboot)"\n'],
    ['an empty value', 'ELASTIC_CI_INSTANCE_ID=""\n'],
  ])('is not taken from a record with %s', async (_case, text) => {
    expect(await bootInstanceId(await scratchRoot(text))).toBeUndefined();
  });
});

describe('the instance broker of the job hooks', () => {
  it("is the boot contract's lifecycle.instanceBrokerUrl, like the group and the region", async () => {
    // Prepare
    imds = await startImdsStandIn({ instanceId: 'i-0aaaabbbbccccdddd', region: 'eu-west-1' });
    const root = await scratchRoot(renderStackEnv(contract, BOOT_INSTANCE_ID));
    const broker = new FakeInstanceBrokerClient(BOOT_INSTANCE_ID);
    const made: Array<{ url: string; region: string }> = [];
    const control = await instanceControlFor({
      root,
      env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint },
      contract,
      brokerClient: (options) => {
        made.push(options);
        return broker;
      },
    });

    // Act
    await control.setProtection(true);

    // Assess
    expect(contract.lifecycle.instanceBrokerUrl).toBeDefined();
    expect(made).toEqual([{ url: contract.lifecycle.instanceBrokerUrl, region: contract.stack.region }]);
    expect(broker.calls).toEqual([
      {
        action: 'set-instance-protection',
        autoScalingGroupName: contract.stack.autoScalingGroupName,
        protectedFromScaleIn: true,
      },
    ]);
    expect(imds.requests).toEqual([]);
  });
});
