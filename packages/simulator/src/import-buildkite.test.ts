import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparePolicies } from './compare.js';
import { BuildkiteExportError } from './errors.js';
import { importBuildkiteBuilds, mondayAtOrBefore, queueOf } from './import-buildkite.js';
import { resolvePolicy } from './resolve-policy.js';
import { parseTrace, type Trace } from './trace.js';

const CANARY = 'CANARY-bk-secret-7f3a91';

/** A REST job as the builds API embeds it, with the fields a real export carries that the importer must not keep. */
function restJob(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    graphql_id: 'Sm9iLS0t',
    name: ':test_tube: tests',
    command: `SECRET=${CANARY} make test`,
    state: fields.started_at === null ? 'skipped' : 'passed',
    agent: { name: 'ci-agent-1', meta_data: [`token=${CANARY}`] },
    ...fields,
  };
}

const t = (clock: string) => `2026-11-04T${clock}Z`;

/**
 * Two builds on Wednesday 2026-11-04 (t = 0 of the trace is Monday 2026-11-02 00:00 UTC, 172,800 s earlier):
 * build A runs a1, waits, runs a2 and a3 on queue linux, skips a5, then blocks until a person unblocks at 10:00;
 * build B runs b1 on the default queue, triggers another pipeline, and b2 becomes runnable at 09:40 (a depends_on the
 * step order does not show).
 */
const EXPORT = [
  {
    id: 'build-a',
    number: 12,
    created_at: t('09:00:00.000'),
    env: { DEPLOY_TOKEN: CANARY },
    message: `bump (${CANARY})`,
    jobs: [
      restJob({
        id: 'a1',
        type: 'script',
        agent_query_rules: ['queue=default'],
        created_at: t('09:00:00.000'),
        runnable_at: t('09:00:01.000'),
        started_at: t('09:00:05.000'),
        finished_at: t('09:05:05.000'),
      }),
      { id: 'w1', type: 'waiter' },
      restJob({
        id: 'a2',
        type: 'script',
        agent_query_rules: ['os=linux', 'queue=linux'],
        runnable_at: t('09:05:06.000'),
        started_at: t('09:05:30.000'),
        finished_at: t('09:15:30.500'),
      }),
      restJob({
        id: 'a3',
        type: 'script',
        agent_query_rules: ['queue=linux'],
        runnable_at: t('09:05:06.000'),
        started_at: t('09:07:00.000'),
        finished_at: t('09:09:00.000'),
      }),
      restJob({ id: 'a5', type: 'script', runnable_at: null, started_at: null, finished_at: null }),
      { id: 'm1', type: 'manual', unblocked_at: t('10:00:00.000') },
      restJob({
        id: 'a4',
        type: 'script',
        agent_query_rules: ['queue=default'],
        runnable_at: t('10:00:00.000'),
        started_at: t('10:00:10.000'),
        finished_at: t('10:01:10.000'),
      }),
    ],
  },
  {
    id: 'build-b',
    number: 13,
    created_at: t('09:30:00.000'),
    jobs: [
      restJob({
        id: 'b1',
        type: 'script',
        agent_query_rules: [],
        runnable_at: t('09:30:02.000'),
        started_at: t('09:30:03.000'),
        finished_at: t('09:31:03.000'),
      }),
      { id: 'tr1', type: 'trigger', name: 'deploy' },
      restJob({
        id: 'b2',
        type: 'script',
        runnable_at: t('09:40:00.000'),
        started_at: t('09:40:20.000'),
        finished_at: t('09:42:20.000'),
      }),
    ],
  },
];

