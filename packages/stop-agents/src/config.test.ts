import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';
import { ConfigurationError } from './errors';

describe('Function: loadConfig', () => {
  it('applies the defaults', () => {
    expect(loadConfig({ AWS_REGION: 'us-east-1' })).toEqual({
      ok: true,
      config: {
        region: 'us-east-1',
        drainTimeoutMs: 3_000_000,
        pollIntervalMs: 15_000,
        platform: 'linux',
        agentServiceName: 'buildkite-agent',
        onDrainTimeout: 'fail',
        answerMarginMs: 15_000,
      },
    });
  });

  it('reads every variable', () => {
    const result = loadConfig({
      AWS_REGION: 'ap-southeast-2',
      DRAIN_TIMEOUT_SECONDS: '600',
      POLL_INTERVAL_SECONDS: '30',
      AGENT_PLATFORM: 'windows',
      AGENT_SERVICE_NAME: 'buildkite-agent@1.service',
      ON_DRAIN_TIMEOUT: 'succeed',
      ANSWER_MARGIN_SECONDS: '20',
    });

    expect(result.ok && result.config).toEqual({
      region: 'ap-southeast-2',
      drainTimeoutMs: 600_000,
      pollIntervalMs: 30_000,
      platform: 'windows',
      agentServiceName: 'buildkite-agent@1.service',
      onDrainTimeout: 'succeed',
      answerMarginMs: 20_000,
    });
  });

  it('names every bad variable in one error', () => {
    const result = loadConfig({
      DRAIN_TIMEOUT_SECONDS: '7200',
      POLL_INTERVAL_SECONDS: 'often',
      AGENT_PLATFORM: 'macos',
      AGENT_SERVICE_NAME: 'agent; rm -rf /',
      ON_DRAIN_TIMEOUT: 'ignore',
    });

    const error = result.ok ? undefined : result.error;
    expect(error).toBeInstanceOf(ConfigurationError);
    for (const expected of [
      /AWS_REGION is required/,
      /DRAIN_TIMEOUT_SECONDS must be at most 3540/,
      /POLL_INTERVAL_SECONDS must be a number of seconds/,
      /AGENT_PLATFORM must be linux or windows/,
      /AGENT_SERVICE_NAME must be a service name/,
      /ON_DRAIN_TIMEOUT must be fail or succeed/,
    ]) {
      expect(error?.message).toMatch(expected);
    }
  });
});
