import { describe, expect, it } from 'vitest';
import { DOCKER_HUB_AUTH_KEY, ecrRegistryHost, isValidRegistryServer, registryAddress } from './registry-hosts';

describe('Function: ecrRegistryHost', () => {
  it('builds the registry host, with .com.cn in China regions', () => {
    expect(ecrRegistryHost('321321321321', 'ap-southeast-2')).toBe('321321321321.dkr.ecr.ap-southeast-2.amazonaws.com');
    expect(ecrRegistryHost('321321321321', 'cn-north-1')).toBe('321321321321.dkr.ecr.cn-north-1.amazonaws.com.cn');
  });
});

describe('Function: registryAddress', () => {
  it('maps an empty server and every Docker Hub alias to Docker’s Hub key', () => {
    for (const server of ['', 'docker.io', 'index.docker.io', 'https://registry-1.docker.io/v2/']) {
      expect(registryAddress(server)).toEqual({
        authKey: DOCKER_HUB_AUTH_KEY,
        apiBaseUrl: 'https://registry-1.docker.io',
        displayName: 'Docker Hub',
      });
    }
  });

  it('keys other registries by host:port and keeps an explicit http scheme for the API only', () => {
    expect(registryAddress('Registry.Example.com:5000')).toEqual({
      authKey: 'registry.example.com:5000',
      apiBaseUrl: 'https://registry.example.com:5000',
      displayName: 'registry.example.com:5000',
    });
    expect(registryAddress('http://127.0.0.1:5001/some/path')).toEqual({
      authKey: '127.0.0.1:5001',
      apiBaseUrl: 'http://127.0.0.1:5001',
      displayName: '127.0.0.1:5001',
    });
  });
});

describe('Function: isValidRegistryServer', () => {
  it('accepts hosts, ports, schemes and IPv6 literals; rejects spaces and junk', () => {
    expect(['', 'ghcr.io', 'localhost:5000', 'https://quay.io', '[::1]:5000'].every(isValidRegistryServer)).toBe(true);
    expect(['two words', 'http://', '-bad.example', 'a:b:c'].some(isValidRegistryServer)).toBe(false);
  });
});
