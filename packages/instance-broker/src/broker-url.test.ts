import { describe, expect, it } from 'vitest';
import { INSTANCE_BROKER_URL_MAX_LENGTH, isInstanceBrokerUrl } from './broker-url';

describe('Function: isInstanceBrokerUrl', () => {
  it.each([
    [`${INSTANCE_BROKER_URL_MAX_LENGTH} characters`, `https://broker.example.com/${'u'.repeat(101)}`],
    ['a function URL', 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/'],
    ['a local front on 127.0.0.1', 'http://127.0.0.1:8123/'],
    ['a local front on localhost', 'http://localhost:8123/'],
    ['a local front on ::1', 'http://[::1]:8123/'],
  ])('takes %s', (_what, url) => {
    expect(isInstanceBrokerUrl(url)).toBe(true);
  });

  it.each([
    ['plain http to another host', 'http://broker.example.com/'],
    ['credentials in the URL', 'https://user:password@broker.example.com/'],
    ['a query', 'https://broker.example.com/?x=1'],
    ['a fragment', 'https://broker.example.com/#x'],
    ['another scheme', 'ftp://broker.example.com/'],
    ['no URL', 'broker.example.com'],
    ['more than 128 characters', `https://broker.example.com/${'u'.repeat(102)}`],
  ])('refuses %s', (_what, url) => {
    expect(isInstanceBrokerUrl(url)).toBe(false);
  });
});
