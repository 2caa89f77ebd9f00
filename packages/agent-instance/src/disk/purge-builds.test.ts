import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BusyJob } from '../protection/busy-jobs.js';
import { recordingLogger } from '../protection/test-fakes.js';
import type { FileSystemStats } from './decide-disk.js';
import { runDiskCheck } from './disk-check.js';
import { decideBuildPurge, purgeBuilds } from './purge-builds.js';

const job = (jobId: string): BusyJob => ({ jobId, agentPid: 100, startedAt: undefined, bootId: undefined });

let scratch: string;
let builds: string;
beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'purge-builds-'));
  builds = join(scratch, 'var/lib/buildkite-agent/builds');
  for (const dir of [
    'agent-1/acme/current-pipeline/.git',
    'agent-1/acme/old-pipeline/src',
    'agent-1/other-org/x',
    'agent-2/acme/another',
    '.docker-config/job-current',
  ]) {
    await mkdir(join(builds, dir), { recursive: true });
  }
  await writeFile(join(builds, 'agent-1/acme/current-pipeline/.git/HEAD'), 'ref: main\n');
  await writeFile(join(builds, 'agent-1/acme/old-pipeline/src/big'), 'x'.repeat(1000));
  await writeFile(join(builds, 'stray-file'), 'x');
  await mkdir(join(scratch, 'outside'));
  await writeFile(join(scratch, 'outside/precious'), 'keep me');
  await symlink(join(scratch, 'outside'), join(builds, 'agent-1/acme/escape'));
});
afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function tree(dir: string, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = `${prefix}${entry.name}`;
    found.push(path);
    if (entry.isDirectory()) found.push(...(await tree(join(dir, entry.name), `${path}/`)));
  }
  return found.sort();
}

function purge(overrides: { busyJobs?: BusyJob[]; checkout?: string | undefined; jobId?: string } = {}) {
  const locks: string[] = [];
  const log = recordingLogger();
  const outcome = purgeBuilds({
    buildsDir: builds,
    currentJobId: overrides.jobId ?? 'job-current',
    currentCheckoutPath: 'checkout' in overrides ? overrides.checkout : join(builds, 'agent-1/acme/current-pipeline'),
    listBusyJobs: async () => {
      locks.push('list');
      return overrides.busyJobs ?? [job('job-current')];
    },
    holdingLock: async (body) => {
      locks.push('lock');
      const result = await body();
      locks.push('unlock');
      return result;
    },
    log,
  });
  return { outcome, locks, log };
}

describe('purgeBuilds', () => {
  it("deletes every checkout except the running job's, its parent directories and the jobs' Docker configs", async () => {
    const { outcome, locks } = purge();
    expect(await outcome).toMatchObject({ purged: true });
    expect(await tree(builds)).toEqual([
      '.docker-config',
      '.docker-config/job-current',
      'agent-1',
      'agent-1/acme',
      'agent-1/acme/current-pipeline',
      'agent-1/acme/current-pipeline/.git',
      'agent-1/acme/current-pipeline/.git/HEAD',
    ]);
    // The symlink was removed, not followed.
    expect(await tree(join(scratch, 'outside'))).toEqual(['precious']);
    expect(locks).toEqual(['lock', 'list', 'unlock']);
  });

  it('purges nothing while another job runs on the instance (its checkout path is not recorded)', async () => {
    const before = await tree(builds);
    const { outcome, log } = purge({ busyJobs: [job('job-current'), job('job-on-agent-2')] });
    expect(await outcome).toEqual({ purged: false, removed: [] });
    expect(await tree(builds)).toEqual(before);
    expect(log.lines.some((line) => line.includes('1 other job(s) running'))).toBe(true);
  });

  it('purges everything (but the Docker configs) when no job runs, as from the disk-check timer', async () => {
    const { outcome } = purge({ busyJobs: [], checkout: undefined, jobId: '' });
    expect(await outcome).toMatchObject({ purged: true });
    expect(await tree(builds)).toEqual(['.docker-config', '.docker-config/job-current']);
  });
});

describe('decideBuildPurge', () => {
  it('never purges when the current checkout is the build path or holds it', () => {
    for (const checkout of ['/b', '/b/', '/']) {
      expect(
        decideBuildPurge({ buildsDir: '/b', currentJobId: 'j', currentCheckoutPath: checkout, busyJobs: [] }),
      ).toMatchObject({ purge: false });
    }
    expect(
      decideBuildPurge({
        buildsDir: '/b',
        currentJobId: 'j',
        currentCheckoutPath: '/b/a/../c/d',
        busyJobs: [job('j')],
      }),
    ).toEqual({ purge: true, keep: ['/b/c/d'] });
  });
});

describe('runDiskCheck with disk.purgeBuildsOnDiskFull', () => {
  const GIB = 1024 ** 3;
  const stats = (freeGib: number): FileSystemStats => ({
    bsize: 4096,
    bavail: (freeGib * GIB) / 4096,
    files: 0,
    ffree: 0,
  });
  const request = {
    paths: ['/var/lib/buildkite-agent/builds'],
    thresholds: { minFreeGigabytes: 5, minFreeInodesPercent: 10 },
    prune: { until: '4h', builderPrune: false },
  };
  function setup(freeAfterPrune: number, freeAfterPurge: number) {
    const events: string[] = [];
    let free = 1;
    return {
      events,
      deps: {
        root: '/scratch',
        statfs: async () => stats(free),
        runner: async (program: string) => {
          events.push(program);
          free = freeAfterPrune;
          return { exitCode: 0, stdout: '', stderr: '' };
        },
        log: recordingLogger(),
        purgeBuilds: async () => {
          events.push('purge');
          free = freeAfterPurge;
          return { purged: true };
        },
      },
    };
  }

  it('purges only when pruning did not free enough, then checks again', async () => {
    const enough = setup(20, 20);
    expect(await runDiskCheck(request, enough.deps)).toMatchObject({ ok: true, pruned: true });
    expect(enough.events).toEqual(['docker']);

    const afterPurge = setup(2, 20);
    expect(await runDiskCheck(request, afterPurge.deps)).toMatchObject({ ok: true, pruned: true, purged: true });
    expect(afterPurge.events).toEqual(['docker', 'purge']);

    const stillLow = setup(2, 3);
    expect(await runDiskCheck(request, stillLow.deps)).toMatchObject({ ok: false, purged: true });
    expect(stillLow.deps.log.lines.some((line) => line.includes('after pruning and purging build checkouts'))).toBe(
      true,
    );
  });

  it('never purges without --prune', async () => {
    const low = setup(2, 20);
    expect(await runDiskCheck({ ...request, prune: undefined }, low.deps)).toMatchObject({ ok: false });
    expect(low.events).toEqual([]);
  });
});
