import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('Script: scripts/sim.sh', () => {
  it('passes its bats tests (test/sim.bats) and shellcheck', { timeout: 60_000 }, () => {
    // Act
    const bats = spawnSync('bats', ['test/sim.bats'], { cwd: packageDir, encoding: 'utf8' });

    // Assess: a missing bats fails loudly — a skipped script test would hide a broken `make sim`.
    if (bats.error !== undefined) {
      throw new Error(
        `bats could not run (${bats.error.message}): run \`make system-deps\` (scripts/system-packages.txt) or apt-get install bats shellcheck`,
      );
    }
    expect(bats.status, `${bats.stdout}${bats.stderr}`).toBe(0);
    expect(bats.stdout).toContain('1..8');
  });
});
