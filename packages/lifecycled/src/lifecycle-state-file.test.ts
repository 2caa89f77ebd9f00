import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LIFECYCLE_STATE_FILE, lifecycleStateFile } from './lifecycle-state-file';
import { temporaryDirectory } from './test-support/harness';

describe('Function: lifecycleStateFile', () => {
  it('remembers the last state saved, creating its directory, and leaves no temporary file behind', async () => {
    // Prepare
    const directory = join(temporaryDirectory(), 'run', 'lifecycled');
    const store = lifecycleStateFile(directory);

    // Act
    const before = await store.load();
    await store.save('InService');
    await store.save('Warmed:Running');

    // Assess
    expect(before).toBeUndefined();
    expect(await store.load()).toBe('Warmed:Running');
    expect(readdirSync(directory)).toEqual([LIFECYCLE_STATE_FILE]);
  });

  it('treats content that is not a lifecycle state as nothing remembered', async () => {
    // Prepare
    const directory = temporaryDirectory();
    writeFileSync(join(directory, LIFECYCLE_STATE_FILE), '<html>garbage</html>');

    // Act
    const state = await lifecycleStateFile(directory).load();

    // Assess
    expect(state).toBeUndefined();
  });
});
