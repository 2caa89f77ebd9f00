import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRecordedProcessAlive, processStartTicks } from './process-table.js';

let proc: string;

beforeEach(async () => {
  proc = await mkdtemp(join(tmpdir(), 'proc-'));
});
afterEach(async () => {
  await rm(proc, { recursive: true, force: true });
});

/** A `/proc/<pid>/stat` line: field 22 (starttime) is the 20th after the command name. */
async function stat(pid: number, comm: string, startTicks: number): Promise<void> {
  await mkdir(join(proc, String(pid)), { recursive: true });
  // Fields 3 (state) to 21, then 22 (starttime) and one more.
  const afterComm = [
    'S',
    '1',
    '1',
    '1',
    '0',
    '-1',
    '4194560',
    '0',
    '0',
    '0',
    '0',
    '0',
    '0',
    '0',
    '0',
    '20',
    '0',
    '1',
    '0',
  ];
  await writeFile(
    join(proc, String(pid), 'stat'),
    `${pid} (${comm}) ${[...afterComm, String(startTicks), '0'].join(' ')}\n`,
  );
}

describe('processStartTicks', () => {
  it('reads field 22 of /proc/<pid>/stat, after a command name with spaces and parentheses', async () => {
    await stat(4242, 'buildkite-agent', 123_456);
    await stat(4243, 'evil) 1 2 3 (name', 777);
    expect(processStartTicks(4242, proc)).toBe(123_456);
    expect(processStartTicks(4243, proc)).toBe(777);
  });

  it('is undefined for a process that is gone or a stat line it cannot read', async () => {
    expect(processStartTicks(4244, proc)).toBeUndefined();
    await mkdir(join(proc, '4245'));
    await writeFile(join(proc, '4245', 'stat'), '4245 (cut');
    expect(processStartTicks(4245, proc)).toBeUndefined();
  });
});

describe('isRecordedProcessAlive', () => {
  it('is this process, started when it was: a pid without a recorded start time only has to be alive', async () => {
    const ticks = processStartTicks(process.pid);
    expect(ticks).toEqual(expect.any(Number));
    expect(isRecordedProcessAlive(process.pid)).toBe(true);
    expect(isRecordedProcessAlive(process.pid, ticks)).toBe(true);
    // The same pid with another start time is another process (the kernel reused the pid).
    expect(isRecordedProcessAlive(process.pid, (ticks ?? 0) + 1)).toBe(false);
  });
});
