import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FakeAgentEvent {
  event: 'job-started' | 'sigterm' | 'job-finished' | 'job-cancelled';
  at: number;
  reason?: string;
}

export interface FakeAgent {
  pidFile: string;
  process: ChildProcess;
  events(): FakeAgentEvent[];
  exited: Promise<number | null>;
  /** Ends the running job now (after the SIGTERM): the agent exits 0, as when its job finishes. */
  finishJob(): void;
  kill(): void;
}

const script = fileURLToPath(new URL('./fake-agent-process.mjs', import.meta.url));

/** Starts the fake agent and resolves once it is running its job. */
export async function startFakeAgent(options: { directory: string; jobMs: number }): Promise<FakeAgent> {
  const pidFile = join(options.directory, 'agent.pid');
  const eventsFile = join(options.directory, 'agent-events.jsonl');
  const child = spawn(
    process.execPath,
    [script, '--pid-file', pidFile, '--events', eventsFile, '--job-ms', String(options.jobMs)],
    {
      stdio: 'ignore',
    },
  );
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const events = (): FakeAgentEvent[] =>
    existsSync(eventsFile)
      ? readFileSync(eventsFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as FakeAgentEvent)
      : [];
  // The bound only turns a broken start into a clear failure; a loaded machine may take seconds to start Node.
  for (let waited = 0; !events().some((entry) => entry.event === 'job-started'); waited += 10) {
    if (waited > 30_000) throw new Error('fake agent did not start within 30 s');
    await new Promise((resolveWait) => setTimeout(resolveWait, 10));
  }
  return {
    pidFile,
    process: child,
    events,
    exited,
    finishJob: () => child.kill('SIGWINCH'),
    kill: () => child.kill('SIGKILL'),
  };
}
