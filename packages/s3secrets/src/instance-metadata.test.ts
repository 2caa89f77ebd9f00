import { startImdsStandIn } from '@elastic-ci/testing';
import { describe, expect, it } from 'vitest';
import { InstanceMetadataClient, instanceRegion, metadataEndpoint } from './instance-metadata';

describe('Function: metadataEndpoint', () => {
  it('honours the endpoint and endpoint-mode variables the AWS SDKs read', () => {
    // Act / Assess
    expect(metadataEndpoint({}).href).toBe('http://169.254.169.254/');
    expect(metadataEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' }).href).toBe('http://[fd00:ec2::254]/');
    expect(metadataEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:8111' }).href).toBe(
      'http://127.0.0.1:8111/',
    );
  });
});

describe('Function: instanceRegion', () => {
  it('reads placement/region with one IMDSv2 token for every read', async () => {
    // Prepare
    const imds = await startImdsStandIn({ region: 'eu-north-1' });
    const client = new InstanceMetadataClient(new URL(imds.endpoint));

    try {
      // Act
      const regions = [await instanceRegion(client), await instanceRegion(client)];

      // Assess
      expect(regions).toEqual(['eu-north-1', 'eu-north-1']);
      expect(imds.requests.filter((request) => request.method === 'PUT')).toHaveLength(1);
      expect(imds.requests.every((request) => request.method === 'PUT' || request.hadToken)).toBe(true);
    } finally {
      await imds.close();
    }
  });

  it('ignores an answer that is not a region', async () => {
    // Prepare
    const imds = await startImdsStandIn();
    imds.setMetadata('placement/region', '<html>');

    try {
      // Act / Assess
      expect(await instanceRegion(new InstanceMetadataClient(new URL(imds.endpoint)))).toBeUndefined();
    } finally {
      await imds.close();
    }
  });
});
