import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { descendantsOf, listProcesses, stillRunning } from './process-tree';

describe('process tree', () => {
  it('finds grandchildren of a process and sees them gone once killed', async () => {
    const child = spawn('sh', ['-c', 'sleep 300 & sleep 300 & wait'], { stdio: 'ignore' });
    const pid = child.pid as number;
    // Poll until both background children have exec'd `sleep`: a child caught between sh's fork and its exec still
    // shows sh's command line, so three processes alone do not mean the tree is built (a flake under load).
    const sleeping = (entries: ReturnType<typeof descendantsOf>) =>
      entries.filter((entry) => entry.command === 'sleep 300').length;
    let descendants: ReturnType<typeof descendantsOf> = [];
    for (let attempt = 0; attempt < 400 && sleeping(descendants) < 2; attempt += 1) {
      descendants = descendantsOf(process.pid, listProcesses()).filter(
        (entry) => entry.pid === pid || entry.ppid === pid,
      );
      if (sleeping(descendants) < 2) await new Promise((resolveTick) => setTimeout(resolveTick, 25));
    }

    expect(descendants.map((entry) => entry.command).sort()).toEqual([
      'sh -c sleep 300 & sleep 300 & wait',
      'sleep 300',
      'sleep 300',
    ]);

    for (const entry of descendants) process.kill(entry.pid, 'SIGKILL');
    const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
    await exited;
    for (let attempt = 0; attempt < 200 && stillRunning(descendants).length > 0; attempt += 1) {
      await new Promise((resolveTick) => setTimeout(resolveTick, 25));
    }
    expect(stillRunning(descendants)).toEqual([]);
  });

  it('collects every level below the root and nothing else', () => {
    const processes = [
      { pid: 2, ppid: 1, command: 'a' },
      { pid: 3, ppid: 2, command: 'b' },
      { pid: 4, ppid: 3, command: 'c' },
      { pid: 5, ppid: 9, command: 'unrelated' },
    ];

    expect(
      descendantsOf(1, processes)
        .map((entry) => entry.pid)
        .sort(),
    ).toEqual([2, 3, 4]);
  });
});