// Wednesday 09:00 UTC is 2 days and 9 hours after Monday 00:00: 205,200 s.
const EXPECTED_LINES = [
  '{"trace":"team","start":"2026-11-02T00:00:00Z","spanSec":259200,"description":"imported from a Buildkite export: 2 builds, 6 command jobs","jobs":6}',
  '{"job":"a1","build":"build-a","queue":"default","createdAt":205200,"durationSec":300,"dependsOn":[]}',
  '{"job":"a2","build":"build-a","queue":"linux","createdAt":205200,"durationSec":600.5,"dependsOn":["a1"]}',
  '{"job":"a3","build":"build-a","queue":"linux","createdAt":205200,"durationSec":120,"dependsOn":["a1"]}',
  '{"job":"b1","build":"build-b","queue":"default","createdAt":207000,"durationSec":60,"dependsOn":[]}',
  '{"job":"b2","build":"build-b","queue":"default","createdAt":207600,"durationSec":120,"dependsOn":[]}',
  '{"job":"a4","build":"build-a","queue":"default","createdAt":208800,"durationSec":60,"dependsOn":["a2","a3"]}',
];

describe('Function: importBuildkiteBuilds', () => {
  it('keeps command jobs that ran, with their queue, duration and the step order as dependencies', () => {
    const { text, summary } = importBuildkiteBuilds([{ name: 'page-1.json', text: JSON.stringify(EXPORT) }], 'team');
    expect(text).toBe(`${EXPECTED_LINES.join('\n')}\n`);
    expect(summary).toEqual({ builds: 2, jobs: 6, notRun: 1, createdWhenRunnable: 2, queues: ['default', 'linux'] });
  });

  it('keeps no command, environment, message or agent detail of the export', () => {
    const { text } = importBuildkiteBuilds([{ name: 'page-1.json', text: JSON.stringify(EXPORT) }], 'team');
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain('make test');
    expect(text).not.toContain('ci-agent-1');
  });

  it('gives a trace the simulator runs: every job once, none interrupted', () => {
    const { text } = importBuildkiteBuilds([{ name: 'page-1.json', text: JSON.stringify(EXPORT) }], 'team');
    const trace = parseTrace(text, 'team');
    const [run] = comparePolicies({
      trace,
      policies: [resolvePolicy('elastic-ci', () => '')],
      seed: 1,
      queue: 'linux',
    });
    expect(run?.summary.jobs).toBe(2);
    expect(run?.summary.interruptedJobs).toBe(0);
  });

  it('counts a build listed on two overlapping pages once', () => {
    const page = JSON.stringify(EXPORT);
    const twice = importBuildkiteBuilds(
      [
        { name: 'page-1.json', text: page },
        { name: 'page-2.json', text: JSON.stringify([EXPORT[1]]) },
      ],
      'team',
    );
    expect(twice.text).toBe(`${EXPECTED_LINES.join('\n')}\n`);
    expect(twice.summary.builds).toBe(2);
  });

  it('keeps the snapshot of a build in which more of its jobs ran, whichever export comes first', () => {
    // Exported Wednesday 09:20 while build-a ran (a4 not yet started), and again in the evening when it was done.
    const running = structuredClone(EXPORT[0]) as { jobs: Record<string, unknown>[] };
    for (const job of running.jobs) {
      if (job.id === 'a4') Object.assign(job, { runnable_at: null, started_at: null, finished_at: null });
    }
    const morning = { name: 'morning.json', text: JSON.stringify([running]) };
    const evening = { name: 'evening.json', text: JSON.stringify(EXPORT) };
    for (const sources of [
      [morning, evening],
      [evening, morning],
    ]) {
      const imported = importBuildkiteBuilds(sources, 'team');
      expect(imported.text).toBe(`${EXPECTED_LINES.join('\n')}\n`);
      expect(imported.summary.notRun).toBe(1);
    }
  });

  it('creates a job when it became runnable when nothing before it explains the wait, and with its build otherwise', () => {
    const build = (runnableClock: string) => [
      {
        id: 'b',
        created_at: t('12:00:00.000'),
        jobs: [
          restJob({
            id: 'only',
            type: 'script',
            runnable_at: t(runnableClock),
            started_at: t('12:10:00.000'),
            finished_at: t('12:11:00.000'),
          }),
        ],
      },
    ];
    const createdAt = (runnableClock: string) => {
      const text = importBuildkiteBuilds([{ name: 'x.json', text: JSON.stringify(build(runnableClock)) }], 'x').text;
      return (JSON.parse(text.split('\n')[1] as string) as { createdAt: number }).createdAt;
    };
    // Wednesday 12:00 is 216,000 s after Monday 00:00; runnable 30 s after its build: released by it.
    expect(createdAt('12:00:30.000')).toBe(216_000);
    expect(createdAt('12:00:31.000')).toBe(216_031);
  });

  it('drops the step-order dependencies of a job released before they ended (an explicit depends_on)', () => {
    const build = [
      {
        id: 'b',
        created_at: t('12:00:00.000'),
        jobs: [
          restJob({
            id: 'lint',
            type: 'script',
            runnable_at: t('12:00:01.000'),
            started_at: t('12:00:02.000'),
            finished_at: t('12:01:02.000'),
          }),
          restJob({
            id: 'compile',
            type: 'script',
            runnable_at: t('12:00:01.000'),
            started_at: t('12:00:02.000'),
            finished_at: t('12:20:02.000'),
          }),
          { id: 'w', type: 'waiter' },
          // depends_on: lint only — runnable at 12:01:03, long before compile ended at 12:20:02.
          restJob({
            id: 'docs',
            type: 'script',
            runnable_at: t('12:01:03.000'),
            started_at: t('12:01:05.000'),
            finished_at: t('12:02:05.000'),
          }),
        ],
      },
    ];
    const lines = importBuildkiteBuilds([{ name: 'x.json', text: JSON.stringify(build) }], 'x').text.split('\n');
    // Wednesday 12:00 is 216,000 s after Monday 00:00; docs appears when it became runnable, 63 s later.
    expect(JSON.parse(lines[3] as string)).toEqual({
      job: 'docs',
      build: 'b',
      queue: 'default',
      createdAt: 216_063,
      durationSec: 60,
      dependsOn: [],
    });
  });

  it.each([
    ['monorepo-fanout', 4],
    ['weekday-team', 40],
  ])('rebuilds the jobs of %s (first %i builds) from its builds as the API would list them', (name, count) => {
    const original = bundledTrace(name);
    const builds = [...new Set(original.jobs.map((job) => job.build))].slice(0, count);
    const slice = original.jobs.filter((job) => builds.includes(job.build));
    const imported = parseTrace(
      importBuildkiteBuilds([{ name: 'x.json', text: JSON.stringify(restBuildsOf(original, builds)) }], 'x').text,
      'x',
    );
    expect(imported.startEpochMs).toBe(original.startEpochMs);
    expect(imported.jobs).toHaveLength(slice.length);
    const byId = new Map(imported.jobs.map((job) => [job.id, job]));
    for (const job of slice) {
      const copy = byId.get(job.id);
      expect(copy?.build).toBe(job.build);
      expect(copy?.createdAtSec).toBeCloseTo(job.createdAtSec, 1);
      expect(copy?.durationSec).toBeCloseTo(job.durationSec, 1);
      const dependencyIds = (trace: Trace, indices: readonly number[]) =>
        indices.map((index) => trace.jobs[index]?.id).sort();
      expect(dependencyIds(imported, copy?.dependsOn ?? [])).toEqual(dependencyIds(original, job.dependsOn));
    }
  });

  it("simulates weekday-team's Monday, exported and imported, exactly as the bundled trace", () => {
    const path = fileURLToPath(new URL('../traces/weekday-team.jsonl', import.meta.url));
    const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
    const monday = lines.filter((line) => (JSON.parse(line) as { createdAt: number }).createdAt < 86_400);
    const { jobs: _count, ...rest } = JSON.parse(header as string) as Record<string, unknown>;
    const week = parseTrace([JSON.stringify(rest), ...monday].join('\n'), 'weekday-team');
    const builds = [...new Set(week.jobs.map((job) => job.build))];
    const imported = parseTrace(
      importBuildkiteBuilds([{ name: 'x.json', text: JSON.stringify(restBuildsOf(week, builds)) }], 'x').text,
      'x',
    );
    // The export covers whole days up to its last job's end (Monday's office hours: one), not the bundled trace's
    // week: a warm pool's stopped instances are billed to the end of the span, so compare over the same span.
    expect(imported.spanSec).toBe(86_400);
    const original = { ...week, spanSec: imported.spanSec };
    const summaries = (trace: Trace) =>
      comparePolicies({
        trace,
        policies: ['buildkite-tuned', 'elastic-ci'].map((name) => resolvePolicy(name, () => '')),
        seed: 1,
      }).map(({ summary }) => [summary.jobs, summary.waitSec.p95, summary.cost.total]);
    expect(imported.jobs).toHaveLength(monday.length);
    expect(summaries(imported)).toEqual(summaries(original));
  });

  it('names every problem by file, build, job and field, without quoting values from the export', () => {
    const bad = [
      { id: 'ok', created_at: CANARY, jobs: [] },
      { id: 'b2', created_at: t('09:00:00.000'), jobs: [{ id: 'j', type: 'script', started_at: CANARY }] },
      { created_at: t('09:00:00.000') },
      7,
    ];
    const attempt = () =>
      importBuildkiteBuilds(
        [
          { name: 'bad.json', text: JSON.stringify(bad) },
          { name: 'broken.json', text: `[{"id": "${CANARY}"` },
          { name: 'object.json', text: '{"builds": []}' },
        ],
        'x',
      );
    expect(attempt).toThrow(BuildkiteExportError);
    const message = (() => {
      try {
        attempt();
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(message).toContain('6 problems in the Buildkite export');
    expect(message).toContain('bad.json: build 4: Invalid input: expected object, received number');
    expect(message).toContain('bad.json: build 1: field "created_at"');
    expect(message).toContain('bad.json: build 2, job 1: field "started_at"');
    expect(message).toContain('bad.json: build 3: field "id"');
    expect(message).toContain('broken.json: not valid JSON');
    expect(message).toContain('object.json: expected a JSON array of builds');
    expect(message).not.toContain(CANARY);
  });

  it('imports the README example: deploys behind a block appear when unblocked, the blocked one is left out', () => {
    const path = fileURLToPath(new URL('../examples/buildkite-builds.json', import.meta.url));
    const { text, summary } = importBuildkiteBuilds([{ name: path, text: readFileSync(path, 'utf8') }], 'example');
    // Six builds of upload + docker build, four tests and a deploy; the sixth build's deploy is still blocked.
    expect(summary).toEqual({ builds: 6, jobs: 41, notRun: 1, createdWhenRunnable: 5, queues: ['default', 'deploy'] });
    const trace = parseTrace(text, 'example');
    const ids = (indices: readonly number[]) => indices.map((index) => trace.jobs[index]?.id);
    const deploy = trace.jobs.find((job) => job.id === '01930000-deploy');
    expect(deploy?.queue).toBe('deploy');
    expect(ids(deploy?.dependsOn ?? [])).toEqual([
      '01930000-test-0',
      '01930000-test-1',
      '01930000-test-2',
      '01930000-test-3',
    ]);
    const test = trace.jobs.find((job) => job.id === '01930000-test-0');
    expect(ids(test?.dependsOn ?? [])).toEqual(['01930000-upload', '01930000-build']);
    // The first build was created on Tuesday 2026-11-03 08:40 UTC: 117,600 s after Monday 00:00.
    expect(trace.jobs[0]?.createdAtSec).toBe(117_600);
  });

  it('refuses an export in which no command job ran', () => {
    const skipped = [
      {
        id: 'b',
        created_at: t('09:00:00.000'),
        jobs: [restJob({ id: 's', type: 'script', started_at: null, finished_at: null })],
      },
    ];
    expect(() => importBuildkiteBuilds([{ name: 'x.json', text: JSON.stringify(skipped) }], 'x')).toThrow(
      /no command job that ran \(1 build, 1 job not run\)/,
    );
  });
});

describe('Function: queueOf', () => {
  it('reads the queue rule among the others, and falls back to the default queue', () => {
    expect(queueOf(['os=linux', 'queue=gpu'])).toBe('gpu');
    expect(queueOf(['os=linux'])).toBe('default');
    expect(queueOf([])).toBe('default');
    expect(queueOf(null)).toBe('default');
    expect(queueOf(undefined)).toBe('default');
  });
});

describe('Function: mondayAtOrBefore', () => {
  it('is a Monday 00:00 UTC at most a week before the time', () => {
    // 2026-11-02 is a Monday.
    expect(mondayAtOrBefore(Date.parse('2026-11-02T00:00:00Z'))).toBe(Date.parse('2026-11-02T00:00:00Z'));
    expect(mondayAtOrBefore(Date.parse('2026-11-08T23:59:59Z'))).toBe(Date.parse('2026-11-02T00:00:00Z'));
    expect(mondayAtOrBefore(Date.parse('2026-11-09T00:00:00Z'))).toBe(Date.parse('2026-11-09T00:00:00Z'));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (epochMs) => {
        const monday = mondayAtOrBefore(epochMs);
        const date = new Date(monday);
        expect(date.getUTCDay()).toBe(1);
        expect(monday % 86_400_000 === 0).toBe(true);
        expect(monday).toBeLessThanOrEqual(epochMs);
        expect(epochMs - monday).toBeLessThan(7 * 86_400_000);
      }),
    );
  });
});

function bundledTrace(name: string): Trace {
  const path = fileURLToPath(new URL(`../traces/${name}.jsonl`, import.meta.url));
  return parseTrace(readFileSync(path, 'utf8'), name);
}

/**
 * The given builds of a trace as the REST API lists them: jobs in step order (by depth in the build's dependency
 * graph), each a command step, a `wait` step between depths (the bundled traces' dependencies are whole earlier
 * steps), and every job started the moment it was runnable (its build's creation or its dependencies' end) so the
 * export's timings are the trace's.
 */
function restBuildsOf(trace: Trace, builds: readonly string[]): unknown[] {
  const iso = (sec: number) => new Date(trace.startEpochMs + Math.round(sec * 1000)).toISOString();
  const endSec = new Map<number, number>();
  const endOf = (index: number): number => {
    const known = endSec.get(index);
    if (known !== undefined) return known;
    const job = trace.jobs[index];
    if (job === undefined) throw new Error(`no job ${index}`);
    const start = Math.max(job.createdAtSec, ...job.dependsOn.map(endOf));
    endSec.set(index, start + job.durationSec);
    return start + job.durationSec;
  };
  return builds.map((build) => {
    const depthOf = (index: number): number => Math.max(-1, ...(trace.jobs[index]?.dependsOn ?? []).map(depthOf)) + 1;
    const indices = trace.jobs
      .flatMap((job, index) => (job.build === build ? [index] : []))
      .sort((a, b) => depthOf(a) - depthOf(b));
    const jobs: unknown[] = [];
    let previousDepth = 0;
    for (const index of indices) {
      const job = trace.jobs[index];
      if (job === undefined) continue;
      if (depthOf(index) !== previousDepth) jobs.push({ id: `wait-${index}`, type: 'waiter' });
      previousDepth = depthOf(index);
      const startSec = endOf(index) - job.durationSec;
      jobs.push({
        id: job.id,
        type: 'script',
        agent_query_rules: [`queue=${job.queue}`],
        runnable_at: iso(startSec),
        started_at: iso(startSec),
        finished_at: iso(startSec + job.durationSec),
      });
    }
    const first = trace.jobs[indices[0] as number];
    return { id: build, created_at: iso(first?.createdAtSec ?? 0), jobs };
  });
}
