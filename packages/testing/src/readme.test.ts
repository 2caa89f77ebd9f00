import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { KEEP_TEST_SCRATCH_VARIABLE } from './test-scratch-directory';
import { defineElasticCiTestConfig } from './vitest-config';

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
const configSource = readFileSync(fileURLToPath(new URL('./vitest-config.ts', import.meta.url)), 'utf8');

/** The README's configuration table: first cell → second cell, backticks and the ` option` suffix removed. */
function configurationTable(): Map<string, string> {
  const section = readme.slice(readme.indexOf('## Configuration'));
  const rows = new Map<string, string>();
  for (const line of section.split('\n').filter((row) => row.startsWith('| `'))) {
    const [name = '', fallback = ''] = line
      .split('|')
      .slice(1, 3)
      .map((cell) => cell.trim());
    rows.set(name.replace(/ option$/, '').replaceAll('`', ''), fallback.replaceAll('`', ''));
  }
  return rows;
}

function packageWith(files: string[]): string {
  const directory = mkdtempSync(join(tmpdir(), 'testing-readme-'));
  for (const file of files) {
    mkdirSync(join(directory, file, '..'), { recursive: true });
    writeFileSync(join(directory, file), '');
  }
  return directory;
}

type Project = { test: { name: string; testTimeout?: number } };

describe('README configuration table', () => {
  const created: string[] = [];
  afterEach(() => {
    for (const directory of created.splice(0)) rmSync(directory, { recursive: true, force: true });
  });

  it('lists every option of defineElasticCiTestConfig and nothing else', () => {
    // Prepare: the option names as declared (types do not exist at run time)
    const declaration = /export interface ElasticCiTestConfigOptions \{([\s\S]*?)\n\}/.exec(configSource)?.[1] ?? '';
    const declared = [...declaration.matchAll(/^ {2}(\w+)\?:/gm)].map((match) => match[1]);

    // Act
    const documented = [...configurationTable().keys()].filter((name) => /^[a-z]/.test(name));

    // Assess
    expect(declared.length).toBeGreaterThan(0);
    expect(documented.sort()).toEqual(declared.sort());
  });

  it('states the timeouts each project gets by default', () => {
    // Prepare
    const packageDir = packageWith(['src/a.test.ts', 'src/a.int.test.ts', 'src/a.e2e.test.ts']);
    created.push(packageDir);
    const table = configurationTable();

    // Act
    const projects = (defineElasticCiTestConfig({ packageDir }).test?.projects ?? []) as unknown as Project[];
    const timeoutOf = (name: string) =>
      String(projects.find((project) => project.test.name === name)?.test.testTimeout);

    // Assess
    expect(table.get('unitTestTimeoutMs')).toBe(timeoutOf('unit'));
    expect(table.get('integrationTestTimeoutMs')).toBe(timeoutOf('integration'));
    expect(table.get('e2eTestTimeoutMs')).toBe(timeoutOf('e2e'));
  });

  it('says coverage thresholds turn coverage on for every run (not only with --coverage)', () => {
    // Prepare
    const packageDir = packageWith(['src/a.test.ts']);
    created.push(packageDir);

    // Act
    const coverage = defineElasticCiTestConfig({
      packageDir,
      coverageThresholds: { lines: 1, branches: 1, functions: 1, statements: 1 },
    }).test?.coverage as { enabled?: boolean };

    // Assess
    expect(coverage.enabled).toBe(true);
    expect(readme).not.toContain('enforced by `vitest run --coverage`');
    expect(readme).toContain(`| \`${KEEP_TEST_SCRATCH_VARIABLE}\``);
  });
});
