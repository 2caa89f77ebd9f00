import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { InstanceBrokerError } from '@elastic-ci/instance-broker/client';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { desiredInstanceState, partitionJobs, protectionCalls } from './decide-protection.js';
import { applyProtectionEvent, type ProtectionDeps, protectionPaths, removeStaleRecord } from './protection.js';
import { FakeInstanceControl, recordingLogger, SteppingClock, throttling } from './test-fakes.js';

const settings = { protectWhileBusy: true, releaseProtectionWhenIdle: true };
const BOOT = 'boot-1';

let root: string;
let alive: Set<number>;
let control: FakeInstanceControl;
let clock: SteppingClock;

function deps(overrides: Partial<ProtectionDeps> = {}): ProtectionDeps {
  return {
    root,
    clock,
    // This test process holds the lock itself: it must count as alive, like every agent in `alive`.
    isProcessAlive: (pid) => pid === process.pid || alive.has(pid),
    bootId: BOOT,
    control,
    settings,
    log: recordingLogger(),
    ...overrides,
  };
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'protection-'));
  alive = new Set([101, 102]);
  control = new FakeInstanceControl();
  clock = new SteppingClock();
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('busy protection across several agents', () => {
  it('protects on the first job and releases on the last, with two overlapping jobs', async () => {
    await applyProtectionEvent({ kind: 'job-started', jobId: 'job-a', agentPid: 101 }, deps());
    expect(control.calls).toEqual([
      { call: 'setProtection', value: true },
      { call: 'setIdleSinceTag', value: undefined },
    ]);
    control.calls.length = 0;

    await applyProtectionEvent({ kind: 'job-started', jobId: 'job-b', agentPid: 102 }, deps());
    expect(control.calls).toEqual([]);

    const afterA = await applyProtectionEvent({ kind: 'job-finished', jobId: 'job-a' }, deps());
    expect(afterA.liveJobs).toBe(1);
    expect(control.calls).toEqual([]);

    clock.time = Date.UTC(2026, 0, 5, 10, 30, 0);
    const afterB = await applyProtectionEvent({ kind: 'job-finished', jobId: 'job-b' }, deps());
    expect(afterB.liveJobs).toBe(0);
    expect(control.calls).toEqual([
      { call: 'setProtection', value: false },
      { call: 'setIdleSinceTag', value: '2026-01-05T10:30:00Z' },
    ]);
    expect((await readFile(protectionPaths(root).idleSince, 'utf8')).trim()).toBe('2026-01-05T10:30:00Z');
  });

  it('keeps the protection while a sibling agent of the same process still runs a job (agentsPerInstance > 1)', async () => {
    // With spawn > 1 every agent runs inside one buildkite-agent process: BUILDKITE_AGENT_PID is the same for all of
    // them, BUILDKITE_AGENT_ID tells them apart.
    clock.time = Date.UTC(2026, 0, 5, 9, 0, 0);
    await applyProtectionEvent({ kind: 'job-started', jobId: 'job-a', agentPid: 101, agentId: 'agent-1' }, deps());
    clock.time = Date.UTC(2026, 0, 5, 9, 5, 0);
    const afterStartB = await applyProtectionEvent(
      { kind: 'job-started', jobId: 'job-b', agentPid: 101, agentId: 'agent-2' },
      deps(),
    );
    expect(afterStartB.liveJobs).toBe(2);
    control.calls.length = 0;

    const afterB = await applyProtectionEvent({ kind: 'job-finished', jobId: 'job-b' }, deps());
    expect(afterB.liveJobs).toBe(1);
    expect(afterB.staleJobsRemoved).toEqual([]);
    expect(control.calls).toEqual([]);
    expect(await readdir(protectionPaths(root).busyJobsDir)).toEqual(['job-a']);

    const afterA = await applyProtectionEvent({ kind: 'job-finished', jobId: 'job-a' }, deps());
    expect(afterA.liveJobs).toBe(0);
    expect(control.calls).toContainEqual({ call: 'setProtection', value: false });
  });

  it('counts correctly when many agents start and finish at once', async () => {
    clock = new SteppingClock(undefined, { frozen: true });
    const pids = Array.from({ length: 12 }, (_, index) => 200 + index);
    for (const pid of pids) alive.add(pid);
    await Promise.all(
      pids.map((pid) => applyProtectionEvent({ kind: 'job-started', jobId: `job-${pid}`, agentPid: pid }, deps())),
    );
    expect(control.calls.filter((call) => call.call === 'setProtection')).toEqual([
      { call: 'setProtection', value: true },
    ]);
    const outcomes = await Promise.all(
      pids.map((pid) => applyProtectionEvent({ kind: 'job-finished', jobId: `job-${pid}` }, deps())),
    );
    // Exactly one of them saw itself last, and only that one released the protection.
    expect(outcomes.filter((outcome) => outcome.liveJobs === 0)).toHaveLength(1);
    expect(control.calls.filter((call) => call.call === 'setProtection')).toEqual([
      { call: 'setProtection', value: true },
      { call: 'setProtection', value: false },
    ]);
    expect(await readdir(protectionPaths(root).busyJobsDir)).toEqual([]);
  });

  it('keeps the end state right when starts and finishes of different agents interleave', async () => {
    clock = new SteppingClock(undefined, { frozen: true });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), async (finishes) => {
        await rm(root, { recursive: true, force: true });
        control = new FakeInstanceControl();
        const pids = finishes.map((_, index) => 300 + index);
        for (const pid of pids) alive.add(pid);
        await Promise.all(
          pids.map((pid) => applyProtectionEvent({ kind: 'job-started', jobId: `j${pid}`, agentPid: pid }, deps())),
        );
        await Promise.all(
          pids
            .filter((_, index) => finishes[index])
            .map((pid) => applyProtectionEvent({ kind: 'job-finished', jobId: `j${pid}` }, deps())),
        );
        const stillRunning = finishes.filter((finished) => !finished).length;
        const lastProtection = control.calls.filter((call) => call.call === 'setProtection').at(-1);
        expect(lastProtection).toEqual({ call: 'setProtection', value: stillRunning > 0 });
      }),
      { numRuns: 15 },
    );
  });

  it('does not fail and retries next time when AWS keeps failing', async () => {
    control.failures.setProtection = [throttling(), throttling(), throttling()];
    const log = recordingLogger();
    const outcome = await applyProtectionEvent(
      { kind: 'job-started', jobId: 'job-a', agentPid: 101 },
      deps({ attempts: 3, log }),
    );
    expect(outcome.applied).toBe(false);
    expect(log.lines.some((line) => line.startsWith('error SetInstanceProtection(true) failed'))).toBe(true);
    control.calls.length = 0;
    // The second job is no transition, but the failed call is made again because the applied state is unknown.
    await applyProtectionEvent({ kind: 'job-started', jobId: 'job-b', agentPid: 102 }, deps());
    expect(control.calls).toContainEqual({ call: 'setProtection', value: true });
  });

  it('retries throttling with backoff before giving up', async () => {
    control.failures.setProtection = [throttling(), throttling()];
    const start = clock.now();
    const outcome = await applyProtectionEvent({ kind: 'job-started', jobId: 'job-a', agentPid: 101 }, deps());
    expect(outcome.applied).toBe(true);
    expect(control.calls.filter((call) => call.call === 'setProtection')).toHaveLength(3);
    expect(clock.now() - start).toBe(250 + 500);
  });

  it('protects a starting job through a broker failure the broker calls retryable', async () => {
    // Prepare: the instance broker relays Auto Scaling's throttling, then a timeout of its own
    control.failures.setProtection = [
      new InstanceBrokerError('Auto Scaling throttled the call', 502, true, 'Throttling'),
      new InstanceBrokerError('Auto Scaling did not answer in time', 502, true),
    ];

    // Act
    const outcome = await applyProtectionEvent({ kind: 'job-started', jobId: 'job-a', agentPid: 101 }, deps());

    // Assess
    expect(outcome.applied).toBe(true);
    expect(control.calls.filter((call) => call.call === 'setProtection')).toEqual([
      { call: 'setProtection', value: true },
      { call: 'setProtection', value: true },
      { call: 'setProtection', value: true },
    ]);
  });

  it('does not retry a broker failure the broker calls final, and keeps the job counted', async () => {
    // Prepare
    control.failures.setProtection = [new InstanceBrokerError('the caller is no instance of this fleet', 403, false)];

    // Act
    const outcome = await applyProtectionEvent({ kind: 'job-started', jobId: 'job-a', agentPid: 101 }, deps());

    // Assess
    expect(outcome.applied).toBe(false);
    expect(control.calls.filter((call) => call.call === 'setProtection')).toHaveLength(1);
    expect(await readdir(protectionPaths(root).busyJobsDir)).toContain('job-a');
  });

  it('does not retry an error that cannot pass', async () => {
    control.failures.setProtection = [Object.assign(new Error('denied'), { name: 'AccessDenied' })];
    const outcome = await applyProtectionEvent({ kind: 'job-started', jobId: 'job-a', agentPid: 101 }, deps());
    expect(outcome.applied).toBe(false);
    expect(control.calls.filter((call) => call.call === 'setProtection')).toHaveLength(1);
  });
});

