import * as z from 'zod';
import { BuildkiteExportError } from './errors.js';
import { jsonArrayElements } from './json-array-elements.js';

/**
 * Turns builds exported from Buildkite's REST API (`GET /v2/organizations/{org}/builds`, pages of JSON arrays, jobs
 * embedded) into a trace in the bundled traces' format, so a team can simulate its own workload before it deploys.
 *
 * What a trace needs of a job is its build, its queue, when it existed, how long it ran and what it waited for. The
 * REST API gives no job's `depends_on`, so the dependencies are rebuilt from the step order: a command job depends on
 * the command jobs of the last group before a `wait` or `block` step ahead of it in its build (such a step waits for
 * every step before it, and that group waited for the groups before it). A job exists from its own creation (its
 * build's, or later for steps a `pipeline upload` added), unless that structure does not explain when it became
 * runnable (a `block` a person unblocked, a `depends_on` between steps, a concurrency group, a retry): then it is
 * created when it became runnable (`runnable_at`), since nothing in the export says what it waited for — and without
 * those dependencies when it became runnable before they ended (an explicit `depends_on` overrides a `wait`).
 *
 * Only timings, ids and queues are kept: no command, environment, commit, message or person reaches the trace or an
 * error message (exports carry secrets in build environments and commands).
 */

const isoTime = z.iso.datetime({ offset: true });

/** The fields read from a REST job; everything else in the export is ignored. */
const restJobSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  agent_query_rules: z.array(z.string()).nullish(),
  created_at: isoTime.nullish(),
  runnable_at: isoTime.nullish(),
  started_at: isoTime.nullish(),
  finished_at: isoTime.nullish(),
});

const restBuildSchema = z.object({
  id: z.string().min(1),
  created_at: isoTime,
  jobs: z.array(z.unknown()).default([]),
});

/**
 * Step types that wait for every step before them: `waiter` (a `wait` step) and `manual` (a `block` step, named
 * `block` by newer exports). A trigger step does not hold the steps after it back by itself.
 */
const STEP_BOUNDARIES = new Set(['waiter', 'manual', 'block']);
/** A job runnable within this of its dependencies' end (or its build's creation) was released by them. */
const RELEASE_SLACK_SEC = 30;
const DAY_SEC = 86_400;
const MS_PER_SEC = 1000;

export interface ImportSummary {
  readonly builds: number;
  readonly jobs: number;
  /** Command jobs that never ran (skipped, canceled before they started, still running): not in the trace. */
  readonly notRun: number;
  /** Jobs created when they became runnable, because the step order does not explain their release. */
  readonly createdWhenRunnable: number;
  readonly queues: readonly string[];
}

export interface ImportedTrace {
  /** The trace, JSONL: the header line, then one job per line sorted by `createdAt`. */
  readonly text: string;
  readonly summary: ImportSummary;
}

interface ImportedJob {
  readonly job: string;
  readonly build: string;
  readonly queue: string;
  readonly createdAtMs: number;
  readonly durationSec: number;
  readonly dependsOn: readonly string[];
  readonly order: number;
}

/** Buildkite's default queue when a step names none. */
const DEFAULT_QUEUE = 'default';

/** The queue a job targets: its `queue=` rule, or Buildkite's `default` queue. */
export function queueOf(agentQueryRules: readonly string[] | null | undefined): string {
  for (const rule of agentQueryRules ?? []) {
    const match = /^queue=(.+)$/.exec(rule.trim());
    if (match !== null) return match[1] as string;
  }
  return DEFAULT_QUEUE;
}

/** Monday 00:00 UTC at or before `epochMs`: t = 0 of a trace, so the forecast sees the real days of the week. */
export function mondayAtOrBefore(epochMs: number): number {
  const dayStart = Math.floor(epochMs / (DAY_SEC * MS_PER_SEC)) * DAY_SEC * MS_PER_SEC;
  // 1970-01-01 was a Thursday: getUTCDay() is 0 for Sunday, 1 for Monday.
  const weekday = new Date(dayStart).getUTCDay();
  const daysSinceMonday = (weekday + 6) % 7;
  return dayStart - daysSinceMonday * DAY_SEC * MS_PER_SEC;
}

