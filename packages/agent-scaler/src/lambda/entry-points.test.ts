import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../errors';
import { captureOutput } from '../testing-fakes';

describe('Lambda entry points', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('fails the cold start of the scheduled handler with one error naming every missing variable', async () => {
    // Prepare
    for (const name of ['BUILDKITE_QUEUE', 'ASG_NAME', 'AGENTS_PER_INSTANCE', 'BUILDKITE_AGENT_TOKEN_SSM_KEY']) {
      vi.stubEnv(name, '');
    }

    // Act
    const loading = import('./scheduled');

    // Assess
    await expect(loading).rejects.toBeInstanceOf(ConfigurationError);
    await expect(loading).rejects.toThrow(
      /BUILDKITE_QUEUE[\s\S]*ASG_NAME[\s\S]*BUILDKITE_AGENT_TOKEN_SSM_KEY[\s\S]*AGENTS_PER_INSTANCE/,
    );
  });

  it.each(['./scheduled', './webhook'])(
    'fails the cold start of %s without printing a token pasted into the wrong variables',
    async (entryPoint) => {
      // Prepare
      const canary = 'bkua_CANARY_cold_start_0123456789abcdef';
      const environment = {
        BUILDKITE_QUEUE: 'default',
        ASG_NAME: 'agents',
        AGENTS_PER_INSTANCE: canary,
        BUILDKITE_AGENT_TOKEN: canary,
        BUILDKITE_AGENT_TOKEN_SSM_KEY: '/buildkite/agent-token',
        BUILDKITE_AGENT_ENDPOINT: `https://buildkite:${canary}@agent.buildkite.com/v3`,
        WEBHOOK_SECRET_SSM_KEY: '/buildkite/webhook-token',
        WEBHOOK_REPLAY_WINDOW: canary,
        SCALER_POLICIES: JSON.stringify({ forecast: { timezone: canary }, [canary]: true }),
      };
      for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);

      // Act
      const { result: error, lines } = await captureOutput(() =>
        import(entryPoint).then(
          () => undefined,
          (failure: unknown) => failure,
        ),
      );

      // Assess
      // The entry point loads its own copy of the errors module (modules are reset between tests): match by name.
      expect(error).toMatchObject({ name: 'ConfigurationError' });
      const { message, issues } = error as ConfigurationError;
      expect(issues.map((issue) => issue.variable)).toEqual(
        expect.arrayContaining([
          'AGENTS_PER_INSTANCE',
          'BUILDKITE_AGENT_TOKEN',
          'BUILDKITE_AGENT_ENDPOINT',
          'WEBHOOK_REPLAY_WINDOW',
          'SCALER_POLICIES',
          'SCALER_POLICIES (forecast.timezone)',
        ]),
      );
      expect(`${message}\n${JSON.stringify(issues)}\n${lines.join('\n')}`).not.toContain('CANARY');
    },
  );

  it('builds both handlers from a valid environment without touching AWS or Buildkite', async () => {
    // Prepare
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('BUILDKITE_QUEUE', 'default');
    vi.stubEnv('ASG_NAME', 'agents');
    vi.stubEnv('AGENTS_PER_INSTANCE', '1');
    vi.stubEnv('BUILDKITE_AGENT_TOKEN_SSM_KEY', '/buildkite/agent-token');
    vi.stubEnv('WEBHOOK_SECRET_SSM_KEY', '/buildkite/webhook-token');

    // Act
    const scheduled = await import('./scheduled');
    const webhook = await import('./webhook');

    // Assess
    expect(scheduled.handler).toBeTypeOf('function');
    expect(webhook.handler).toBeTypeOf('function');
  });

  it('builds both handlers when SCALER_LOCK_TABLE turns the scaling lease on', async () => {
    // Prepare
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('BUILDKITE_QUEUE', 'default');
    vi.stubEnv('ASG_NAME', 'agents');
    vi.stubEnv('AGENTS_PER_INSTANCE', '1');
    vi.stubEnv('BUILDKITE_AGENT_TOKEN_SSM_KEY', '/buildkite/agent-token');
    vi.stubEnv('WEBHOOK_SECRET_SSM_KEY', '/buildkite/webhook-token');
    vi.stubEnv('SCALER_LOCK_TABLE', 'agent-scaler-locks');

    // Act
    const scheduled = await import('./scheduled');
    const webhook = await import('./webhook');

    // Assess
    expect(scheduled.handler).toBeTypeOf('function');
    expect(webhook.handler).toBeTypeOf('function');
  });

  it('refuses to build the webhook handler without its secret', async () => {
    // Prepare
    vi.stubEnv('BUILDKITE_QUEUE', 'default');
    vi.stubEnv('ASG_NAME', 'agents');
    vi.stubEnv('AGENTS_PER_INSTANCE', '1');
    vi.stubEnv('BUILDKITE_AGENT_TOKEN_SSM_KEY', '/buildkite/agent-token');
    vi.stubEnv('WEBHOOK_SECRET_SSM_KEY', '');

    // Act / Assess
    await expect(import('./webhook')).rejects.toThrow(/WEBHOOK_SECRET_SSM_KEY/);
  });
});