describe('reconcile', () => {
  it('drops jobs whose agent crashed and releases the protection', async () => {
    await applyProtectionEvent({ kind: 'job-started', jobId: 'job-a', agentPid: 101 }, deps());
    alive.delete(101); // the agent crashed: no pre-exit hook ran
    control.calls.length = 0;
    const outcome = await applyProtectionEvent({ kind: 'reconcile' }, deps());
    expect(outcome.staleJobsRemoved).toEqual(['job-a']);
    expect(control.calls).toEqual([
      { call: 'setProtection', value: false },
      { call: 'setIdleSinceTag', value: '2026-01-05T09:00:00Z' },
    ]);
  });

  it('drops a job whose processes are all gone while its agent lives on, and releases the protection', async () => {
    // A cancel past its grace period (or the OOM killer) kills the job's bootstrap before its pre-exit hook runs; the
    // agent lives on, idle, and without this the record held the protection until that agent's next job.
    await applyProtectionEvent({ kind: 'job-started', jobId: 'job-a', agentPid: 101, agentId: 'agent-1' }, deps());
    control.calls.length = 0;
    const noJobProcesses = async () => ({ ids: new Set<string>(), complete: true });
    const outcome = await applyProtectionEvent({ kind: 'reconcile' }, deps({ runningJobIds: noJobProcesses }));
    expect(outcome.staleJobsRemoved).toEqual(['job-a']);
    expect(outcome.liveJobs).toBe(0);
    expect(control.calls).toEqual([
      { call: 'setProtection', value: false },
      { call: 'setIdleSinceTag', value: '2026-01-05T09:00:00Z' },
    ]);
  });

  it('keeps the job of a live agent while a process carries its id, or when not every process could be read', async () => {
    await applyProtectionEvent({ kind: 'job-started', jobId: 'job-a', agentPid: 101, agentId: 'agent-1' }, deps());
    const jobRuns = async () => ({ ids: new Set(['job-a']), complete: true });
    expect((await applyProtectionEvent({ kind: 'reconcile' }, deps({ runningJobIds: jobRuns }))).liveJobs).toBe(1);
    // Not root, or /proc unreadable: a missing id proves nothing, so the agent's life decides as before.
    const partialScan = async () => ({ ids: new Set<string>(), complete: false });
    expect((await applyProtectionEvent({ kind: 'reconcile' }, deps({ runningJobIds: partialScan }))).liveJobs).toBe(1);
  });

  it('leaves busy-jobs/ to the owner of the state directory when root makes it (the hooks run as buildkite-agent)', async () => {
    // The image makes the state directory buildkite-agent's; the reconcile timer (root) often runs before any job.
    // Run as root (as CI does) this proves the hand-over; run as another user, every owner is that user anyway.
    const agentUid = process.getuid?.() === 0 ? 65534 : (process.getuid?.() ?? 0);
    const agentGid = process.getgid?.() === 0 ? 65534 : (process.getgid?.() ?? 0);
    const { stateDir, busyJobsDir } = protectionPaths(root);
    await mkdir(stateDir, { recursive: true });
    await chown(stateDir, agentUid, agentGid);

    await applyProtectionEvent({ kind: 'reconcile' }, deps());

    const owner = await stat(busyJobsDir);
    expect({ uid: owner.uid, gid: owner.gid }).toEqual({ uid: agentUid, gid: agentGid });
  });

  it('hands back a busy-jobs/ that root made before', async () => {
    const agentUid = process.getuid?.() === 0 ? 65534 : (process.getuid?.() ?? 0);
    const { stateDir, busyJobsDir } = protectionPaths(root);
    await mkdir(busyJobsDir, { recursive: true });
    await chown(stateDir, agentUid, agentUid);

    await applyProtectionEvent({ kind: 'reconcile' }, deps());

    expect((await stat(busyJobsDir)).uid).toBe(agentUid);
  });

  describe("as root in a directory the job user owns (the state directory is buildkite-agent's)", () => {
    // A job runs as buildkite-agent, the state directory's owner, and may plant symlinks there; the reconcile timer
    // runs as root (as CI runs these tests; as another user every owner is that user, and the links are still refused).
    const agentUid = process.getuid?.() === 0 ? 65534 : (process.getuid?.() ?? 0);

    it('replaces a busy-jobs symlink instead of handing its target to the job user', async () => {
      const { stateDir, busyJobsDir } = protectionPaths(root);
      await mkdir(stateDir, { recursive: true });
      await chown(stateDir, agentUid, agentUid);
      const target = join(root, 'etc-like');
      await mkdir(target);
      const targetOwner = (await stat(target)).uid;
      await symlink(target, busyJobsDir);

      await applyProtectionEvent({ kind: 'reconcile' }, deps());

      expect((await stat(target)).uid).toBe(targetOwner);
      const busy = await lstat(busyJobsDir);
      expect(busy.isDirectory() && !busy.isSymbolicLink()).toBe(true);
      expect(busy.uid).toBe(agentUid);
    });

    it('writes its state files through no planted link', async () => {
      const { stateDir, idleSince, applied } = protectionPaths(root);
      await mkdir(stateDir, { recursive: true });
      const victim = join(root, 'victim');
      await writeFile(victim, 'untouched\n');
      // The temporary names a writer would use if they were predictable (path.pid.tmp).
      for (const path of [idleSince, applied]) await symlink(victim, `${path}.${process.pid}.tmp`);

      await applyProtectionEvent({ kind: 'reconcile' }, deps());

      expect(await readFile(victim, 'utf8')).toBe('untouched\n');
      expect(await readFile(idleSince, 'utf8')).toMatch(/^2026-01-05T/);
    });
  });

  it('removes stale records as the state directory owner, so a busy-jobs swapped for a link deletes nothing of root', async () => {
    // Between root's check of busy-jobs and its removal of a stale record the job user (who owns the state directory)
    // can put a link there; removing as that user, a link to a root-owned directory gets EACCES instead of a deletion.
    const agentUid = process.getuid?.() === 0 ? 65534 : (process.getuid?.() ?? 0);
    const { stateDir, busyJobsDir } = protectionPaths(root);
    // As on an instance (/var/lib is 0755), the owner can reach its directory: this run's scratch directory (0700,
    // the test root's parent) lets others pass through for the test, and is put back.
    const scratch = dirname(root);
    const scratchMode = (await stat(scratch)).mode & 0o7777;
    await chmod(scratch, scratchMode | 0o011);
    await chmod(root, 0o755);
    await mkdir(busyJobsDir, { recursive: true });
    await chown(stateDir, agentUid, agentUid);
    await chown(busyJobsDir, agentUid, agentUid);
    await writeFile(join(busyJobsDir, 'job-gone'), '{}\n');
    const log = recordingLogger();
    let removedOwn: boolean;
    try {
      removedOwn = removeStaleRecord({ busyJobsDir, stateDir }, 'job-gone', log);
    } finally {
      await chmod(scratch, scratchMode);
    }
    expect(removedOwn, log.lines.join('\n')).toBe(true);
    await expect(stat(join(busyJobsDir, 'job-gone'))).rejects.toThrow(/ENOENT/);
    const rootsOwn = join(root, 'roots-own');
    await mkdir(rootsOwn, { mode: 0o755 });
    await writeFile(join(rootsOwn, 'passwd'), 'root-only\n');
    const swapped = join(stateDir, 'swapped');
    await symlink(rootsOwn, swapped);

    await chmod(scratch, scratchMode | 0o011);
    let removed: boolean;
    try {
      removed = removeStaleRecord({ busyJobsDir: swapped, stateDir }, 'passwd', log);
    } finally {
      await chmod(scratch, scratchMode);
    }

    if (process.getuid?.() === 0) {
      expect(removed).toBe(false);
      expect(await readFile(join(rootsOwn, 'passwd'), 'utf8')).toBe('root-only\n');
    } else {
      // Not root: the owner is this user already, who may remove what it owns; nothing above its rights happens.
      expect(removed).toBe(true);
    }
  });

  it('never tags what the idle-since file holds unless it is a time (a link to any file, as root, would be read)', async () => {
    const { stateDir, idleSince } = protectionPaths(root);
    await mkdir(stateDir, { recursive: true });
    await writeFile(idleSince, 'root:$6$canary-hash:19000:0:99999:7:::\n');

    const outcome = await applyProtectionEvent({ kind: 'reconcile' }, deps());

    expect(outcome.desired.idleSince).toMatch(/^2026-01-05T\d\d:\d\d:\d\dZ$/);
    expect(JSON.stringify(control.calls)).not.toContain('canary');
  });

  it('tags the agent state for the scaler when it can tell', async () => {
    await applyProtectionEvent({ kind: 'reconcile' }, deps({ agentRunning: async () => true }));
    expect(control.calls).toContainEqual({ call: 'setTag', key: 'elastic-ci:agent-state', value: 'running' });
    control.calls.length = 0;
    await applyProtectionEvent({ kind: 'reconcile' }, deps({ agentRunning: async () => false }));
    expect(control.calls).toContainEqual({ call: 'setTag', key: 'elastic-ci:agent-state', value: 'stopped' });
    control.calls.length = 0;
    await applyProtectionEvent(
      { kind: 'job-started', jobId: 'job-a', agentPid: 101 },
      deps({ agentRunning: async () => true }),
    );
    expect(control.calls.some((call) => call.call === 'setTag')).toBe(false);
  });

  it('keeps a live job and sets the protection again even when nothing changed', async () => {
    await applyProtectionEvent({ kind: 'job-started', jobId: 'job-a', agentPid: 101 }, deps());
    control.calls.length = 0;
    const outcome = await applyProtectionEvent({ kind: 'reconcile' }, deps());
    expect(outcome.liveJobs).toBe(1);
    expect(control.calls).toEqual([
      { call: 'setProtection', value: true },
      { call: 'setIdleSinceTag', value: undefined },
    ]);
  });

  it('treats jobs recorded in an earlier boot and damaged records as stale', async () => {
    const { busyJobsDir } = protectionPaths(root);
    await applyProtectionEvent({ kind: 'reconcile' }, deps());
    await writeFile(join(busyJobsDir, 'old-boot'), JSON.stringify({ agentPid: 101, startedAt: 'x', bootId: 'boot-0' }));
    await writeFile(join(busyJobsDir, 'garbage'), 'not json');
    const outcome = await applyProtectionEvent({ kind: 'reconcile' }, deps());
    expect([...outcome.staleJobsRemoved].sort()).toEqual(['garbage', 'old-boot']);
    expect(outcome.liveJobs).toBe(0);
  });

  it('keeps the idle-since time of the last job across reconciles', async () => {
    await applyProtectionEvent({ kind: 'job-started', jobId: 'job-a', agentPid: 101 }, deps());
    clock.time = Date.UTC(2026, 0, 5, 11, 0, 0);
    await applyProtectionEvent({ kind: 'job-finished', jobId: 'job-a' }, deps());
    clock.time = Date.UTC(2026, 0, 5, 12, 0, 0);
    const outcome = await applyProtectionEvent({ kind: 'reconcile' }, deps());
    expect(outcome.desired.idleSince).toBe('2026-01-05T11:00:00Z');
  });
});

