import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bootContractFieldsTable } from './boot-contract-fields.js';
import { replaceFieldsTable, TABLE_END, TABLE_START } from './readme.js';

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');

describe('README', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('carries the field table generated from the schema (run `pnpm run readme` after changing the schema)', () => {
    // Act
    const regenerated = replaceFieldsTable(readme);

    // Assess
    expect(readme).toBe(regenerated);
    expect(readme).toContain(`${TABLE_START}\n${bootContractFieldsTable()}\n${TABLE_END}`);
  });

  it('refuses a README without the table markers', () => {
    expect(() => replaceFieldsTable('# no markers')).toThrowError(/must contain <!-- boot-contract-fields:start/);
  });

  it('has an example that runs and prints what it says', async () => {
    // Prepare: the first ts block, importing this package's source instead of its published name
    const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const directory = mkdtempSync(join(tmpdir(), 'agent-instance-readme-'));
    const file = join(directory, 'example.ts');
    writeFileSync(
      file,
      (example ?? '').replace(
        "'@elastic-ci/agent-instance'",
        JSON.stringify(fileURLToPath(new URL('./index.ts', import.meta.url))),
      ),
    );
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);

    // Act
    try {
      await import(file);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }

    // Assess
    expect(log.mock.calls).toEqual([['linux', 2, 600]]);
    expect(example).toContain('// → linux 2 600');
  });
});
