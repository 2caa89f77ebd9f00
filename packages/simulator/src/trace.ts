import * as z from 'zod';
import { type TraceIssue, TraceParseError } from './errors.js';

/** One job of a trace, with its dependencies resolved to indices into `Trace.jobs`. */
export interface TraceJob {
  readonly id: string;
  readonly build: string;
  readonly queue: string;
  /** Seconds after the trace start when the build was created: the job exists from then on. */
  readonly createdAtSec: number;
  readonly durationSec: number;
  /** Indices of the jobs that must finish before this one is *scheduled*. */
  readonly dependsOn: readonly number[];
  /** 1-based line in the source file, for error messages. */
  readonly line: number;
}

export interface Trace {
  readonly name: string;
  /** Wall-clock time of t = 0, in epoch milliseconds. */
  readonly startEpochMs: number;
  readonly spanSec: number;
  readonly description: string;
  readonly jobs: readonly TraceJob[];
  /** Distinct queue names, in order of first appearance. */
  readonly queues: readonly string[];
}

const headerSchema = z.object({
  trace: z.string().min(1),
  start: z.iso.datetime({ offset: true }),
  spanSec: z.number().finite().nonnegative(),
  description: z.string().default(''),
  jobs: z.number().int().nonnegative().optional(),
});

const jobSchema = z.object({
  job: z.string().min(1),
  build: z.string().min(1),
  queue: z.string().min(1),
  createdAt: z.number().finite().nonnegative(),
  durationSec: z.number().finite().nonnegative(),
  dependsOn: z.array(z.string().min(1)).default([]),
});

function describeZodIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.join('.');
      return path ? `field "${path}": ${issue.message}` : issue.message;
    })
    .join('; ');
}

