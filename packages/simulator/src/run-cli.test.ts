import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bundledTracePath, FRONTIER_USAGE, runCli } from './run-cli.js';

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
  const readTextFile = (path: string) => {
    const content = files[path];
    if (content !== undefined) return content;
    if (path === bundledTracePath()) return readFileSync(path, 'utf8');
    throw new Error(`ENOENT: no such file or directory, open '${path}'`);
  };
  const code = runCli(argv, {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    readTextFile,
    readFileChunks: (path) => [new TextEncoder().encode(readTextFile(path))],
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
    // --print-policy takes a file as well as a preset name (the test above prints one): the help says so.
    expect(help.stdout).toMatch(/--print-policy NAME\|FILE\s+print a policy with every default filled in/);
  });
});

describe('Function: runCli — bad input exits 2 with a message on stderr', () => {
  it.each([
    [['--no-such-flag'], /Unknown option '--no-such-flag'/],
    [['--seed', 'abc'], /--seed must be a non-negative integer, got "abc"/],
    [['--seed', '-1'], /--seed/],
    [['--spot-rate', 'lots'], /--spot-rate must be a non-negative number/],
    [['--spot-rate', '100'], /--spot-rate must be at most 10 interruptions per running instance-hour .*got "100"/],
    [['frontier', '--spot-rate', '100'], /--spot-rate must be at most 10 interruptions per running instance-hour/],
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

  it('says a trace without jobs has nothing to simulate, for the comparison and frontier alike', () => {
    const empty = '{"trace":"none","start":"2026-11-02T00:00:00Z","spanSec":3600}\n';
    for (const argv of [['none.jsonl'], ['frontier', 'none.jsonl']]) {
      const result = cli(argv, { 'none.jsonl': empty });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('none.jsonl: 1 problem in the trace');
      expect(result.stderr).toContain('line 1: no job lines after the header: nothing to simulate');
      expect(result.stderr).not.toContain('has no jobs in trace');
    }
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

  it('refuses a policy file whose spot rate no run could finish with', () => {
    const file = JSON.stringify({ name: 'spotty', fleet: { spot: { interruptionsPerInstanceHour: 100 } } });
    const result = cli(['-p', 'spotty.json'], { 'spotty.json': file });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('fleet.spot.interruptionsPerInstanceHour: Too big');
  });

  it('says which fleet setting or option gave the scaler a lead time or price out of its range, and the fix', () => {
    const slowBoot = cli(['-p', 'buildkite-tuned', '--boot-sec', '3000']);
    expect(slowBoot.code).toBe(2);
    expect(slowBoot.stderr).toContain('scaler.costs.bootSec: Too big: expected number to be <=1800');
    expect(slowBoot.stderr).toMatch(/derived from fleet\.bootSec.*--boot-sec/);
    expect(slowBoot.stderr).toContain('or set scaler.costs.bootSec in a policy file');
    const notAnObject = cli(['-p', 'costs.json'], { 'costs.json': '{"name":"c","scaler":{"costs":5}}' });
    expect(notAnObject.code).toBe(2);
    expect(notAnObject.stderr).toContain('scaler.costs: Invalid input: expected object');
    const dear = cli(['-p', 'buildkite-tuned', '--instance-price', '5000']);
    expect(dear.code).toBe(2);
    expect(dear.stderr).toMatch(
      /scaler\.costs\.instanceHour: .*derived from fleet\.pricePerInstanceHour .*--instance-price/,
    );
  });

  it('names the bad scaler fields in the same message as the bad fleet and control fields', () => {
    const file = JSON.stringify({
      name: 'bad',
      extends: 'elastic-ci',
      fleet: { maxSize: 0 },
      control: { scheduleSec: 0 },
      scaler: { idlePool: { idleCount: 'two' }, typo: true },
    });
    const result = cli(['-p', 'bad.json'], { 'bad.json': file });
    expect(result.code).toBe(2);
    for (const field of [
      'fleet.maxSize',
      'control.scheduleSec',
      'scaler.idlePool.idleCount',
      'scaler.typo: unknown option',
    ]) {
      expect(result.stderr).toContain(field);
    }
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

  it('says a policy file extends a preset, not another file', () => {
    const result = cli(['-p', 'child.json'], {
      'child.json': '{"name":"child","extends":"base.json"}',
      'base.json': '{"name":"base","extends":"elastic-ci"}',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('child.json: "extends" must name a preset');
    expect(result.stderr).toContain('a policy file cannot extend another file');
    expect(result.stderr).not.toContain('or a policy file path');
  });

  it('says which policies share a name when a file takes its name from the preset it extends', () => {
    const result = cli(['-p', 'elastic-ci,bigger.json'], {
      'bigger.json': '{"extends":"elastic-ci","fleet":{"maxSize":600}}',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('policy "elastic-ci" is given twice (elastic-ci, bigger.json)');
    expect(result.stderr).toContain('give each policy file its own "name"');
  });
});

describe('Function: runCli — import', () => {
  const EXPORT = JSON.stringify([
    {
      id: 'build-1',
      created_at: '2026-11-03T10:00:00Z',
      env: { NPM_TOKEN: 'CANARY-npm-token-51c2' },
      jobs: [
        {
          id: 'compile',
          type: 'script',
          command: 'make',
          agent_query_rules: ['queue=default'],
          runnable_at: '2026-11-03T10:00:01Z',
          started_at: '2026-11-03T10:00:04Z',
          finished_at: '2026-11-03T10:02:04Z',
        },
        { id: 'wait', type: 'waiter' },
        {
          id: 'unit',
          type: 'script',
          agent_query_rules: ['queue=default'],
          runnable_at: '2026-11-03T10:02:05Z',
          started_at: '2026-11-03T10:02:06Z',
          finished_at: '2026-11-03T10:03:06Z',
        },
      ],
    },
  ]);
  // Tuesday 10:00 UTC is 122,400 s after Monday 2026-11-02 00:00.
  const TRACE_TEXT = [
    '{"trace":"mine","start":"2026-11-02T00:00:00Z","spanSec":172800,"description":"imported from a Buildkite export: 1 build, 2 command jobs","jobs":2}',
    '{"job":"compile","build":"build-1","queue":"default","createdAt":122400,"durationSec":120,"dependsOn":[]}',
    '{"job":"unit","build":"build-1","queue":"default","createdAt":122400,"durationSec":60,"dependsOn":["compile"]}',
    '',
  ].join('\n');

  it('prints the trace to stdout, or writes it with --out, and says what it kept on stderr', () => {
    const printed = cli(['import', '--name', 'mine', 'builds.json'], { 'builds.json': EXPORT });
    expect(printed.code).toBe(0);
    expect(printed.stdout).toBe(TRACE_TEXT);
    expect(printed.stderr).toBe(
      'trace mine: 2 jobs from 1 build, queues default; never ran, left out: 0; created when they became runnable: 0\n',
    );
    const saved = cli(['import', '--name', 'mine', '-o', 'mine.jsonl', 'builds.json'], { 'builds.json': EXPORT });
    expect(saved.code).toBe(0);
    expect(saved.stdout).toBe('');
    expect(saved.written['mine.jsonl']).toBe(TRACE_TEXT);
    expect(saved.stderr).toMatch(/, written to mine\.jsonl\n$/);
    for (const output of [printed.stdout, printed.stderr, saved.stderr]) expect(output).not.toContain('CANARY');
  });

  it('simulates the imported trace', () => {
    const imported = cli(['import', '--name', 'mine', 'builds.json'], { 'builds.json': EXPORT });
    const result = cli(['mine.jsonl', '--policy', 'elastic-ci'], { 'mine.jsonl': imported.stdout });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('trace mine: 2 jobs');
  });

  it.each([
    [['import'], 'import needs at least one exported builds file'],
    [['import', '--name', '', 'builds.json'], '--name must not be empty'],
    [['import', '--format', 'csv', 'builds.json'], "Unknown option '--format'"],
    [['import', 'missing.json'], 'cannot read missing.json'],
  ])('exits 2 for %j with the problem and the usage line on stderr', (argv, problem) => {
    const result = cli(argv, { 'builds.json': EXPORT });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(problem);
    expect(result.stderr).toContain('Usage: elastic-ci-sim import [--name NAME] [--out FILE] BUILDS.json...');
  });

  it('exits 2 for a bad export with every problem named and no usage line, quoting nothing from the file', () => {
    const result = cli(['import', 'builds.json'], {
      'builds.json': JSON.stringify([{ id: 'b', created_at: 'CANARY-npm-token-51c2', jobs: [{ type: 'script' }] }]),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('2 problems in the Buildkite export');
    expect(result.stderr).toContain('builds.json: build 1: field "created_at"');
    expect(result.stderr).toContain('builds.json: build 1, job 1: field "id"');
    expect(result.stderr).not.toContain('Usage:');
    expect(result.stderr).not.toContain('CANARY');
  });
});

describe('Function: runCli — a Buildkite export larger than a string holds', () => {
  it('imports it chunk by chunk, never reading it as one string', () => {
    const build = (index: number) => ({
      id: `build-${index}`,
      created_at: '2026-11-03T10:00:00Z',
      jobs: [
        {
          id: `job-${index}`,
          type: 'script',
          runnable_at: '2026-11-03T10:00:01Z',
          started_at: '2026-11-03T10:00:04Z',
          finished_at: '2026-11-03T10:02:04Z',
        },
      ],
    });
    const bytes = new TextEncoder().encode(JSON.stringify(Array.from({ length: 40 }, (_, index) => build(index))));
    const out: string[] = [];
    const err: string[] = [];
    const code = runCli(['import', 'week.json'], {
      stdout: (text) => out.push(text),
      stderr: (text) => err.push(text),
      // What Node's readFileSync(path, 'utf8') does for a file over 512 MiB.
      readTextFile: () => {
        throw new Error('Cannot create a string longer than 0x1fffffe8 characters');
      },
      readFileChunks: function* () {
        for (let start = 0; start < bytes.length; start += 100) yield bytes.slice(start, start + 100);
      },
      writeTextFile: () => undefined,
    });
    expect(err.join('')).toContain('trace imported: 40 jobs from 40 builds');
    expect(code).toBe(0);
    expect(out.join('').trim().split('\n')).toHaveLength(41);
  });
});

describe('Function: runCli — frontier', () => {
  it('prints the frontier table, or JSON with every setting simulated', () => {
    const table = cli(['frontier', 'tiny.jsonl'], { 'tiny.jsonl': TRACE });
    const json = cli(['frontier', '--json', '--seed', '2', 'tiny.jsonl'], { 'tiny.jsonl': TRACE });

    expect(table.code).toBe(0);
    expect(table.stdout).toContain(
      "elastic-ci's wait/cost frontier on tiny (queue default, seed 1): 36 settings simulated",
    );
    expect(table.stdout).toContain('Buildkite variants: tuned ');
    expect(table.stderr).toBe('simulating 36 settings and the Buildkite variants on tiny…\n');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as {
      seed: number;
      points: unknown[];
      frontier: unknown[];
      variants: unknown[];
    };
    expect(report).toMatchObject({ seed: 2 });
    expect(report.points).toHaveLength(36);
    expect(report.variants).toHaveLength(4);
    expect(report.frontier.length).toBeGreaterThan(0);
  });

  it('takes the physics options: every setting and variant priced at your instance price', () => {
    type Report = { variants: { cost: number }[]; points: { cost: number }[] };
    const run = (extra: string[]) =>
      JSON.parse(cli(['frontier', '--json', ...extra, 'tiny.jsonl'], { 'tiny.jsonl': TRACE }).stdout) as Report;
    const own = run([]);
    const dearer = run(['--instance-price', '1.7', '--boot-sec', '60']);
    const table = cli(['frontier', '--instance-price', '1.7', '--boot-sec', '60', 'tiny.jsonl'], {
      'tiny.jsonl': TRACE,
    });

    expect(table.stdout).toContain('(queue default, seed 1, compute $1.7/h, boot 60 s)');
    expect(dearer).toMatchObject({ physics: { instancePricePerHour: 1.7, bootMedianSec: 60 } });

    for (const [index, variant] of dearer.variants.entries()) {
      expect(variant.cost).toBeGreaterThan((own.variants[index] as { cost: number }).cost);
    }
    expect(Math.min(...dearer.points.map((point) => point.cost))).toBeGreaterThan(
      Math.max(...own.points.map((point) => point.cost)),
    );
  });

  it('exits 2 with its usage line for bad arguments, and prints the usage for --help', () => {
    for (const argv of [
      ['frontier', '--seed', 'x', 'tiny.jsonl'],
      ['frontier', 'tiny.jsonl', 'other.jsonl'],
      ['frontier', '--policy', 'elastic-ci'],
    ]) {
      const result = cli(argv, { 'tiny.jsonl': TRACE });
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toContain(FRONTIER_USAGE);
      expect(result.stdout).toBe('');
    }
    const late = cli(['frontier', '--measure-from', '1d', 'tiny.jsonl'], { 'tiny.jsonl': TRACE });
    expect(late.code).toBe(2);
    expect(late.stderr).toContain('--measure-from 1d leaves no job to measure');
    const help = cli(['frontier', '--help']);
    expect(help).toMatchObject({ code: 0, stdout: `${FRONTIER_USAGE}\n` });
  });
});
