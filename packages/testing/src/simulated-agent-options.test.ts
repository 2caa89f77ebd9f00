import { describe, expect, it } from 'vitest';
import { goDuration, parseSimulatedAgentArgs, SimulatedAgentUsageError } from './simulated-agent-options';

describe('Function: parseSimulatedAgentArgs', () => {
  it('reads every flag in both --flag value and --flag=value forms, adding the default queue tag when none is given', () => {
    // Act
    const options = parseSimulatedAgentArgs(
      [
        '--endpoint=http://127.0.0.1:9/v3/',
        '--name',
        'host',
        '--tags',
        'os=linux',
        '--spawn',
        '3',
        '--pid-file',
        '/tmp/agent.pid',
        '--time-scale',
        '30',
        '--ping-interval-ms',
        '200',
        '--disconnect-after-idle-timeout',
        '600',
        '--on-job-started',
        'elastic-ci-instance job-started',
        '--on-job-finished=elastic-ci-instance job-finished',
      ],
      { BUILDKITE_AGENT_TOKEN: 'from-env' },
    );

    // Assess
    expect(options).toEqual({
      endpoint: 'http://127.0.0.1:9/v3',
      token: 'from-env',
      name: 'host',
      tags: ['queue=default', 'os=linux'],
      spawn: 3,
      pidFile: '/tmp/agent.pid',
      timeScale: 30,
      pingIntervalMs: 200,
      disconnectAfterIdleTimeoutSec: 600,
      onJobStarted: 'elastic-ci-instance job-started',
      onJobFinished: 'elastic-ci-instance job-finished',
    });
  });

  it('names every problem at once and never echoes the token', () => {
    // Act
    let error: unknown;
    try {
      parseSimulatedAgentArgs([
        '--token',
        'canary-secret-token',
        '--tags',
        'novalue',
        '--ping-interval-ms',
        '1',
        'stray',
      ]);
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(SimulatedAgentUsageError);
    const message = (error as Error).message;
    expect(message).toContain('unexpected argument "stray"');
    expect(message).toContain('--endpoint must be the agent API URL');
    expect(message).toContain('--tags entry "novalue" must be key=value');
    expect(message).toContain('--ping-interval-ms "1" is invalid: use whole milliseconds ≥ 10');
    expect(message).not.toContain('canary-secret-token');
  });
});

describe('Function: goDuration', () => {
  it.each([
    [45, '45s'],
    [60, '1m0s'],
    [600, '10m0s'],
    [3600, '1h0m0s'],
    [3725, '1h2m5s'],
  ])('formats %d seconds as Go prints time.Duration: %s', (seconds, expected) => {
    expect(goDuration(seconds)).toBe(expected);
  });
});