function parseJsonLine(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, message: `not valid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}

/** Finds one dependency cycle among `remaining` jobs (all of which are in or behind a cycle) as a list of indices. */
function findCycle(jobs: readonly { dependsOn: readonly number[] }[], remaining: ReadonlySet<number>): number[] {
  const start = remaining.values().next().value as number;
  const seenAt = new Map<number, number>();
  const path: number[] = [];
  let current = start;
  // Every remaining job has at least one remaining dependency, so this walk must revisit a job.
  while (!seenAt.has(current)) {
    seenAt.set(current, path.length);
    path.push(current);
    const job = jobs[current] as { dependsOn: readonly number[] };
    current = job.dependsOn.find((dependency) => remaining.has(dependency)) as number;
  }
  return path.slice(seenAt.get(current));
}

/**
 * Parses a JSONL trace (see `../shared/traces/README.md`). Every problem — bad JSON, a missing or mistyped field, a
 * duplicate id, a dependency on an unknown job, a dependency cycle, no job at all — is collected with its line number and thrown
 * as one `TraceParseError`.
 */
export function parseTrace(text: string, source = 'trace'): Trace {
  const issues: TraceIssue[] = [];
  const lines = text.split('\n');
  let header: z.output<typeof headerSchema> | undefined;
  const rawJobs: { value: z.output<typeof jobSchema>; line: number }[] = [];

  for (let index = 0; index < lines.length; index += 1) {
    const lineNumber = index + 1;
    const content = (lines[index] as string).trim();
    if (content === '') continue;
    const parsed = parseJsonLine(content);
    // The first non-blank line is the header whatever it holds, so a broken header is named as one and the job
    // lines after it are still checked.
    if (header === undefined) {
      const result = parsed.ok ? headerSchema.safeParse(parsed.value) : undefined;
      if (result?.success) {
        header = result.data;
        continue;
      }
      const problem = result === undefined ? (parsed as { message: string }).message : describeZodIssues(result.error);
      issues.push({ line: lineNumber, message: `bad header (expected {"trace", "start", "spanSec", …}): ${problem}` });
      header = { trace: source, start: '1970-01-01T00:00:00Z', spanSec: 0, description: '' };
      continue;
    }
    if (!parsed.ok) {
      issues.push({ line: lineNumber, message: parsed.message });
      continue;
    }
    const result = jobSchema.safeParse(parsed.value);
    if (!result.success) {
      issues.push({ line: lineNumber, message: `bad job: ${describeZodIssues(result.error)}` });
      continue;
    }
    rawJobs.push({ value: result.data, line: lineNumber });
  }

  if (header === undefined) {
    throw new TraceParseError(source, [{ line: 1, message: 'empty trace: expected a header line and job lines' }]);
  }

  const indexById = new Map<string, number>();
  rawJobs.forEach(({ value, line }, index) => {
    const first = indexById.get(value.job);
    if (first === undefined) {
      indexById.set(value.job, index);
    } else {
      issues.push({
        line,
        message: `duplicate job id "${value.job}" (first on line ${(rawJobs[first] as { line: number }).line})`,
      });
    }
  });

  const jobs: TraceJob[] = rawJobs.map(({ value, line }) => {
    const dependsOn: number[] = [];
    for (const dependency of value.dependsOn) {
      const dependencyIndex = indexById.get(dependency);
      if (dependencyIndex === undefined) {
        issues.push({ line, message: `job "${value.job}" depends on unknown job "${dependency}"` });
      } else if (dependency === value.job) {
        issues.push({ line, message: `job "${value.job}" depends on itself` });
      } else if (!dependsOn.includes(dependencyIndex)) {
        dependsOn.push(dependencyIndex);
      }
    }
    return {
      id: value.job,
      build: value.build,
      queue: value.queue,
      createdAtSec: value.createdAt,
      durationSec: value.durationSec,
      dependsOn,
      line,
    };
  });

  if (rawJobs.length === 0 && issues.length === 0) {
    issues.push({ line: 1, message: 'no job lines after the header: nothing to simulate' });
  }

  if (header.jobs !== undefined && header.jobs !== jobs.length && issues.length === 0) {
    issues.push({ line: 1, message: `header says ${header.jobs} jobs but the file has ${jobs.length}` });
  }

  if (issues.length === 0) {
    // Kahn's algorithm: whatever cannot be ordered is in (or stuck behind) a cycle.
    const remainingDependencies = jobs.map((job) => job.dependsOn.length);
    const dependents: number[][] = jobs.map(() => []);
    jobs.forEach((job, index) => {
      for (const dependency of job.dependsOn) (dependents[dependency] as number[]).push(index);
    });
    const ready = remainingDependencies.flatMap((count, index) => (count === 0 ? [index] : []));
    let ordered = 0;
    while (ready.length > 0) {
      const index = ready.pop() as number;
      ordered += 1;
      for (const dependent of dependents[index] as number[]) {
        remainingDependencies[dependent] = (remainingDependencies[dependent] as number) - 1;
        if (remainingDependencies[dependent] === 0) ready.push(dependent);
      }
    }
    if (ordered < jobs.length) {
      const remaining = new Set(remainingDependencies.flatMap((count, index) => (count > 0 ? [index] : [])));
      const cycle = findCycle(jobs, remaining);
      const first = jobs[cycle[0] as number] as TraceJob;
      const names = [...cycle, cycle[0] as number].map((index) => `"${(jobs[index] as TraceJob).id}"`);
      issues.push({
        line: first.line,
        message: `dependency cycle: ${names.join(' → ')} (${remaining.size} jobs can never be scheduled)`,
      });
    }
  }

  if (issues.length > 0) {
    issues.sort((a, b) => a.line - b.line);
    throw new TraceParseError(source, issues);
  }

  const queues: string[] = [];
  for (const job of jobs) if (!queues.includes(job.queue)) queues.push(job.queue);

  return {
    name: header.trace,
    startEpochMs: Date.parse(header.start),
    spanSec: header.spanSec,
    description: header.description,
    jobs,
    queues,
  };
}
