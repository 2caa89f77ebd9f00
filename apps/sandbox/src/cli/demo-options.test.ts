import { describe, expect, it } from 'vitest';
import { DEMO_DEFAULTS, DemoUsageError, parseDemoOptions } from './demo-options';

describe('parseDemoOptions', () => {
  it('fills in the defaults', () => {
    expect(parseDemoOptions([])).toEqual({
      tracePath: undefined,
      policy: 'elastic-ci',
      speed: 60,
      durationSec: 3600,
      queue: undefined,
      seed: 1,
      chartPath: DEMO_DEFAULTS.chart,
      logDir: undefined,
      json: false,
    });
  });

  it('reads every option', () => {
    expect(
      parseDemoOptions([
        '--trace=t.jsonl',
        '--policy',
        'p.json',
        '--speed',
        '30',
        '--duration',
        '2h',
        '--queue',
        'q',
        '--seed',
        '7',
        '--chart',
        'out.html',
        '--log-dir',
        'logs',
        '--json',
      ]),
    ).toEqual({
      tracePath: 't.jsonl',
      policy: 'p.json',
      speed: 30,
      durationSec: 7200,
      queue: 'q',
      seed: 7,
      chartPath: 'out.html',
      logDir: 'logs',
      json: true,
    });
  });

  it('returns undefined for --help', () => {
    expect(parseDemoOptions(['-h'])).toBeUndefined();
  });

  it('reports every bad option at once, each naming the fix', () => {
    // Act
    let error: unknown;
    try {
      parseDemoOptions(['--speed', 'fast', '--duration', '2d', '--chart', 'x.png', '--bogus', 'extra', '--seed=-1']);
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(DemoUsageError);
    const message = (error as Error).message;
    expect(message).toContain('unexpected argument "extra"');
    expect(message).toContain(
      '--speed must be a number of world seconds per real second in (0, 600], e.g. 60; got "fast"',
    );
    expect(message).toContain('--duration: "2d" is not a duration');
    expect(message).toContain('--chart must name a .svg or .html file');
    expect(message).toContain('--bogus: unknown option (see --help)');
    expect(message).toContain('--seed must be a non-negative integer');
  });

  it('says an option needs a value', () => {
    expect(() => parseDemoOptions(['--speed'])).toThrow('--speed needs a value, e.g. --speed 60');
  });
});
