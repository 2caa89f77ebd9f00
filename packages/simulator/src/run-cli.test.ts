import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bundledTracePath, runCli } from './run-cli.js';

const TRACE = [
  '{"trace":"tiny","start":"2026-11-02T00:00:00Z","spanSec":1200,"description":"two builds"}',
  '{"job":"a","build":"b1","queue":"default","createdAt":5,"durationSec":60,"dependsOn":[]}',
  '{"job":"b","build":"b1","queue":"default","createdAt":5,"durationSec":30,"dependsOn":["a"]}',
  '{"job":"c","build":"b2","queue":"default","createdAt":400,"durationSec":90,"dependsOn":[]}',
].join('\n');

function cli(argv: string[], files: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const written: Record<string, string> = {};
  const code = runCli(argv, {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    readTextFile: (path) => {
      const content = files[path];
      if (content !== undefined) return content;
      if (path === bundledTracePath()) return readFileSync(path, 'utf8');
      throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    },
    writeTextFile: (path, text) => {
      written[path] = text;
    },
  });
  return { code, stdout: out.join(''), stderr: err.join(''), written };
}

describe('Function: runCli', () => {
  it('prints the side-by-side table with ratios against the first policy', () => {
    const result = cli(['tiny.jsonl'], { 'tiny.jsonl': TRACE });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/buildkite-default\s+buildkite-tuned\s+elastic-ci/);
    expect(result.stdout).toContain('wait p95 vs buildkite-default');
    expect(result.stdout).toContain('jobs interrupted');
  });

  it('prints JSON with every policy, the baseline chosen and its ratios', () => {
    const result = cli(['tiny.jsonl', '--json', '--policy', 'buildkite-tuned,elastic-ci', '--baseline', 'elastic-ci'], {
      'tiny.jsonl': TRACE,
    });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      baseline: string;
      policies: { policy: string; jobs: number; interruptedJobs: number }[];
      ratios: { policy: string; waitP95: number | null }[];
    };
    expect(report.baseline).toBe('elastic-ci');
    expect(report.policies.map((policy) => policy.policy)).toEqual(['buildkite-tuned', 'elastic-ci']);
    expect(report.policies.every((policy) => policy.jobs === 3 && policy.interruptedJobs === 0)).toBe(true);
    expect(report.ratios[1]).toMatchObject({ policy: 'elastic-ci', waitP95: 1 });
  });

  it('runs the bundled trace when no trace is given and writes the chart it names', () => {
    const result = cli(['--policy', 'elastic-ci', '--policy', 'buildkite-default', '--chart', 'out/chart.svg']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('trace steady-trickle');
    expect(result.stdout).toContain('chart: out/chart.svg');
    expect(result.written['out/chart.svg']).toMatch(/^<svg[\s\S]*elastic-ci[\s\S]*buildkite-default[\s\S]*<\/svg>\n$/);
  });

  it('accepts a policy file that extends a preset', () => {
    const file = JSON.stringify({
      name: 'bigger-pool',
      extends: 'elastic-ci',
      scaler: { warmPool: { minSize: 20 } },
      fleet: { warmPool: { maxPreparedCapacity: 30 } },
    });
    const printed = cli(['--print-policy', 'mine.json'], { 'mine.json': file });
    expect(printed.code).toBe(0);
    const policy = JSON.parse(printed.stdout) as {
      name: string;
      scaler: { warmPool: { enabled: boolean; minSize: number; prepareForWaitingJobs: boolean } };
      fleet: { warmPool: { maxPreparedCapacity: number; reuseOnScaleIn: boolean } };
    };
    expect(policy.name).toBe('bigger-pool');
    expect(policy.scaler.warmPool).toEqual({ enabled: true, minSize: 20, prepareForWaitingJobs: true });
    expect(policy.fleet.warmPool).toMatchObject({ maxPreparedCapacity: 30, reuseOnScaleIn: true });
    expect(cli(['tiny.jsonl', '-p', 'mine.json'], { 'tiny.jsonl': TRACE, 'mine.json': file }).code).toBe(0);
  });

  it('lists the presets and prints help with exit code 0', () => {
    expect(cli(['--list-policies']).stdout).toMatch(/buildkite-default[\s\S]*buildkite-tuned[\s\S]*elastic-ci/);
    const help = cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: elastic-ci-sim');
  });
});

