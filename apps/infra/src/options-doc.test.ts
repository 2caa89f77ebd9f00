import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { documentedOptions, optionsTable, withOptionsTable } from './options-doc';
import { MAXIMAL_PROPS } from './test-support/synthesize';

const README = fileURLToPath(new URL('../README.md', import.meta.url));

describe('options documentation', () => {
  const options = documentedOptions();

  it('documents a default for every optional option', () => {
    expect(
      options.filter((option) => option.optional && option.defaultValue === undefined).map((option) => option.name),
    ).toEqual([]);
  });

  it('reads every option the maximal test props set (the parser misses none)', () => {
    const documented = new Set(options.map((option) => option.name));
    const stackPropsKeys = new Set(['tags', 'description', 'env', 'stackName']);
    const missing = Object.keys(MAXIMAL_PROPS).filter((key) => !stackPropsKeys.has(key) && !documented.has(key));
    expect(missing).toEqual([]);
  });

  it("the README's option table is the one generated from the props (UPDATE_README=1 regenerates it)", () => {
    const readme = readFileSync(README, 'utf8');
    const expected = withOptionsTable(readme, optionsTable(options));
    if (process.env.UPDATE_README === '1' && expected !== readme) writeFileSync(README, expected);
    else expect(readme).toBe(expected);
  });
});
