import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The busy-job counter: one file per running job in `busy-jobs/`, named by the job id and holding the pid and id of
 * the agent that runs it. Several agents on one instance (spawn > 1) each add and remove their own file; the count is the
 * number of files whose agent is alive. Callers hold the protection lock while they change the directory.
 */
export interface BusyJob {
  readonly jobId: string;
  /** The agent process (`BUILDKITE_AGENT_PID`); undefined when the file is unreadable or damaged. */
  readonly agentPid: number | undefined;
  /**
   * The agent (`BUILDKITE_AGENT_ID`): with spawn > 1 every agent runs in the same process, so the pid alone cannot
   * tell them apart. Undefined in records written without it.
   */
  readonly agentId?: string | undefined;
  /** The agent process's start time (`processStartTicks`): with the pid it names that one process for the boot. */
  readonly agentStartTicks?: number | undefined;
  readonly startedAt: string | undefined;
  /** `/proc/sys/kernel/random/boot_id` when the job started: after a reboot every pid names another process. */
  readonly bootId: string | undefined;
}

/** Buildkite job ids are UUIDs; anything else must not become a path. */
const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

export function isValidJobId(jobId: string): boolean {
  return JOB_ID.test(jobId);
}

export async function listBusyJobs(dir: string): Promise<BusyJob[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const jobs = await Promise.all(
    names
      .filter((name) => !name.startsWith('.'))
      .sort()
      .map(async (name): Promise<BusyJob> => {
        const text = await readFile(join(dir, name), 'utf8').catch(() => '');
        return { jobId: name, ...parseJobFile(text) };
      }),
  );
  return jobs;
}

function parseJobFile(text: string): Omit<BusyJob, 'jobId'> {
  try {
    const parsed = JSON.parse(text) as {
      agentPid?: unknown;
      agentId?: unknown;
      agentStartTicks?: unknown;
      startedAt?: unknown;
      bootId?: unknown;
    };
    const pid = parsed.agentPid;
    const ticks = parsed.agentStartTicks;
    return {
      agentPid: typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined,
      agentId: typeof parsed.agentId === 'string' && parsed.agentId !== '' ? parsed.agentId : undefined,
      agentStartTicks: typeof ticks === 'number' && Number.isSafeInteger(ticks) && ticks >= 0 ? ticks : undefined,
      startedAt: typeof parsed.startedAt === 'string' ? parsed.startedAt : undefined,
      bootId: typeof parsed.bootId === 'string' ? parsed.bootId : undefined,
    };
  } catch {
    return { agentPid: undefined, agentId: undefined, startedAt: undefined, bootId: undefined };
  }
}

/** Written to a temporary name and renamed, so a reader never sees half a file. */
export async function addBusyJob(
  dir: string,
  job: {
    jobId: string;
    agentPid: number;
    agentId?: string | undefined;
    agentStartTicks?: number | undefined;
    startedAt: string;
    bootId: string | undefined;
  },
): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const temporary = join(dir, `.${job.jobId}.tmp`);
  await writeFile(
    temporary,
    `${JSON.stringify({ agentPid: job.agentPid, agentId: job.agentId, agentStartTicks: job.agentStartTicks, startedAt: job.startedAt, bootId: job.bootId })}\n`,
    {
      mode: 0o644,
    },
  );
  await rename(temporary, join(dir, job.jobId));
}

/** Resolves to whether the file existed. */
export async function removeBusyJob(dir: string, jobId: string): Promise<boolean> {
  try {
    await unlink(join(dir, jobId));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