/**
 * Where a problem is and what was expected. zod's messages name the expected type or format and at most the type
 * received, never the value (exports carry secrets; a test holds a canary to that).
 */
function issuesOf(error: z.ZodError, where: string): string[] {
  return error.issues.map((issue) =>
    issue.path.length === 0
      ? `${where}: ${issue.message}`
      : `${where}: field "${issue.path.join('.')}": ${issue.message}`,
  );
}

const tenth = (value: number): number => Math.round(value * 10) / 10;

/** Command jobs that started and finished: what a build contributes to a trace. */
const jobsThatRan = (jobs: readonly z.infer<typeof restJobSchema>[]): number =>
  jobs.filter((job) => job.type === 'script' && job.started_at != null && job.finished_at != null).length;

/** `1 build`, `2 builds`. */
export function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * One export file: its text, or its bytes in chunks as read from disk (a file of tens of thousands of builds is more
 * than a JavaScript string holds; chunks are parsed build by build).
 */
export type ExportSource =
  | { readonly name: string; readonly text: string }
  | { readonly name: string; readonly chunks: Iterable<Uint8Array> };

const chunksOf = (source: ExportSource): Iterable<Uint8Array> =>
  'chunks' in source ? source.chunks : [new TextEncoder().encode(source.text)];

/**
 * Imports builds from one or more export files (`sources`, each a JSON array of builds as the REST API returns
 * them). Builds listed twice (overlapping pages) count once, as the snapshot in which more of their jobs ran. Every
 * problem in every file is collected and thrown as one `BuildkiteExportError` naming the file, the build's position,
 * the job's and the field.
 */
