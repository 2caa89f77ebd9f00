import { describe, expect, it } from 'vitest';
import { DEMO_DEFAULTS, DemoUsageError, parseDemoOptions } from './demo-options';

describe('parseDemoOptions', () => {
  it('fills in the defaults', () => {
    expect(parseDemoOptions([])).toEqual({
      tracePath: undefined,
      policy: 'elastic-ci',
      speed: 60,
      durationSec: 3600,
      fromSec: 0,
      queue: undefined,
      seed: 1,
      chartPath: DEMO_DEFAULTS.chart,
      logDir: undefined,
      motoPort: undefined,
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
        '--from',
        '32h40m',
        '--queue',
        'q',
        '--seed',
        '7',
        '--chart',
        'out.html',
        '--log-dir',
        'logs',
        '--moto-port',
        '5000',
        '--json',
      ]),
    ).toEqual({
      tracePath: 't.jsonl',
      policy: 'p.json',
      speed: 30,
      durationSec: 7200,
      fromSec: 117_600,
      queue: 'q',
      seed: 7,
      chartPath: 'out.html',
      logDir: 'logs',
      motoPort: 5000,
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
      parseDemoOptions([
        '--speed',
        'fast',
        '--duration',
        '2d',
        '--from',
        'tuesday',
        '--chart',
        'x.png',
        '--bogus',
        'extra',
        '--seed=-1',
      ]);
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
    expect(message).toContain('--from: "tuesday" is not a duration');
    expect(message).toContain('--chart must name a .svg or .html file');
    expect(message).toContain('--bogus: unknown option (see --help)');
    expect(message).toContain('--seed must be a non-negative integer');
  });

  it('takes only a TCP port number as --moto-port', () => {
    for (const bad of ['0', '65536', 'http', '50.5']) {
      expect(() => parseDemoOptions(['--moto-port', bad])).toThrow(
        '--moto-port must be a TCP port number from 1 to 65535, e.g. 5000',
      );
    }
    expect(parseDemoOptions(['--moto-port', '65535'])?.motoPort).toBe(65_535);
  });

  it('takes the start of the trace as --from 0', () => {
    expect(parseDemoOptions(['--from', '0'])?.fromSec).toBe(0);
  });

  it('says an option needs a value', () => {
    expect(() => parseDemoOptions(['--speed'])).toThrow('--speed needs a value, e.g. --speed 60');
  });
});
