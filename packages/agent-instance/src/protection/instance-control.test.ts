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