export function importBuildkiteBuilds(sources: readonly ExportSource[], traceName: string): ImportedTrace {
  const problems: string[] = [];
  // Only what the trace needs is kept of each build: an export's jobs carry commands, environments and URLs.
  const builds = new Map<string, { readonly created_at: string }>();
  const jobsOf = new Map<string, z.infer<typeof restJobSchema>[]>();
  for (const source of sources) {
    let index = 0;
    for (const event of jsonArrayElements(chunksOf(source))) {
      if (event.kind === 'not-an-array') {
        problems.push(
          `${source.name}: expected a JSON array of builds (one page of GET /v2/organizations/{org}/builds)`,
        );
        break;
      }
      if (event.kind === 'syntax-error') {
        const where = event.elementIndex === 0 ? '' : `, after build ${event.elementIndex}`;
        problems.push(`${source.name}: not valid JSON (syntax error${where})`);
        break;
      }
      const entry = event.value;
      index += 1;
      const where = `${source.name}: build ${index}`;
      const build = restBuildSchema.safeParse(entry);
      if (!build.success) problems.push(...issuesOf(build.error, where));
      // The jobs are checked even when the build is not, so one run names every problem.
      const rawJobs = build.success ? build.data.jobs : ((entry as { jobs?: unknown } | null)?.jobs ?? []);
      const jobs: z.infer<typeof restJobSchema>[] = [];
      (Array.isArray(rawJobs) ? rawJobs : []).forEach((rawJob: unknown, jobIndex: number) => {
        const job = restJobSchema.safeParse(rawJob);
        if (job.success) jobs.push(job.data);
        else problems.push(...issuesOf(job.error, `${where}, job ${jobIndex + 1}`));
      });
      // A build on two pages counts once: exports made at different times hold different snapshots of a build
      // that was running, so the one in which more of its jobs ran is kept.
      const kept = build.success ? jobsOf.get(build.data.id) : undefined;
      if (build.success && (kept === undefined || jobsThatRan(jobs) > jobsThatRan(kept))) {
        builds.set(build.data.id, { created_at: build.data.created_at });
        jobsOf.set(build.data.id, jobs);
      }
    }
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 20);
    const more = problems.length > shown.length ? [`… and ${problems.length - shown.length} more`] : [];
    throw new BuildkiteExportError(
      `${countOf(problems.length, 'problem')} in the Buildkite export:\n${[...shown, ...more].map((line) => `  ${line}`).join('\n')}`,
    );
  }

  const imported: ImportedJob[] = [];
  let notRun = 0;
  let createdWhenRunnable = 0;
  for (const [buildId, build] of builds) {
    const buildCreatedMs = Date.parse(build.created_at);
    // The last group of command jobs before the latest step boundary (what the next jobs wait for; it waited for the
    // groups before it), and the jobs since that boundary.
    let released: { id: string; finishedMs: number }[] = [];
    let sinceBoundary: { id: string; finishedMs: number }[] = [];
    for (const job of jobsOf.get(buildId) ?? []) {
      if (STEP_BOUNDARIES.has(job.type)) {
        if (sinceBoundary.length > 0) released = sinceBoundary;
        sinceBoundary = [];
        continue;
      }
      if (job.type !== 'script') continue;
      if (job.started_at == null || job.finished_at == null) {
        notRun += 1;
        continue;
      }
      const startedMs = Date.parse(job.started_at);
      const finishedMs = Date.parse(job.finished_at);
      const runnableMs = job.runnable_at == null ? startedMs : Date.parse(job.runnable_at);
      const existsFromMs =
        job.created_at == null ? buildCreatedMs : Math.max(buildCreatedMs, Date.parse(job.created_at));
      const dependencyEndMs = released.reduce((latest, entry) => Math.max(latest, entry.finishedMs), existsFromMs);
      // Released before the group ahead of it ended: an explicit `depends_on` took precedence over the wait (as
      // Buildkite documents), so the job did not wait for that group.
      const releasedEarly = runnableMs < dependencyEndMs - RELEASE_SLACK_SEC * MS_PER_SEC;
      const explained = !releasedEarly && runnableMs <= dependencyEndMs + RELEASE_SLACK_SEC * MS_PER_SEC;
      if (!explained) createdWhenRunnable += 1;
      imported.push({
        job: job.id,
        build: buildId,
        queue: queueOf(job.agent_query_rules),
        createdAtMs: explained ? existsFromMs : runnableMs,
        durationSec: tenth(Math.max(0, finishedMs - startedMs) / MS_PER_SEC),
        dependsOn: releasedEarly ? [] : released.map((entry) => entry.id),
        order: imported.length,
      });
      sinceBoundary.push({ id: job.id, finishedMs });
    }
  }
  if (imported.length === 0) {
    throw new BuildkiteExportError(
      `the Buildkite export has no command job that ran (${countOf(builds.size, 'build')}, ${countOf(notRun, 'job')} not run): nothing to simulate`,
    );
  }

  imported.sort((a, b) => a.createdAtMs - b.createdAtMs || a.order - b.order);
  const startMs = mondayAtOrBefore((imported[0] as ImportedJob).createdAtMs);
  const lastEndMs = imported.reduce(
    (latest, job) => Math.max(latest, job.createdAtMs + job.durationSec * MS_PER_SEC),
    startMs,
  );
  const spanSec = Math.max(1, Math.ceil((lastEndMs - startMs) / (DAY_SEC * MS_PER_SEC))) * DAY_SEC;
  const queues = [...new Set(imported.map((job) => job.queue))];
  const header = {
    trace: traceName,
    start: new Date(startMs).toISOString().replace('.000Z', 'Z'),
    spanSec,
    description: `imported from a Buildkite export: ${countOf(builds.size, 'build')}, ${countOf(imported.length, 'command job')}`,
    jobs: imported.length,
  };
  const lines = [JSON.stringify(header)];
  for (const job of imported) {
    lines.push(
      JSON.stringify({
        job: job.job,
        build: job.build,
        queue: job.queue,
        createdAt: tenth((job.createdAtMs - startMs) / MS_PER_SEC),
        durationSec: job.durationSec,
        dependsOn: job.dependsOn,
      }),
    );
  }
  return {
    text: `${lines.join('\n')}\n`,
    summary: { builds: builds.size, jobs: imported.length, notRun, createdWhenRunnable, queues },
  };
}
