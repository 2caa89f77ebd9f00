import { readdirSync, readFileSync } from 'node:fs';

/** A process as /proc shows it: pid, parent pid, and its command for failure messages. */
export interface ProcessEntry {
  readonly pid: number;
  readonly ppid: number;
  readonly command: string;
}

/** Every process on the machine (Linux /proc); processes that exit while being read are skipped. */
export function listProcesses(): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command sits in parentheses and may itself contain spaces or parentheses: parse after the last ')'.
      const afterCommand = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const command = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      entries.push({ pid: Number(name), ppid: Number(afterCommand[1]), command });
    } catch {
      // Gone between readdir and read.
    }
  }
  return entries;
}

/** The descendants of `rootPid` (children, their children, …) among `processes`. */
export function descendantsOf(rootPid: number, processes: readonly ProcessEntry[]): ProcessEntry[] {
  const byParent = new Map<number, ProcessEntry[]>();
  for (const entry of processes) byParent.set(entry.ppid, [...(byParent.get(entry.ppid) ?? []), entry]);
  const found: ProcessEntry[] = [];
  const pending = [rootPid];
  while (pending.length > 0) {
    const parent = pending.pop() as number;
    for (const child of byParent.get(parent) ?? []) {
      found.push(child);
      pending.push(child.pid);
    }
  }
  return found;
}

/** Which of `pids` still run (zombie entries that only wait to be reaped count as gone). */
export function stillRunning(pids: readonly ProcessEntry[]): ProcessEntry[] {
  return pids.filter((entry) => {
    try {
      const stat = readFileSync(`/proc/${entry.pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  });
}
