import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LifecycleStateStore } from './daemon';
import { parseTargetLifecycleState } from './metadata-parsers';

/** File name inside `--state-dir`; distinct from the handler's `agent-sigterm-sent-*` markers that share the dir. */
export const LIFECYCLE_STATE_FILE = 'target-lifecycle-state';

/**
 * The remembered target lifecycle state as one small file. Written to a temporary file and renamed, so a crash mid-way
 * leaves the old state or the new one, never a torn one; unreadable content is treated as nothing remembered.
 */
export function lifecycleStateFile(directory: string): LifecycleStateStore {
  const path = join(directory, LIFECYCLE_STATE_FILE);
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      const parsed = parseTargetLifecycleState(text);
      return parsed.ok ? parsed.value : undefined;
    },
    async save(state) {
      await mkdir(directory, { recursive: true, mode: 0o755 });
      const temporary = `${path}.${process.pid}.tmp`;
      await writeFile(temporary, `${state}\n`, { mode: 0o644 });
      await rename(temporary, path);
    },
  };
}
