import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAgentScalerConfig } from './config';
import { ConfigurationError } from './errors';

const MINIMAL = {
  BUILDKITE_QUEUE: 'default',
  ASG_NAME: 'agents',
  AGENTS_PER_INSTANCE: '2',
  BUILDKITE_AGENT_TOKEN_SSM_KEY: '/buildkite/agent-token',
};

function configurationIssues(environment: Record<string, string>, options = {}) {
  try {
    parseAgentScalerConfig(environment, options);
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}

describe('Function: parseAgentScalerConfig', () => {
  it('applies the Buildkite defaults with only the required variables', () => {
    // Act
    const config = parseAgentScalerConfig(MINIMAL);

    // Assess
    expect(config).toMatchObject({
      queue: 'default',
      groupName: 'agents',
      agentTokenParameter: '/buildkite/agent-token',
      agentEndpoint: 'https://agent.buildkite.com/v3',
      pollIntervalMs: 10_000,
      invocationBudgetMs: undefined,
      startupJitterMaxMs: 0,
      activityScanTimeoutMs: 10_000,
      maxActivityPages: undefined,
      publishMetrics: true,
      stateParameter: undefined,
      webhook: { secretParameter: undefined, replayWindowSec: 300, allowTokenHeader: true },
      lease: undefined,
    });
    expect(config.userAgent).toMatch(/^elastic-ci-agent-scaler\/\d+\.\d+\.\d+$/);
    expect(config.scaler).toMatchObject({
      agentsPerInstance: 2,
      scaleOutFactor: 1,
      scaleInFactor: 1,
      scaleInCooldownSec: 0,
      availabilityThreshold: 0.5,
      disableScaleIn: false,
      scaleIn: { strategy: 'set-desired' },
      warmPool: { enabled: false, minSize: 0, prepareForWaitingJobs: false },
    });
  });

  it('maps the Buildkite knobs onto the scaler-core options', () => {
    // Act
    const config = parseAgentScalerConfig({
      ...MINIMAL,
      INSTANCE_BUFFER: '2',
      SCALE_OUT_FACTOR: '-1.5',
      SCALE_IN_FACTOR: '0',
      SCALE_IN_COOLDOWN_PERIOD: '1m30s',
      SCALE_OUT_COOLDOWN_PERIOD: '300',
      INCLUDE_WAITING: 'T',
      DISABLE_SCALE_IN: 'true',
      MAX_INSTANCE_CAP: '7',
      AVAILABILITY_THRESHOLD: '0',
      LAMBDA_TIMEOUT: '50s',
      LAMBDA_INTERVAL: '15s',
      LAMBDA_STARTUP_JITTER_MAX: '30s',
      MAX_DESCRIBE_SCALING_ACTIVITIES_PAGES: '3',
      CLOUDWATCH_METRICS: '0',
    });

    // Assess
    expect(config.scaler).toMatchObject({
      instanceBuffer: 2,
      scaleOutFactor: 1.5,
      scaleInFactor: 1,
      scaleInCooldownSec: 90,
      scaleOutCooldownSec: 300,
      includeWaiting: true,
      disableScaleIn: true,
      maxInstanceCap: 7,
      availabilityThreshold: 0,
    });
    expect(config).toMatchObject({
      invocationBudgetMs: 50_000,
      pollIntervalMs: 15_000,
      startupJitterMaxMs: 30_000,
      maxActivityPages: 3,
      publishMetrics: false,
    });
  });

  it('defaults the scale-in cooldown to 1h in Elastic CI mode', () => {
    // Act
    const config = parseAgentScalerConfig({ ...MINIMAL, ELASTIC_CI_MODE: '1' });

    // Assess
    expect(config.scaler.scaleInCooldownSec).toBe(3600);
  });

  it('reads our policies from their variables and SCALER_POLICIES', () => {
    // Act
    const config = parseAgentScalerConfig({
      ...MINIMAL,
      SCALE_IN_STRATEGY: 'drain',
      SCALE_IN_ORDER: 'newest-first',
      SCALE_IN_MIN_RUNNING_TIME: '10m',
      IDLE_COUNT: '3',
      GROWTH_THROTTLE_LAUNCHES_PER_SEC: '0.5',
      GROWTH_THROTTLE_BURST: '4',
      STALE_METRICS_AFTER: '1m',
      SCALER_POLICIES: JSON.stringify({
        overProvision: { strategy: 'instances', instances: 1 },
        scaleIn: { minIdleSec: 60 },
        forecast: { enabled: true, prelaunch: true },
        dependencies: { enabled: true, releaseQuantile: 0.05 },
        costs: { instanceHour: 0.34, bootSec: 200 },
        warmPool: { enabled: true, schedules: [{ cron: '* 8-17 * * MON-FRI', timezone: 'Europe/Berlin', minSize: 4 }] },
      }),
    });

    // Assess
    expect(config.scaler).toMatchObject({
      scaleIn: { strategy: 'drain', order: 'newest-first', minRunningTimeSec: 600, minIdleSec: 60 },
      idlePool: { idleCount: 3 },
      growthThrottle: { launchesPerSec: 0.5, burst: 4 },
      staleMetricsAfterSec: 60,
      overProvision: { strategy: 'instances', instances: 1 },
      forecast: { enabled: true, prelaunch: true, weeklyDecay: 0.5 },
      dependencies: { enabled: true, releaseQuantile: 0.05, minSamples: 3 },
      costs: { instanceHour: 0.34, volumeHour: 0.0274, bootSec: 200, resumeSec: 40 },
      warmPool: { schedules: [{ minSize: 4 }] },
    });
  });

  it('reads the warm-pool policy from its variables, the rest of the pool from SCALER_POLICIES', () => {
    // Act
    const fromVariables = parseAgentScalerConfig({
      ...MINIMAL,
      WARM_POOL_ENABLED: 'true',
      WARM_POOL_MIN_SIZE: '2',
      WARM_POOL_PREPARE_FOR_WAITING_JOBS: 'yes',
    });
    const mixed = parseAgentScalerConfig({
      ...MINIMAL,
      WARM_POOL_MIN_SIZE: '1',
      SCALER_POLICIES: JSON.stringify({
        warmPool: { enabled: true, schedules: [{ cron: '* 8-17 * * MON-FRI', timezone: 'UTC', minSize: 3 }] },
      }),
    });

    // Assess
    expect(fromVariables.scaler.warmPool).toEqual({
      enabled: true,
      minSize: 2,
      prepareForWaitingJobs: true,
      schedules: [],
    });
    expect(mixed.scaler.warmPool).toMatchObject({ enabled: true, minSize: 1, prepareForWaitingJobs: false });
    expect(mixed.scaler.warmPool.schedules).toHaveLength(1);
  });

  it('refuses a SCALER_POLICIES path that a set variable also sets, naming both (one value would be lost)', () => {
    // Act
    const error = configurationIssues({
      ...MINIMAL,
      WARM_POOL_MIN_SIZE: '1',
      SCALE_IN_STRATEGY: 'drain',
      SCALER_POLICIES: JSON.stringify({
        warmPool: { enabled: true, minSize: 5 },
        scaleIn: { strategy: 'set-desired', minIdleSec: 60 },
      }),
    });

    // Assess: warmPool.enabled and scaleIn.minIdleSec have no variable set here, so they stay allowed.
    expect(error.issues).toEqual([
      {
        variable: 'SCALER_POLICIES (scaleIn.strategy)',
        message: 'is also set by SCALE_IN_STRATEGY, which would win; set it in one place',
      },
      {
        variable: 'SCALER_POLICIES (warmPool.minSize)',
        message: 'is also set by WARM_POOL_MIN_SIZE, which would win; set it in one place',
      },
    ]);
  });

  it('names each bad warm-pool variable', () => {
    // Act
    const error = configurationIssues({
      ...MINIMAL,
      WARM_POOL_ENABLED: 'sometimes',
      WARM_POOL_MIN_SIZE: '-3',
      WARM_POOL_PREPARE_FOR_WAITING_JOBS: '2',
    });

    // Assess
    expect(error.issues.map((issue) => issue.variable)).toEqual([
      'WARM_POOL_ENABLED',
      'WARM_POOL_MIN_SIZE',
      'WARM_POOL_PREPARE_FOR_WAITING_JOBS',
    ]);
    expect(error.message).toContain('WARM_POOL_MIN_SIZE: must be a whole number ≥ 0, got "-3"');
  });

  it('names the SCALER_POLICIES path of a bad warm-pool key', () => {
    const error = configurationIssues({ ...MINIMAL, SCALER_POLICIES: '{"warmPool": {"maxPreparedCapacity": 10}}' });

    expect(error.issues).toEqual([
      { variable: 'SCALER_POLICIES (warmPool.maxPreparedCapacity)', message: 'unknown option' },
    ]);
  });

  it('names every bad variable in one error', () => {
    // Act
    const error = configurationIssues({
      BUILDKITE_AGENT_TOKEN: 'canary-plain-token',
      AGENTS_PER_INSTANCE: 'two',
      LAMBDA_INTERVAL: '10',
      SCALE_IN_COOLDOWN_PERIOD: 'an hour',
      DISABLE_SCALE_IN: 'maybe',
      INSTANCE_BUFFER: '-1',
      BUILDKITE_AGENT_ENDPOINT: 'http://agent.example.com/v3',
      SCALE_IN_STRATEGY: 'terminate-everything',
      SCALER_POLICIES: '{"idlePool": {"periods": [{"cron": "not a cron", "idleCount": 1}]}, "bogus": 1}',
    });

    // Assess
    const variables = error.issues.map((issue) => issue.variable);
    expect(variables).toEqual(
      expect.arrayContaining([
        'BUILDKITE_QUEUE',
        'ASG_NAME',
        'BUILDKITE_AGENT_TOKEN',
        'BUILDKITE_AGENT_TOKEN_SSM_KEY',
        'AGENTS_PER_INSTANCE',
        'SCALE_IN_COOLDOWN_PERIOD',
        'DISABLE_SCALE_IN',
        'INSTANCE_BUFFER',
        'BUILDKITE_AGENT_ENDPOINT',
        'SCALE_IN_STRATEGY',
        'SCALER_POLICIES',
        'SCALER_POLICIES (idlePool.periods[0].cron)',
      ]),
    );
    expect(error.message).toMatch(/SCALE_IN_COOLDOWN_PERIOD: must be a duration like 10s/);
    expect(error.message).not.toContain('canary-plain-token');
  });

  it('never echoes a long value (a token pasted into the wrong variable), naming each variable all the same', () => {
    // Prepare: a token in one variable of every kind of reader, and in SCALER_POLICIES as a key and as values
    const canary = 'bkua_CANARY_in_the_wrong_variable_0123456789';
    const wrong = [
      'AGENTS_PER_INSTANCE',
      'LAMBDA_INTERVAL',
      'CLOUDWATCH_METRICS',
      'AVAILABILITY_THRESHOLD',
      'ZOMBIE_MAX_PER_PASS',
    ];
    const environment = {
      ...MINIMAL,
      ...Object.fromEntries(wrong.map((variable) => [variable, `${canary}-`])),
      SCALER_POLICIES: JSON.stringify({
        [canary]: 1,
        forecast: { enabled: true, timezone: canary, [canary]: 1 },
        warmPool: { schedules: [{ cron: canary, timezone: 'UTC', minSize: 1 }] },
      }),
    };

    // Act
    const error = configurationIssues(environment);

    // Assess
    expect(error.issues.map((issue) => issue.variable)).toEqual(
      expect.arrayContaining([
        ...wrong,
        'SCALER_POLICIES',
        'SCALER_POLICIES (forecast.timezone)',
        'SCALER_POLICIES (warmPool.schedules[0].cron)',
      ]),
    );
    expect(error.message).toContain(`LAMBDA_INTERVAL: must be a duration like 10s`);
    expect(error.message).toContain(`got a value of ${canary.length + 1} characters, not shown`);
    expect(error.message).not.toContain('CANARY');
    expect(JSON.stringify(error.issues)).not.toContain('CANARY');
  });

  it.each([
    ['warmPool', 'true', { WARM_POOL_ENABLED: 'true' }],
    ['scaleIn', '"drain"', { SCALE_IN_STRATEGY: 'drain' }],
    ['idlePool', '[{"idleCount": 1}]', { IDLE_COUNT: '2' }],
  ])(
    'refuses a SCALER_POLICIES %s that is no object also when a variable sets one of its fields',
    (key, value, variables) => {
      // Act
      const error = configurationIssues({ ...MINIMAL, ...variables, SCALER_POLICIES: `{"${key}": ${value}}` });

      // Assess
      expect(error.issues).toEqual([
        { variable: `SCALER_POLICIES (${key})`, message: expect.stringMatching(/expected object/) },
      ]);
    },
  );

  it.each([
    'https://buildkite:bkua_CANARY_in_the_endpoint_0123456789@agent.buildkite.com/v3',
    'https://bkua_CANARY_in_the_endpoint_0123456789@agent.buildkite.com/v3',
  ])('refuses an agent endpoint with credentials in it, without printing them', (endpoint) => {
    // Act: such a URL would be named in every failed request's log line, and fetch refuses it anyway
    const error = configurationIssues({ ...MINIMAL, BUILDKITE_AGENT_ENDPOINT: endpoint });

    // Assess
    expect(error.issues).toEqual([
      {
        variable: 'BUILDKITE_AGENT_ENDPOINT',
        message: expect.stringMatching(/must not contain a user name or password/),
      },
    ]);
    expect(error.message).not.toContain('CANARY');
  });

  it('still quotes a short refused value', () => {
    // Act
    const error = configurationIssues({ ...MINIMAL, LAMBDA_INTERVAL: 'ten seconds' });

    // Assess
    expect(error.message).toContain(
      'LAMBDA_INTERVAL: must be a duration like 10s, 1m30s or 1h (or whole seconds), got "ten seconds"',
    );
  });

  it('requires the webhook secret only for the webhook handler', () => {
    // Act
    const error = configurationIssues(MINIMAL, { requireWebhook: true });

    // Assess
    expect(error.issues).toEqual([{ variable: 'WEBHOOK_SECRET_SSM_KEY', message: expect.stringMatching(/required/) }]);
  });

  it('accepts plain http only for a loopback endpoint', () => {
    // Act
    const config = parseAgentScalerConfig({ ...MINIMAL, BUILDKITE_AGENT_ENDPOINT: 'http://127.0.0.1:8080/v3' });

    // Assess
    expect(config.agentEndpoint).toBe('http://127.0.0.1:8080/v3');
  });

  it.each([
    ['BUILDKITE_API_TIMEOUT', '6s'],
    ['LAMBDA_INTERVAL', '500ms'],
    ['WEBHOOK_REPLAY_WINDOW', '0s'],
    ['SCALER_POLICIES', '[1]'],
    ['SCALER_POLICIES', '{oops'],
    ['BUILDKITE_AGENT_ENDPOINT', 'not a url'],
  ])('rejects %s=%j', (variable, value) => {
    // Act
    const error = configurationIssues({ ...MINIMAL, [variable]: value });

    // Assess
    expect(error.issues.map((issue) => issue.variable)).toEqual([variable]);
  });

  it.each([
    ['an ARN (PutParameter takes names only)', 'arn:aws:ssm:eu-west-1:123456789012:parameter/buildkite/scaler-state'],
    ['a path without its leading slash', 'buildkite/scaler-state'],
    ['a name with a space', '/buildkite/scaler state'],
    ['a trailing slash', '/buildkite/'],
  ])('refuses a SCALER_STATE_PARAMETER the state cannot be written to: %s', (_label, value) => {
    // Act
    const error = configurationIssues({ ...MINIMAL, SCALER_STATE_PARAMETER: value });

    // Assess: every pass that acted failed at the state write, and no cooldown was ever kept
    expect(error.issues).toEqual([
      { variable: 'SCALER_STATE_PARAMETER', message: expect.stringMatching(/parameter name/) },
    ]);
  });

  it.each(['/buildkite/scaler-state', 'scaler-state', '/a/b_c.d-e/F9'])(
    'accepts the parameter name SCALER_STATE_PARAMETER=%j',
    (value) => {
      // Act
      const config = parseAgentScalerConfig({ ...MINIMAL, SCALER_STATE_PARAMETER: value });

      // Assess
      expect(config.stateParameter).toBe(value);
    },
  );

  it('turns the cross-container scaling lease on with SCALER_LOCK_TABLE, with a TTL above a slow pass', () => {
    // Act
    const byName = parseAgentScalerConfig({ ...MINIMAL, SCALER_LOCK_TABLE: 'agent-scaler-locks' });
    const byArn = parseAgentScalerConfig({
      ...MINIMAL,
      SCALER_LOCK_TABLE: 'arn:aws:dynamodb:eu-west-1:123456789012:table/agent-scaler-locks',
      SCALER_LOCK_TTL: '45s',
      SCALER_LOCK_WAIT: '3s',
    });

    // Assess
    expect(byName.lease).toEqual({ tableName: 'agent-scaler-locks', ttlMs: 30_000, webhookWaitMs: 10_000 });
    expect(byArn.lease).toEqual({
      tableName: 'arn:aws:dynamodb:eu-west-1:123456789012:table/agent-scaler-locks',
      ttlMs: 45_000,
      webhookWaitMs: 3_000,
    });
  });

  it('names every bad lease variable in one error', () => {
    // Act
    const badTable = configurationIssues({
      ...MINIMAL,
      SCALER_LOCK_TABLE: 'no spaces allowed',
      SCALER_LOCK_TTL: '5s',
      SCALER_LOCK_WAIT: 'soon',
    });
    const withoutTable = configurationIssues({ ...MINIMAL, SCALER_LOCK_TTL: '1m' });

    // Assess
    expect(badTable.issues.map((issue) => issue.variable)).toEqual([
      'SCALER_LOCK_TTL',
      'SCALER_LOCK_WAIT',
      'SCALER_LOCK_TABLE',
    ]);
    expect(withoutTable.issues).toEqual([
      { variable: 'SCALER_LOCK_TTL', message: expect.stringMatching(/without SCALER_LOCK_TABLE/) },
    ]);
  });
});

/**
 * Every bounded duration with its documented range (README configuration table), in ms. Written out here, not read
 * from the code under test.
 */
const DURATION_BOUNDS: [variable: string, minMs: number, maxMs: number, range: string][] = [
  ['BUILDKITE_API_TIMEOUT', 1_000, 5_000, 'between 1s and 5s'],
  ['LAMBDA_INTERVAL', 1_000, 14 * 60_000, 'between 1s and 14m'],
  ['LAMBDA_TIMEOUT', 1_000, 15 * 60_000, 'between 1s and 15m'],
  ['LAMBDA_DEADLINE_MARGIN', 1_000, 5 * 60_000, 'between 1s and 5m'],
  ['LAMBDA_STARTUP_JITTER_MAX', 0, 10 * 60_000, 'between 0s and 10m'],
  ['ASG_ACTIVITY_TIMEOUT', 1_000, 5 * 60_000, 'between 1s and 5m'],
  ['WEBHOOK_REPLAY_WINDOW', 10_000, 3_600_000, 'between 10s and 1h'],
  ['SCALE_OUT_COOLDOWN_PERIOD', 0, 24 * 3_600_000, 'between 0s and 24h'],
  ['SCALE_IN_COOLDOWN_PERIOD', 0, 24 * 3_600_000, 'between 0s and 24h'],
  ['SCALE_IN_MIN_RUNNING_TIME', 0, 24 * 3_600_000, 'between 0s and 24h'],
  ['SCALE_IN_MIN_IDLE', 0, 24 * 3_600_000, 'between 0s and 24h'],
];

const LEASE = { SCALER_LOCK_TABLE: 'agent-scaler-locks' };

function issuesFor(environment: Record<string, string>): { variable: string; message: string }[] {
  try {
    parseAgentScalerConfig({ ...MINIMAL, ...environment });
    return [];
  } catch (error) {
    if (error instanceof ConfigurationError) return error.issues;
    throw error;
  }
}

describe('Function: parseAgentScalerConfig (ranges of durations and ratios)', () => {
  it.each([
    // The values of issue 16 that silently broke scaling.
    ['AVAILABILITY_THRESHOLD', '1.5', 'between 0 and 1'],
    ['ASG_ACTIVITY_TIMEOUT', '0', 'between 1s and 5m'],
    ['SCALER_LOCK_TTL', '10000h', 'between 10s and 15m'],
    ['WEBHOOK_REPLAY_WINDOW', '8760h', 'between 10s and 1h'],
    ['LAMBDA_INTERVAL', '20m', 'between 1s and 14m'],
    ['LAMBDA_TIMEOUT', '16m', 'between 1s and 15m'],
    ['SCALER_LOCK_WAIT', '1h', 'between 0s and 15m'],
    ['SCALE_OUT_FACTOR', '-11', 'between -10 and 10'],
    ['SCALE_IN_FACTOR', '100', 'between -10 and 10'],
    ['IDLE_SCALE_FACTOR', '11', 'between 0 and 10'],
    ['STALE_METRICS_AFTER', '2h', 'between 0s and 1h'],
    ['STALE_METRICS_AFTER', '1s', 'be 0 or between 10s and 1h'],
  ])('refuses %s=%s at cold start, naming the variable and the range', (variable, value, range) => {
    // Act
    const issues = issuesFor({ ...LEASE, [variable]: value });

    // Assess
    expect(issues).toEqual([{ variable, message: expect.stringContaining(range) }]);
  });

  it('accepts each duration exactly within its range, for any value', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DURATION_BOUNDS),
        fc.integer({ min: 0, max: 30 * 3_600_000 }),
        ([variable, minMs, maxMs, range], valueMs) => {
          // Act
          const issues = issuesFor({ [variable]: `${valueMs}ms` });

          // Assess
          if (valueMs >= minMs && valueMs <= maxMs) expect(issues).toEqual([]);
          else expect(issues).toEqual([{ variable, message: expect.stringContaining(range) }]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it.each(DURATION_BOUNDS)(
    'accepts %s at both ends of its range and refuses just outside',
    (variable, minMs, maxMs) => {
      // Act / Assess
      expect(issuesFor({ [variable]: `${minMs}ms` })).toEqual([]);
      expect(issuesFor({ [variable]: `${maxMs}ms` })).toEqual([]);
      expect(issuesFor({ [variable]: `${maxMs + 1}ms` }).map((issue) => issue.variable)).toEqual([variable]);
      if (minMs > 0)
        expect(issuesFor({ [variable]: `${minMs - 1}ms` }).map((issue) => issue.variable)).toEqual([variable]);
    },
  );

  it('accepts the ratios within their ranges, for any value', () => {
    const ratios: [string, number, number][] = [
      ['AVAILABILITY_THRESHOLD', 0, 1],
      ['SCALE_OUT_FACTOR', -10, 10],
      ['SCALE_IN_FACTOR', -10, 10],
      ['IDLE_SCALE_FACTOR', 0, 10],
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...ratios),
        fc.double({ min: -20, max: 20, noNaN: true }),
        ([variable, min, max], value) => {
          // Act
          const issues = issuesFor({ [variable]: value.toFixed(3) });

          // Assess
          const rounded = Number(value.toFixed(3));
          const inRange = rounded >= min && rounded <= max;
          expect(issues.map((issue) => issue.variable)).toEqual(inRange ? [] : [variable]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps the off values: a negative LAMBDA_TIMEOUT or startup jitter, and STALE_METRICS_AFTER=0', () => {
    // Act
    const config = parseAgentScalerConfig({
      ...MINIMAL,
      LAMBDA_TIMEOUT: '-1',
      LAMBDA_STARTUP_JITTER_MAX: '-1s',
      STALE_METRICS_AFTER: '0s',
    });

    // Assess
    expect(config.invocationBudgetMs).toBeUndefined();
    expect(config.scaler.staleMetricsAfterSec).toBe(0);
  });

  it('requires a lease TTL above the slowest pass: both timeouts in full plus the 5s act margin', () => {
    // Act
    const tooShort = issuesFor({ ...LEASE, SCALER_LOCK_TTL: '20s', ASG_ACTIVITY_TIMEOUT: '15s' });
    const enough = issuesFor({ ...LEASE, SCALER_LOCK_TTL: '26s', ASG_ACTIVITY_TIMEOUT: '15s' });

    // Assess
    expect(tooShort).toEqual([
      { variable: 'SCALER_LOCK_TTL', message: expect.stringContaining('must be more than 25s') },
    ]);
    expect(enough).toEqual([]);
  });

  it('names every out-of-range variable with its range in one cold-start error', () => {
    // Act
    const error = configurationIssues({
      ...MINIMAL,
      ...LEASE,
      AVAILABILITY_THRESHOLD: '2',
      ASG_ACTIVITY_TIMEOUT: '0s',
      SCALER_LOCK_TTL: '10000h',
      WEBHOOK_REPLAY_WINDOW: '30d',
      LAMBDA_INTERVAL: '1h',
    });

    // Assess
    expect(error.issues.map((issue) => issue.variable).sort()).toEqual([
      'ASG_ACTIVITY_TIMEOUT',
      'AVAILABILITY_THRESHOLD',
      'LAMBDA_INTERVAL',
      'SCALER_LOCK_TTL',
      'WEBHOOK_REPLAY_WINDOW',
    ]);
    expect(error.message).toContain('ASG_ACTIVITY_TIMEOUT: must be between 1s and 5m');
    expect(error.message).toContain('SCALER_LOCK_TTL: must be between 10s and 15m');
    expect(error.message).toContain('LAMBDA_INTERVAL: must be between 1s and 14m');
    expect(error.message).toContain('AVAILABILITY_THRESHOLD: must be a number between 0 and 1');
    expect(error.message).toMatch(/WEBHOOK_REPLAY_WINDOW: must be (a duration|between 10s and 1h)/);
  });
});

describe('Function: parseAgentScalerConfig (zombie check)', () => {
  it('is off by default and takes a 10m grace and 3 per pass when turned on', () => {
    // Act
    const off = parseAgentScalerConfig(MINIMAL);
    const on = parseAgentScalerConfig({ ...MINIMAL, ZOMBIE_CHECK: 'true' });
    const tuned = parseAgentScalerConfig({
      ...MINIMAL,
      ZOMBIE_CHECK: 'yes',
      ZOMBIE_GRACE_PERIOD: '15m',
      ZOMBIE_MAX_PER_PASS: '5',
    });

    // Assess
    expect(off.zombieCheck).toBeUndefined();
    expect(on.zombieCheck).toEqual({ gracePeriodMs: 600_000, maxPerPass: 3 });
    expect(tuned.zombieCheck).toEqual({ gracePeriodMs: 900_000, maxPerPass: 5 });
  });

  it('is not turned on by ELASTIC_CI_MODE alone (instances of another AMI write no agent-state tag)', () => {
    expect(parseAgentScalerConfig({ ...MINIMAL, ELASTIC_CI_MODE: 'true' }).zombieCheck).toBeUndefined();
  });

  it.each([
    ['ZOMBIE_GRACE_PERIOD', '4m59s', 'between 5m and 24h'],
    ['ZOMBIE_GRACE_PERIOD', '25h', 'between 5m and 24h'],
    ['ZOMBIE_GRACE_PERIOD', 'later', 'a duration like'],
    ['ZOMBIE_MAX_PER_PASS', '0', 'between 1 and 20'],
    ['ZOMBIE_MAX_PER_PASS', '21', 'between 1 and 20'],
    ['ZOMBIE_MAX_PER_PASS', '2.5', 'between 1 and 20'],
  ])('refuses %s=%s with its range', (variable, value, expected) => {
    // Act
    const issues = issuesFor({ ZOMBIE_CHECK: 'true', [variable]: value });

    // Assess
    expect(issues).toEqual([{ variable, message: expect.stringContaining(expected) }]);
  });

  it('accepts the grace period at both ends of its range', () => {
    expect(issuesFor({ ZOMBIE_CHECK: 'true', ZOMBIE_GRACE_PERIOD: '5m' })).toEqual([]);
    expect(issuesFor({ ZOMBIE_CHECK: 'true', ZOMBIE_GRACE_PERIOD: '24h' })).toEqual([]);
  });

  it('names the settings that have no effect without ZOMBIE_CHECK', () => {
    // Act
    const issues = issuesFor({ ZOMBIE_GRACE_PERIOD: '20m', ZOMBIE_MAX_PER_PASS: '2' });

    // Assess
    expect(issues).toEqual([
      { variable: 'ZOMBIE_GRACE_PERIOD', message: expect.stringMatching(/without ZOMBIE_CHECK=true/) },
      { variable: 'ZOMBIE_MAX_PER_PASS', message: expect.stringMatching(/without ZOMBIE_CHECK=true/) },
    ]);
  });
});
