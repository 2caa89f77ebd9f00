import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A directory of fake programs (shell scripts) to put first on PATH: how tests stand in for `buildkite-agent` and
 * `docker` while exercising the real process handling.
 */
export async function fakeProgramDirectory(programs: Record<string, string>): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'fake-programs-'));
  for (const [name, body] of Object.entries(programs)) {
    const path = join(directory, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
  }
  return directory;
}
