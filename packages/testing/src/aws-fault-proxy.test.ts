import { describe, expect, it } from 'vitest';
import { AwsFaultProxyError, parseAwsCall, startAwsFaultProxy } from './aws-fault-proxy';

const signed = (service: string) => ({
  authorization: `AWS4-HMAC-SHA256 Credential=testing/20261207/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=00`,
});

describe('parseAwsCall', () => {
  it('reads a JSON-protocol operation from X-Amz-Target and the service from the credential scope', () => {
    const call = parseAwsCall(
      'POST',
      '/',
      { ...signed('dynamodb'), 'x-amz-target': 'DynamoDB_20120810.PutItem' },
      '{}',
    );

    expect(call).toEqual({ service: 'dynamodb', action: 'PutItem', protocol: 'json' });
  });

  it('reads a query-protocol operation from the form body, EC2 as its own query dialect', () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };

    expect(
      parseAwsCall('POST', '/', { ...signed('autoscaling'), ...form }, 'Action=SetDesiredCapacity&Version=2011-01-01'),
    ).toEqual({
      service: 'autoscaling',
      action: 'SetDesiredCapacity',
      protocol: 'query',
    });
    expect(
      parseAwsCall('POST', '/', { ...signed('ec2'), ...form }, 'Version=2016-11-15&Action=DescribeInstances'),
    ).toEqual({
      service: 'ec2',
      action: 'DescribeInstances',
      protocol: 'ec2-query',
    });
  });

  it('reads RPC v2 CBOR operations from the path and names REST calls by method and path', () => {
    expect(
      parseAwsCall(
        'POST',
        '/service/GraniteServiceVersion20100801/operation/PutMetricData',
        {
          ...signed('monitoring'),
          'smithy-protocol': 'rpc-v2-cbor',
        },
        '',
      ),
    ).toEqual({ service: 'monitoring', action: 'PutMetricData', protocol: 'rpc-v2-cbor' });
    expect(parseAwsCall('GET', '/2015-03-31/functions?x=1', signed('lambda'), '')).toEqual({
      service: 'lambda',
      action: 'GET /2015-03-31/functions',
      protocol: 'rest-json',
    });
    expect(parseAwsCall('PUT', '/bucket', signed('s3'), '').protocol).toBe('rest-xml');
  });

  it('names an unsigned call unknown instead of failing', () => {
    expect(parseAwsCall('GET', '/', {}, '').service).toBe('unknown');
  });
});

describe('startAwsFaultProxy', () => {
  it('refuses a non-http target and rules without a usable budget, naming the value', async () => {
    await expect(startAwsFaultProxy({ target: 'https://127.0.0.1:1' })).rejects.toThrow(AwsFaultProxyError);
    const proxy = await startAwsFaultProxy({ target: 'http://127.0.0.1:1' });
    try {
      expect(() => proxy.inject({ fault: { kind: 'throttle' }, calls: 0 })).toThrow(
        /calls must be a positive integer, got 0/,
      );
      expect(() => proxy.inject({ fault: { kind: 'throttle' }, durationMs: -1 })).toThrow(
        /durationMs must be positive/,
      );
    } finally {
      await proxy.stop();
    }
  });

  it('answers 502 in the protocol shape when moto is not there', async () => {
    const proxy = await startAwsFaultProxy({ target: 'http://127.0.0.1:1' });
    try {
      const response = await fetch(proxy.endpoint, {
        method: 'POST',
        headers: {
          ...signed('ssm'),
          'x-amz-target': 'AmazonSSM.GetParameter',
          'content-type': 'application/x-amz-json-1.1',
        },
        body: '{}',
      });

      expect(response.status).toBe(502);
      expect(await response.json()).toMatchObject({ __type: 'BadGateway' });
      expect(proxy.calls()).toMatchObject([{ service: 'ssm', action: 'GetParameter', status: 502 }]);
    } finally {
      await proxy.stop();
    }
  });
});