describe('pure decisions', () => {
  it('counts only the newest job of one agent: an agent runs one job at a time', () => {
    const { live, stale } = partitionJobs(
      [
        { jobId: 'old', agentPid: 7, agentId: 'agent-7', startedAt: '2026-01-05T09:00:00.000Z', bootId: BOOT },
        { jobId: 'new', agentPid: 7, agentId: 'agent-7', startedAt: '2026-01-05T10:00:00.000Z', bootId: BOOT },
      ],
      () => true,
      BOOT,
    );
    expect(live.map((job) => job.jobId)).toEqual(['new']);
    expect(stale.map((job) => job.jobId)).toEqual(['old']);
  });

  it('tells the agents of one process apart by agent id; a record without one is never taken for an older job', () => {
    const job = (jobId: string, agentId: string | undefined, hour: number) => ({
      jobId,
      agentPid: 7,
      agentId,
      startedAt: `2026-01-05T${String(hour).padStart(2, '0')}:00:00.000Z`,
      bootId: BOOT,
    });
    const { live, stale } = partitionJobs(
      [
        job('a-old', 'agent-1', 8),
        job('a-new', 'agent-1', 9),
        job('b', 'agent-2', 10),
        job('legacy-1', undefined, 11),
        job('legacy-2', undefined, 12),
      ],
      () => true,
      BOOT,
    );
    expect(live.map((entry) => entry.jobId).sort()).toEqual(['a-new', 'b', 'legacy-1', 'legacy-2']);
    expect(stale.map((entry) => entry.jobId)).toEqual(['a-old']);
  });

  it("drops a job whose agent pid now names another process (the kernel reused it), by the agent's start time", () => {
    // Without a complete /proc scan (not root, a hidepid mount) the agent pid is all reconcile has: a crashed agent's
    // pid given to any later process kept the job live, and the idle instance protected, for as long as that ran.
    const job = (jobId: string, agentStartTicks: number | undefined) => ({
      jobId,
      agentPid: 7,
      agentId: `agent-${jobId}`,
      agentStartTicks,
      startedAt: '2026-01-05T09:00:00.000Z',
      bootId: BOOT,
    });
    const startTicksNow = 5_000;
    const isAlive = (_pid: number, recordedStartTicks?: number) =>
      recordedStartTicks === undefined || recordedStartTicks === startTicksNow;
    const { live, stale } = partitionJobs(
      [job('same-agent', 5_000), job('reused-pid', 4_200), job('older-record', undefined)],
      isAlive,
      BOOT,
    );
    expect(live.map((entry) => entry.jobId).sort()).toEqual(['older-record', 'same-agent']);
    expect(stale.map((entry) => entry.jobId)).toEqual(['reused-pid']);
  });

  it('records the agent start time with the job, and reconcile then tells a reused pid from the agent', async () => {
    const started = new Map<number, number>([[101, 7_000]]);
    const identity = {
      processStartTicks: (pid: number) => started.get(pid),
      isProcessAlive: (pid: number, recordedStartTicks?: number) =>
        pid === process.pid ||
        (started.has(pid) && (recordedStartTicks === undefined || started.get(pid) === recordedStartTicks)),
    };
    await applyProtectionEvent(
      { kind: 'job-started', jobId: 'job-a', agentPid: 101, agentId: 'agent-1' },
      deps({ ...identity }),
    );
    expect((await applyProtectionEvent({ kind: 'reconcile' }, deps({ ...identity }))).liveJobs).toBe(1);

    started.set(101, 9_000); // the agent crashed; the kernel gave its pid to a later process
    const outcome = await applyProtectionEvent({ kind: 'reconcile' }, deps({ ...identity }));
    expect(outcome.staleJobsRemoved).toEqual(['job-a']);
    expect(outcome.liveJobs).toBe(0);
  });

  it('honours the lifecycle settings', () => {
    const now = '2026-01-05T09:00:00Z';
    expect(
      desiredInstanceState({
        liveJobs: 1,
        recordedIdleSince: undefined,
        now,
        settings: { ...settings, protectWhileBusy: false },
      }),
    ).toEqual({ protectedFromScaleIn: false, idleSince: undefined });
    expect(
      desiredInstanceState({
        liveJobs: 0,
        recordedIdleSince: undefined,
        now,
        settings: { ...settings, releaseProtectionWhenIdle: false },
      }),
    ).toEqual({ protectedFromScaleIn: true, idleSince: now });
  });

  it('makes no call for what is already applied', () => {
    const state = { protectedFromScaleIn: true, idleSince: undefined };
    expect(protectionCalls(state, state)).toEqual({ setProtection: undefined, idleSinceTag: undefined });
    expect(protectionCalls(state, undefined)).toEqual({ setProtection: true, idleSinceTag: { value: undefined } });
  });
});
