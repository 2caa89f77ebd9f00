import { afterEach, describe, expect, it, vi } from 'vitest';
import type { InstanceMetadata } from '../aws/imds-client.js';

const loadedSdkClients: string[] = [];

afterEach(() => {
  vi.doUnmock('@aws-sdk/client-auto-scaling');
  vi.doUnmock('@aws-sdk/client-ec2');
  vi.resetModules();
  loadedSdkClients.length = 0;
});

/** Imports instance-control afresh, recording when each SDK client module is loaded. */
async function importRecordingSdkLoads() {
  vi.resetModules();
  vi.doMock('@aws-sdk/client-auto-scaling', async (importOriginal) => {
    loadedSdkClients.push('client-auto-scaling');
    return importOriginal();
  });
  vi.doMock('@aws-sdk/client-ec2', async (importOriginal) => {
    loadedSdkClients.push('client-ec2');
    return importOriginal();
  });
  return import('./instance-control.js');
}

const metadata: InstanceMetadata = {
  instanceId: async () => 'i-0aaaabbbbccccdddd',
  region: async () => 'eu-west-1',
  targetLifecycleState: async () => 'InService',
};

describe('the AWS SDK of the instance control', () => {
  it('is not loaded with the command: a job event that changes nothing in AWS never pays for it', async () => {
    const { awsInstanceControl } = await importRecordingSdkLoads();
    const control = awsInstanceControl({ env: {}, metadata, groupName: 'agents' });

    expect(loadedSdkClients).toEqual([]);
    expect(await control.identity()).toEqual({
      instanceId: 'i-0aaaabbbbccccdddd',
      region: 'eu-west-1',
      groupName: 'agents',
    });
  });

  it('is loaded by the first AWS call, once', async () => {
    const { awsInstanceControl } = await importRecordingSdkLoads();
    // No endpoint answers here: the call fails, but only after the clients were loaded and built.
    const control = awsInstanceControl({
      env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' },
      metadata,
      groupName: 'agents',
    });

    await expect(control.setProtection(true)).rejects.toThrow();
    await expect(control.setTag('elastic-ci:agent-state', 'running')).rejects.toThrow();
    expect(loadedSdkClients.sort()).toEqual(['client-auto-scaling', 'client-ec2']);
  });
});

describe('the instance control with an instance broker', () => {
  const brokerUrl = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/';

  async function brokeredControl() {
    const { awsInstanceControl } = await importRecordingSdkLoads();
    const { FakeInstanceBrokerClient } = await import('../test-support/fake-instance-broker-client.js');
    const broker = new FakeInstanceBrokerClient();
    const made: Array<{ url: string; region: string }> = [];
    const control = awsInstanceControl({
      env: {},
      metadata,
      groupName: 'agents',
      instanceBrokerUrl: brokerUrl,
      brokerClient: (options) => {
        made.push(options);
        return broker;
      },
    });
    return { control, broker, made };
  }

  it('asks the broker to set scale-in protection, naming the group only, and never loads the Auto Scaling SDK', async () => {
    // Prepare
    const { control, broker, made } = await brokeredControl();

    // Act
    await control.setProtection(true);
    await control.setProtection(false);

    // Assess
    expect(broker.calls).toEqual([
      { action: 'set-instance-protection', autoScalingGroupName: 'agents', protectedFromScaleIn: true },
      { action: 'set-instance-protection', autoScalingGroupName: 'agents', protectedFromScaleIn: false },
    ]);
    expect(made).toEqual([{ url: brokerUrl, region: 'eu-west-1' }]);
    expect(loadedSdkClients).toEqual([]);
  });

  it('asks the broker to terminate the instance, keeping the decrement', async () => {
    // Prepare
    const { control, broker } = await brokeredControl();

    // Act
    await control.terminate({ decrementDesiredCapacity: true });
    await control.terminate({ decrementDesiredCapacity: false });

    // Assess
    expect(broker.calls).toEqual([
      { action: 'terminate-instance', autoScalingGroupName: 'agents', decrementDesiredCapacity: true },
      { action: 'terminate-instance', autoScalingGroupName: 'agents', decrementDesiredCapacity: false },
    ]);
    expect(loadedSdkClients).toEqual([]);
  });

  it('asks the broker to mark the instance unhealthy', async () => {
    // Prepare
    const { control, broker } = await brokeredControl();

    // Act
    await control.setUnhealthy();

    // Assess
    expect(broker.calls).toEqual([{ action: 'set-instance-unhealthy', autoScalingGroupName: 'agents' }]);
    expect(loadedSdkClients).toEqual([]);
  });

  it("passes the broker's failure on unchanged, for the caller's retry to classify", async () => {
    // Prepare
    const { InstanceBrokerError } = await import('@elastic-ci/instance-broker/client');
    const { control, broker } = await brokeredControl();
    const failure = new InstanceBrokerError('Auto Scaling throttled the call', 502, true, 'Throttling');
    broker.answers.push(failure);

    // Act
    const outcome = control.setProtection(true);

    // Assess
    await expect(outcome).rejects.toBe(failure);
  });

  it('still tags the instance directly (EC2 tags are not Auto Scaling writes)', async () => {
    // Prepare
    const { control, broker } = await brokeredControl();

    // Act: no endpoint answers here, the call fails after the client was loaded
    await expect(control.setTag('elastic-ci:agent-state', 'running')).rejects.toThrow();

    // Assess
    expect(loadedSdkClients).toEqual(['client-ec2']);
    expect(broker.calls).toEqual([]);
  });
});

describe('the instance broker client of the job hooks', () => {
  afterEach(() => {
    vi.doUnmock('@elastic-ci/instance-broker/client');
  });

  it('is loaded by the first broker call, not with the command, and once', async () => {
    // Prepare: the real lazy factory, its module replaced by one that records being loaded
    const loads: string[] = [];
    const made: Array<{ url: string; region: string }> = [];
    vi.resetModules();
    vi.doMock('@elastic-ci/instance-broker/client', () => {
      loads.push('@elastic-ci/instance-broker/client');
      return {
        createInstanceBrokerClient: (options: { url: string; region: string }) => {
          made.push(options);
          return { call: async () => ({ outcome: 'done', instanceId: 'i-0aaaabbbbccccdddd' }) };
        },
      };
    });
    const { awsInstanceControl } = await import('./instance-control.js');
    const url = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/';
    const control = awsInstanceControl({ env: {}, metadata, groupName: 'agents', instanceBrokerUrl: url });

    // Act / Assess: nothing loaded before a broker call
    await control.identity();
    expect(loads).toEqual([]);

    // Act / Assess: two calls, one load, one client
    await control.setProtection(true);
    await control.setProtection(false);
    expect(loads).toEqual(['@elastic-ci/instance-broker/client']);
    expect(made).toEqual([{ url, region: 'eu-west-1' }]);
  });
});
