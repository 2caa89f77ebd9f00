import { describe, expect, it } from 'vitest';
import { mergeConfigInput, parseScalerConfig, scalerConfigSchema } from './config.js';
import { ScalerConfigError, ScalerCoreError } from './errors.js';

function issuesOf(raw: unknown) {
  try {
    parseScalerConfig(raw);
  } catch (error) {
    if (error instanceof ScalerConfigError) return error;
    throw error;
  }
  throw new Error('expected parseScalerConfig to throw');
}

describe('Function: parseScalerConfig', () => {
  it('fills every default, with every policy beyond Buildkite off', () => {
    const config = parseScalerConfig({});

    expect(JSON.parse(JSON.stringify(config))).toEqual({
      agentsPerInstance: 1,
      includeWaiting: false,
      instanceBuffer: 0,
      maxInstanceCap: 0,
      availabilityThreshold: 0.5,
      scaleOutFactor: 1,
      scaleInFactor: 1,
      scaleOutCooldownSec: 0,
      scaleInCooldownSec: 0,
      scaleOnlyAfterAllEvent: false,
      disableScaleOut: false,
      disableScaleIn: false,
      elasticCiMode: false,
      staleMetricsAfterSec: 120,
      overProvision: { strategy: 'none' },
      idlePool: { idleCount: 0, idleScaleFactor: 0, idleCountMin: 0, periods: [] },
      scheduledMinimums: [],
      scaleIn: { strategy: 'set-desired', order: 'oldest-first', minRunningTimeSec: 0, minIdleSec: 0 },
      warmPool: { enabled: false, minSize: 0, prepareForWaitingJobs: false, schedules: [] },
      costs: { instanceHour: 0.17, volumeHour: 0.0274, bootSec: 120, resumeSec: 40 },
      forecast: { enabled: false, weeklyDecay: 0.5, prelaunch: false, prelaunchMinAgents: 10, timezone: 'UTC' },
      dependencies: { enabled: false, releaseQuantile: 0.1, minSamples: 3 },
    });
  });

  it('names every forecast, dependency and cost option out of range', () => {
    const error = issuesOf({
      forecast: { enabled: true, weeklyDecay: 0, prelaunchMinAgents: 0, timezone: 'Mars/Olympus_Mons' },
      dependencies: { releaseQuantile: 1.5, minSamples: 17 },
      costs: { instanceHour: -1, bootSec: 5, resumeSec: 601 },
      warmPool: { schedules: [{ cron: '* 25 * * *', minSize: 1 }] },
    });

    expect(error.issues.map((issue) => issue.path).sort()).toEqual([
      'costs.bootSec',
      'costs.instanceHour',
      'costs.resumeSec',
      'dependencies.minSamples',
      'dependencies.releaseQuantile',
      'forecast.prelaunchMinAgents',
      'forecast.timezone',
      'forecast.weeklyDecay',
      'warmPool.schedules[0].cron',
    ]);
  });

  it('compiles cron periods and time zones once, serialising back to their text', () => {
    const config = parseScalerConfig({
      idlePool: { periods: [{ cron: '* 8-17 * * MON-FRI', timezone: 'Europe/Berlin', idleCount: 4 }] },
      scheduledMinimums: [{ cron: '* 9-17 * * 1-5', minSize: 2 }],
    });

    expect(JSON.parse(JSON.stringify(config.idlePool.periods))).toEqual([
      { cron: '* 8-17 * * MON-FRI', timezone: 'Europe/Berlin', idleCount: 4, idleScaleFactor: 0, idleCountMin: 0 },
    ]);
    expect(config.scheduledMinimums[0]?.timezone.timeZone).toBe('UTC');
  });

  it('exports the schema for composition', () => {
    expect(scalerConfigSchema.safeParse({ agentsPerInstance: 2 }).success).toBe(true);
  });

  it('lists every problem with its path in one error', () => {
    const error = issuesOf({
      agentsPerInstance: -1,
      instanceBuffer: 1.5,
      scaleOutFactor: 0,
      scaleInFactor: -2,
      scaleOutCooldownSec: -1,
      overProvision: { strategy: 'percent', percent: 0 },
      idlePool: {
        idleCount: 1,
        idleScaleFactor: 2,
        idleCountMin: 3,
        periods: [{ cron: '61 * * * *', timezone: 'Mars/Base', idleCount: 1 }],
      },
      scheduledMinimums: [{ cron: '* * *', minSize: -1 }],
      growthThrottle: { launchesPerSec: 0, burst: 0 },
      stepScaling: {
        metric: 'scheduledJobs',
        alarmThreshold: 5,
        adjustmentType: 'ChangeInCapacity',
        stepAdjustments: [
          { metricIntervalLowerBound: 0, metricIntervalUpperBound: 10, scalingAdjustment: 1 },
          { metricIntervalLowerBound: 5, scalingAdjustment: 2 },
        ],
      },
      scaleIn: { order: 'random' },
      warmPool: { enabled: 'yes', minSize: -1, maxPreparedCapacity: 10 },
      typo: true,
    });

    expect(error).toBeInstanceOf(ScalerCoreError);
    expect(error.name).toBe('ScalerConfigError');
    expect(error.issues.map((issue) => issue.path)).toEqual([
      'agentsPerInstance',
      'instanceBuffer',
      'scaleOutFactor',
      'scaleInFactor',
      'scaleOutCooldownSec',
      'overProvision.percent',
      'idlePool.periods[0].cron',
      'idlePool.periods[0].timezone',
      'idlePool.idleCountMin',
      'scheduledMinimums[0].cron',
      'scheduledMinimums[0].minSize',
      'growthThrottle.launchesPerSec',
      'growthThrottle.burst',
      'stepScaling.stepAdjustments',
      'scaleIn.order',
      'warmPool.enabled',
      'warmPool.minSize',
      'warmPool.maxPreparedCapacity',
      'typo',
    ]);
    expect(error.message).toContain('idlePool.periods[0].timezone: unknown IANA time zone "Mars/Base"');
    expect(error.message).toContain('stepScaling.stepAdjustments: steps overlap between 5 and 10');
    expect(error.message).toContain('typo: unknown option');
  });

  it('reports step gaps and overlaps even when another step field is wrong, and type rules once the rest is valid', () => {
    const overlapping = [
      { metricIntervalLowerBound: 0, metricIntervalUpperBound: 10, scalingAdjustment: 1 },
      { metricIntervalLowerBound: 5, scalingAdjustment: -2 },
    ];
    const base = { metric: 'scheduledJobs', alarmThreshold: 5, stepAdjustments: overlapping };

    const withBadMetric = issuesOf({ stepScaling: { ...base, metric: 'bogus', adjustmentType: 'ChangeInCapacity' } });
    const exactNegative = issuesOf({
      stepScaling: {
        ...base,
        adjustmentType: 'ExactCapacity',
        stepAdjustments: [{ metricIntervalLowerBound: 0, scalingAdjustment: -2 }],
      },
    });

    expect(withBadMetric.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      expect.stringMatching(/^stepScaling\.metric: /),
      'stepScaling.stepAdjustments: steps overlap between 5 and 10',
    ]);
    expect(exactNegative.issues).toEqual([
      { path: 'stepScaling.stepAdjustments', message: 'step 0: ExactCapacity adjustment must be non-negative, got -2' },
    ]);
  });

  it('checks the idle bounds of a period too', () => {
    const error = issuesOf({ idlePool: { periods: [{ cron: '* * * * *', idleScaleFactor: 1, idleCountMin: 2 }] } });

    expect(error.issues).toEqual([
      { path: 'idlePool.periods[0].idleCountMin', message: expect.stringContaining('must not exceed idleCount') },
    ]);
  });

  it('rejects a config that is not an object', () => {
    expect(issuesOf('AGENTS_PER_INSTANCE=2').issues).toEqual([{ path: '', message: expect.any(String) }]);
    expect(issuesOf('x').message).toContain('(root)');
  });

  it('reports a thrown non-Error from a transform as text', () => {
    expect(issuesOf({ idlePool: { periods: [{ cron: 42 }] } }).issues[0]?.path).toBe('idlePool.periods[0].cron');
  });
});

describe('mergeConfigInput', () => {
  it('merges objects field by field and lets the override replace everything else, changing neither side', () => {
    const base = { fleet: { minSize: 0, warmPool: { minSize: 1, reuseOnScaleIn: true } }, list: [1, 2], kept: 'a' };
    const override = { fleet: { warmPool: { minSize: 5 } }, list: [3], kept: undefined };
    const baseBefore = structuredClone(base);

    expect(mergeConfigInput(base, override)).toEqual({
      fleet: { minSize: 0, warmPool: { minSize: 5, reuseOnScaleIn: true } },
      list: [3],
      kept: 'a',
    });
    expect(base).toEqual(baseBefore);
    expect(mergeConfigInput({ forecast: { enabled: true } }, undefined)).toEqual({ forecast: { enabled: true } });
  });
});
