import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDiskCheckArgs } from '../commands/disk-check.js';
import { recordingLogger } from '../protection/test-fakes.js';
import type { CommandRunner } from '../terminate/command-runner.js';
import { checkDisk, type FileSystemStats } from './decide-disk.js';
import { replaceInstanceWhenFull, runDiskCheck } from './disk-check.js';
import { durationSeconds, renderDockerPruneTimer, renderDockerPruneUnits } from './docker-prune-timer.js';

const GIB = 1024 ** 3;
const thresholds = { minFreeGigabytes: 5, minFreeInodesPercent: 10 };
const stats = (freeGib: number, freeInodesPercent: number): FileSystemStats => ({
  bsize: 4096,
  bavail: (freeGib * GIB) / 4096,
  files: 1000,
  ffree: freeInodesPercent * 10,
});

describe('checkDisk', () => {
  it('passes above both thresholds and names each one crossed', () => {
    expect(checkDisk('/var/lib/buildkite-agent/builds', stats(6, 50), thresholds).ok).toBe(true);
    const low = checkDisk('/b', stats(4, 5), thresholds);
    expect(low.ok).toBe(false);
    expect(low.problems).toEqual([
      '/b: 4.0 GiB free, below disk.minFreeGigabytes (5 GiB)',
      '/b: 5.0% of inodes free, below disk.minFreeInodesPercent (10%)',
    ]);
  });

  it('skips the inode check on file systems without an inode count', () => {
    expect(checkDisk('/b', { bsize: 4096, bavail: (10 * GIB) / 4096, files: 0, ffree: 0 }, thresholds).ok).toBe(true);
  });

  it('is ok exactly when both free space and free inodes reach their thresholds', () => {
    fc.assert(
      fc.property(fc.nat(100), fc.nat(100), fc.nat(100), fc.nat(100), (freeGib, freeInodes, minGib, minInodes) => {
        const verdict = checkDisk('/b', stats(freeGib, freeInodes), {
          minFreeGigabytes: minGib,
          minFreeInodesPercent: minInodes,
        });
        expect(verdict.ok).toBe(freeGib >= minGib && freeInodes >= minInodes);
      }),
    );
  });
});

describe('runDiskCheck', () => {
  function setup(afterPrune: FileSystemStats) {
    let pruned = false;
    const commands: string[][] = [];
    const runner: CommandRunner = async (program, args) => {
      commands.push([program, ...args]);
      pruned = true;
      return { exitCode: 0, stdout: '', stderr: '' };
    };
    const deps = {
      root: '/scratch',
      statfs: async () => (pruned ? afterPrune : stats(1, 50)),
      runner,
      log: recordingLogger(),
    };
    return { commands, deps };
  }
  const request = {
    paths: ['/var/lib/buildkite-agent/builds', '/var/lib/docker'],
    thresholds,
    prune: { until: '4h', builderPrune: true },
  };

  it('prunes images and the build cache with the configured window, then passes when space came back', async () => {
    const { commands, deps } = setup(stats(20, 50));
    const outcome = await runDiskCheck(request, deps);
    expect(outcome).toMatchObject({ ok: true, pruned: true });
    expect(commands).toEqual([
      ['docker', 'image', 'prune', '--all', '--force', '--filter', 'until=4h'],
      ['docker', 'builder', 'prune', '--all', '--force', '--filter', 'until=4h'],
    ]);
  });

  it('fails when pruning did not free enough', async () => {
    const { deps } = setup(stats(2, 50));
    expect(await runDiskCheck(request, deps)).toMatchObject({ ok: false, pruned: true });
    expect(deps.log.lines.some((line) => line.includes('disk still low after pruning'))).toBe(true);
  });

  it('never prunes without --prune, nor when the disk is fine', async () => {
    const low = setup(stats(20, 50));
    expect(await runDiskCheck({ ...request, prune: undefined }, low.deps)).toMatchObject({ ok: false, pruned: false });
    expect(low.commands).toEqual([]);
    const fine = setup(stats(20, 50));
    fine.deps.statfs = async () => stats(20, 50);
    expect(await runDiskCheck(request, fine.deps)).toMatchObject({ ok: true, pruned: false });
    expect(fine.commands).toEqual([]);
  });
});

describe('replaceInstanceWhenFull', () => {
  const full = { ok: false, pruned: true, verdicts: [] };
  it('marks the instance unhealthy only when pruning did not free enough', async () => {
    const calls: string[] = [];
    const deps = { setUnhealthy: async () => void calls.push('unhealthy'), log: recordingLogger() };
    expect(await replaceInstanceWhenFull({ ...full, ok: true }, deps)).toBe(false);
    expect(await replaceInstanceWhenFull({ ...full, pruned: false }, deps)).toBe(false);
    expect(calls).toEqual([]);
    expect(await replaceInstanceWhenFull(full, deps)).toBe(true);
    expect(calls).toEqual(['unhealthy']);
  });
  it('logs a failure instead of throwing', async () => {
    const log = recordingLogger();
    const failing = async () => Promise.reject(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    expect(await replaceInstanceWhenFull(full, { setUnhealthy: failing, log })).toBe(false);
    expect(log.lines.some((line) => line.includes('AccessDenied: denied'))).toBe(true);
  });
});

describe('docker prune timer', () => {
  it('runs every quarter of the window, between every 15 minutes and hourly', () => {
    expect(renderDockerPruneTimer({ pruneUntil: '4h', builderPruneEnabled: false })).toMatchObject({
      onCalendar: 'hourly',
      randomizedDelaySec: 900,
    });
    expect(renderDockerPruneTimer({ pruneUntil: '2h', builderPruneEnabled: false }).onCalendar).toBe('*:0/30');
    expect(renderDockerPruneTimer({ pruneUntil: '30m', builderPruneEnabled: false })).toMatchObject({
      onCalendar: '*:0/15',
      randomizedDelaySec: 225,
    });
  });

  it('prunes containers and networks with the configured window, images through the disk check', () => {
    const settings = renderDockerPruneTimer({ pruneUntil: '1d12h', builderPruneEnabled: true });
    expect(settings.commands[0]).toEqual([
      '/usr/bin/docker',
      'container',
      'prune',
      '--force',
      '--filter',
      'until=1d12h',
    ]);
    const units = renderDockerPruneUnits(settings);
    expect(units.timer).toBe('[Timer]\nOnCalendar=\nOnCalendar=hourly\nRandomizedDelaySec=900\n');
    expect(units.service).toContain('ExecStart=-/usr/local/bin/elastic-ci-instance disk-check --prune\n');
  });

  it('reads the contract durations', () => {
    expect(durationSeconds('1d12h')).toBe(129600);
    expect(durationSeconds('90s')).toBe(90);
    expect(durationSeconds('4 hours')).toBeUndefined();
    expect(() => renderDockerPruneTimer({ pruneUntil: 'soon', builderPruneEnabled: false })).toThrow(RangeError);
  });
});

describe('disk-check options', () => {
  it('parses thresholds and paths and refuses the rest', () => {
    expect(parseDiskCheckArgs(['--prune', '--min-free-gib=3', '--path', '/data'])).toEqual({
      prune: true,
      minFreeGigabytes: 3,
      minFreeInodesPercent: undefined,
      paths: ['/data'],
    });
    expect(() => parseDiskCheckArgs(['--min-free-inodes-percent', '101'])).toThrow(/0 to 100/);
    expect(() => parseDiskCheckArgs(['--path', 'relative'])).toThrow(/absolute/);
  });
});
