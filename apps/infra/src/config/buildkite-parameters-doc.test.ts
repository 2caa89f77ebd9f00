import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUILDKITE_STACK_PARAMETERS } from './buildkite-parameters.js';
import { buildkiteParametersDoc } from './buildkite-parameters-doc.js';

const docPath = fileURLToPath(new URL('../../docs/buildkite-parameters.md', import.meta.url));

describe('docs/buildkite-parameters.md', () => {
  it('is the table generated from the mapping rules (regenerate with src/config/write-buildkite-parameters-doc.ts)', () => {
    expect(readFileSync(docPath, 'utf8')).toBe(buildkiteParametersDoc());
  });

  it('has one row per Buildkite parameter', () => {
    // Act
    const rows = buildkiteParametersDoc()
      .split('\n')
      .filter((line) => /^\| `[A-Za-z0-9]+` \|/.test(line))
      .map((line) => /^\| `([A-Za-z0-9]+)`/.exec(line)?.[1]);

    // Assess
    expect(rows).toEqual([...BUILDKITE_STACK_PARAMETERS]);
  });
});
