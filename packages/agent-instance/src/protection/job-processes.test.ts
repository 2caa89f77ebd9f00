import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { procRunningJobIds } from './job-processes.js';

let proc: string;

async function processWith(pid: string, environ: string[]): Promise<void> {
  await mkdir(join(proc, pid), { recursive: true });
  await writeFile(join(proc, pid, 'environ'), `${environ.join('\0')}\0`);
}

beforeEach(async () => {
  proc = await mkdtemp(join(tmpdir(), 'proc-'));
});
afterEach(async () => {
  await rm(proc, { recursive: true, force: true });
});

describe('procRunningJobIds', () => {
  it('collects the job ids processes carry; the scan is complete when root read every environment', async () => {
    await processWith('1', ['PATH=/usr/bin']);
    await processWith('4242', ['HOME=/var/lib/buildkite-agent', 'BUILDKITE_JOB_ID=job-a']);
    await processWith('4243', ['BUILDKITE_JOB_ID=job-b', 'TERM=dumb']);
    await mkdir(join(proc, 'sys'));
    await writeFile(join(proc, 'uptime'), '1 1\n');

    expect(await procRunningJobIds(proc, true)()).toEqual({ ids: new Set(['job-a', 'job-b']), complete: true });
  });

  it('is not complete for a user who cannot read every process, or when a process could not be read', async () => {
    await processWith('4242', ['BUILDKITE_JOB_ID=job-a']);
    expect(await procRunningJobIds(proc, false)()).toEqual({ ids: new Set(['job-a']), complete: false });

    await mkdir(join(proc, '4244', 'environ'), { recursive: true }); // unreadable as a file (EISDIR)
    expect(await procRunningJobIds(proc, true)()).toEqual({ ids: new Set(['job-a']), complete: false });
  });

  it('counts a process that exits during the scan as gone, and a missing /proc as nothing known', async () => {
    await processWith('4242', ['BUILDKITE_JOB_ID=job-a']);
    await mkdir(join(proc, '4245')); // its environ vanished with the process
    expect(await procRunningJobIds(proc, true)()).toEqual({ ids: new Set(['job-a']), complete: true });

    expect(await procRunningJobIds(join(proc, 'absent'), true)()).toEqual({ ids: new Set(), complete: false });
  });
});
