import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defineElasticCiTestConfig } from './vitest-config';

function packageWith(files: string[]): string {
  const directory = mkdtempSync(join(tmpdir(), 'vitest-config-'));
  for (const file of files) {
    mkdirSync(join(directory, file, '..'), { recursive: true });
    writeFileSync(join(directory, file), '');
  }
  return directory;
}

type Project = {
  test: { name: string; include?: string[]; exclude?: string[]; testTimeout?: number; globalSetup?: string[] };
};
const projectsOf = (packageDir: string) =>
  (defineElasticCiTestConfig({ packageDir }).test?.projects ?? []) as unknown as Project[];

describe('defineElasticCiTestConfig', () => {
  const created: string[] = [];
  afterEach(() => {
    for (const directory of created.splice(0)) rmSync(directory, { recursive: true, force: true });
  });

  it('adds an e2e project for src/**/*.e2e.test.ts and keeps those files out of the unit project', () => {
    const packageDir = packageWith(['src/faults/scale-in.e2e.test.ts', 'src/world.test.ts']);
    created.push(packageDir);

    const projects = projectsOf(packageDir);

    expect(projects.map((project) => project.test.name)).toEqual(['unit', 'e2e']);
    expect(projects[0]?.test.exclude).toContain('src/**/*.e2e.test.ts');
    expect(projects[1]?.test.include).toEqual(['src/**/*.e2e.test.ts']);
    expect(projects[1]?.test.testTimeout).toBeGreaterThanOrEqual(180_000);
  });

  it('keeps unit and integration projects as they were for packages without e2e files', () => {
    const packageDir = packageWith(['src/a.int.test.ts', 'src/a.test.ts']);
    created.push(packageDir);

    expect(projectsOf(packageDir).map((project) => project.test.name)).toEqual(['unit', 'integration']);
  });

  it('opens the scratch TMPDIR first in every project, before moto starts (and so closes it after moto stops)', () => {
    const packageDir = packageWith(['src/a.test.ts', 'src/a.int.test.ts', 'src/a.e2e.test.ts']);
    created.push(packageDir);

    const setups = projectsOf(packageDir).map((project) =>
      (project.test.globalSetup ?? []).map((file) => file.replace(/^.*\//, '').replace(/\.[jt]s$/, '')),
    );

    expect(setups).toEqual([
      ['test-scratch-global-setup'],
      ['test-scratch-global-setup', 'moto-global-setup'],
      ['test-scratch-global-setup', 'moto-global-setup'],
    ]);
  });
});