describe('Function: runCli — bad input exits 2 with a message on stderr', () => {
  it.each([
    [['--no-such-flag'], /Unknown option '--no-such-flag'/],
    [['--seed', 'abc'], /--seed must be a non-negative integer, got "abc"/],
    [['--seed', '-1'], /--seed/],
    [['--spot-rate', 'lots'], /--spot-rate must be a non-negative number/],
    [['--chart', 'chart.png'], /--chart must name a \.svg or \.html file/],
    [['a.jsonl', 'b.jsonl'], /at most one trace file/],
    [['missing.jsonl'], /cannot read trace missing\.jsonl: ENOENT/],
    [['--policy', 'elastic-ci,elastic-ci'], /given twice/],
    [['--baseline', 'nope'], /--baseline "nope" is not one of the compared policies/],
    [['--queue', 'gpu'], /queue "gpu" has no jobs in trace steady-trickle; its queues: default/],
  ])('rejects %j', (argv, message) => {
    const result = cli(argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  it('asks for --queue when the trace has several queues', () => {
    const twoQueues = `${TRACE}\n{"job":"g","build":"b3","queue":"gpu","createdAt":9,"durationSec":5,"dependsOn":[]}`;
    const result = cli(['two.jsonl'], { 'two.jsonl': twoQueues });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('has several queues (default, gpu): choose one with --queue');
    expect(cli(['two.jsonl', '--queue', 'gpu', '--json'], { 'two.jsonl': twoQueues }).code).toBe(0);
  });

  it('lists the known policies for an unknown policy name', () => {
    const result = cli(['--policy', 'karpenter']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'unknown policy "karpenter"; known policies: buildkite-default, buildkite-tuned, buildkite-tuned-include-waiting, buildkite-tuned-idle-300, buildkite-tuned-include-waiting-idle-300, elastic-ci',
    );
  });

  it('names the line and problem of a malformed trace', () => {
    const broken = `${TRACE}\n{"job":"d","build":"b3","queue":"default","createdAt":9,"durationSec":5,"dependsOn":["zzz"]}`;
    const result = cli(['broken.jsonl'], { 'broken.jsonl': broken });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('line 5: job "d" depends on unknown job "zzz"');
  });

  it('names every bad field of a policy file', () => {
    const file = JSON.stringify({
      name: 'bad',
      fleet: { maxSize: 0, bootSec: { kind: 'weibull' } },
      scaler: { idlePool: { idleCount: -1 } },
    });
    const result = cli(['-p', 'bad.json'], { 'bad.json': file });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('fleet.maxSize');
    expect(result.stderr).toContain('fleet.bootSec');
    const scalerResult = cli(['-p', 'scaler.json'], {
      'scaler.json': JSON.stringify({ name: 'bad', scaler: { idlePool: { idleCount: -1 }, typo: true } }),
    });
    expect(scalerResult.code).toBe(2);
    expect(scalerResult.stderr).toContain('scaler.idlePool.idleCount');
    expect(scalerResult.stderr).toContain('scaler.typo: unknown option');
  });

  it('rejects a warm-pool MinSize on the fleet when the scaler manages the pool, naming the option to use', () => {
    const file = JSON.stringify({ name: 'pool', extends: 'elastic-ci', fleet: { warmPool: { minSize: 20 } } });
    const result = cli(['-p', 'pool.json'], { 'pool.json': file });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('fleet.warmPool.minSize (20) is set by the scaler');
    expect(result.stderr).toContain('set scaler.warmPool.minSize instead');
  });

  it('rejects a policy file that is not JSON or extends an unknown preset', () => {
    expect(cli(['-p', 'x.json'], { 'x.json': '{nope' }).stderr).toContain('x.json: not valid JSON');
    const unknownBase = cli(['-p', 'y.json'], { 'y.json': '{"name":"y","extends":"gitlab"}' });
    expect(unknownBase.code).toBe(2);
    expect(unknownBase.stderr).toContain('"extends" must name a preset; known policies: buildkite-default');
  });
});
