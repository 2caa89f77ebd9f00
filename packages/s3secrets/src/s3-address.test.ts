import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeKey, encodeQuery, encodeRfc3986, isVirtualHostable, s3Address, sdkOnlySetting } from './s3-address';

describe('Function: s3Address', () => {
  it('puts a DNS-safe bucket in the host name of the regional endpoint, as the SDK does', () => {
    // Act
    const address = s3Address('ci-secrets', 'eu-west-1', undefined, 'web/env');

    // Assess
    expect(address).toEqual({
      protocol: 'https:',
      hostname: 'ci-secrets.s3.eu-west-1.amazonaws.com',
      port: undefined,
      host: 'ci-secrets.s3.eu-west-1.amazonaws.com',
      path: '/web/env',
    });
    expect(s3Address('ci-secrets', 'eu-west-1', undefined).path).toBe('/');
  });

  it('puts a dotted bucket in the path (a dotted host name would not match S3 certificates)', () => {
    // Act
    const address = s3Address('secrets.example.com', 'us-east-1', undefined, 'env');

    // Assess
    expect(address.hostname).toBe('s3.us-east-1.amazonaws.com');
    expect(address.path).toBe('/secrets.example.com/env');
  });

  it('uses the China partition domain for cn- regions and refuses partitions it has no endpoint for', () => {
    // Act / Assess
    expect(s3Address('ci-secrets', 'cn-north-1', undefined).hostname).toBe('ci-secrets.s3.cn-north-1.amazonaws.com.cn');
    expect(() => s3Address('ci-secrets', 'us-iso-east-1', undefined)).toThrow(/no built-in S3 endpoint/);
  });

  it('addresses an endpoint override path-style, keeping its port and base path', () => {
    // Act
    const address = s3Address('ci-secrets', 'us-east-1', 'http://127.0.0.1:9000/minio/', 'web/private_ssh_key');

    // Assess
    expect(address).toEqual({
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 9000,
      host: '127.0.0.1:9000',
      path: '/minio/ci-secrets/web/private_ssh_key',
    });
    expect(s3Address('b1', 'us-east-1', 'https://[::1]:4566').hostname).toBe('::1');
  });
});

describe('Function: encodeKey', () => {
  it('percent-encodes every segment once and keeps the slashes', () => {
    // Act / Assess
    expect(encodeKey("web/secret-files/My Key+(1)*!'~_.-")).toBe('web/secret-files/My%20Key%2B%281%29%2A%21%27~_.-');
    expect(encodeKey('ünïcode/ключ')).toBe('%C3%BCn%C3%AFcode/%D0%BA%D0%BB%D1%8E%D1%87');
  });

  it('decodes back to the key for any key (property)', () => {
    // Act / Assess
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (key) => {
        const encoded = encodeKey(key);
        expect(encoded).toMatch(/^[A-Za-z0-9\-._~%/]*$/);
        expect(encoded.split('/').map(decodeURIComponent).join('/')).toBe(key);
      }),
    );
  });
});

describe('Function: encodeQuery', () => {
  it('sorts parameters and encodes them the way SigV4 canonicalises them', () => {
    // Act / Assess
    expect(encodeQuery({ prefix: 'web/secret files/', 'list-type': '2', 'continuation-token': 'a+b=' })).toBe(
      'continuation-token=a%2Bb%3D&list-type=2&prefix=web%2Fsecret%20files%2F',
    );
    expect(encodeRfc3986("!'()*")).toBe('%21%27%28%29%2A');
  });
});

describe('Function: isVirtualHostable', () => {
  it('accepts lower-case DNS labels only', () => {
    // Act / Assess
    expect(isVirtualHostable('ci-secrets-123')).toBe(true);
    expect(isVirtualHostable('Secrets')).toBe(false);
    expect(isVirtualHostable('a.b.c')).toBe(false);
    expect(isVirtualHostable('ab')).toBe(false);
    expect(isVirtualHostable('-secrets')).toBe(false);
  });
});

describe('Function: sdkOnlySetting', () => {
  const base = { environment: {}, region: 'eu-west-1', endpoint: undefined, sharedConfig: undefined };

  it('leaves the common configuration to the direct requests', () => {
    // Act / Assess
    expect(sdkOnlySetting(base)).toBeUndefined();
    expect(sdkOnlySetting({ ...base, sharedConfig: '[default]\nregion = eu-west-1\nretry_mode = adaptive\n' })).toBe(
      undefined,
    );
    expect(sdkOnlySetting({ ...base, region: 'us-iso-east-1', endpoint: 'http://127.0.0.1:9000' })).toBeUndefined();
  });

  it('names the setting that needs the SDK endpoint rules', () => {
    // Act / Assess
    expect(sdkOnlySetting({ ...base, environment: { AWS_USE_FIPS_ENDPOINT: 'true' } })).toBe(
      'AWS_USE_FIPS_ENDPOINT is set',
    );
    expect(sdkOnlySetting({ ...base, environment: { AWS_USE_DUALSTACK_ENDPOINT: 'TRUE' } })).toBe(
      'AWS_USE_DUALSTACK_ENDPOINT is set',
    );
    expect(sdkOnlySetting({ ...base, environment: { AWS_USE_FIPS_ENDPOINT: 'false' } })).toBeUndefined();
    expect(sdkOnlySetting({ ...base, region: 'us-isob-east-1' })).toBe(
      'region us-isob-east-1 is in a partition without a built-in endpoint',
    );
    expect(sdkOnlySetting({ ...base, sharedConfig: '[profile ci]\nuse_fips_endpoint = true\n' })).toBe(
      'the AWS shared config file sets use_fips_endpoint',
    );
    expect(sdkOnlySetting({ ...base, sharedConfig: '[default]\ns3 =\n  addressing_style = path\n' })).toBe(
      'the AWS shared config file sets s3',
    );
    expect(sdkOnlySetting({ ...base, sharedConfig: '[services ci]\ns3 =\n  endpoint_url = http://x\n' })).toBe(
      'the AWS shared config file sets s3',
    );
  });
});
