import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exportLine, isShellIdentifier, shellQuote, shellQuoteBytes } from './shell-quote';

/** Evaluates `script` in a real bash with allexport (as the hook does) and returns the named variables' bytes. */
function evalInBash(script: string, names: string[]): Buffer[] {
  const printer = names.map((name) => `printf '%s\\0' "$${name}"`).join('; ');
  const output = execFileSync('bash', [
    '-c',
    `set -euo pipefail; set -o allexport; eval "$1"; set +o allexport; ${printer}`,
    'bash',
    script,
  ]);
  const values: Buffer[] = [];
  let start = 0;
  for (let index = 0; index < output.length; index += 1) {
    if (output[index] === 0) {
      values.push(output.subarray(start, index));
      start = index + 1;
    }
  }
  return values;
}

const shellText = fc.string({ unit: 'binary', maxLength: 40 }).filter((value) => !value.includes('\0'));

describe('Function: shellQuote', () => {
  it('reads back byte for byte in bash for any text without NUL', () => {
    // Prepare
    const samples = fc.sample(shellText, 150);
    const script = samples.map((value, index) => exportLine(`V${index}`, shellQuote(value))).join('');

    // Act
    const values = evalInBash(
      script,
      samples.map((_, index) => `V${index}`),
    );

    // Assess
    expect(values.map((value) => value.toString('utf8'))).toEqual(samples);
  });

  it('never executes command substitution, backticks or expansions inside a value', () => {
    // Prepare
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion, not a template
    const hostile = ['$(echo pwned)', '`echo pwned`', '$HOME', '${PATH}', "'; echo pwned; '", '\\', '"$(id)"', "a'b"];
    const script = hostile.map((value, index) => exportLine(`H${index}`, shellQuote(value))).join('');

    // Act
    const values = evalInBash(
      script,
      hostile.map((_, index) => `H${index}`),
    );

    // Assess
    expect(values.map((value) => value.toString('utf8'))).toEqual(hostile);
  });

  it('keeps multi-line values intact, trailing newline included', () => {
    // Prepare
    const value = '-----BEGIN KEY-----\nline two\n\nline four\n';

    // Act
    const [read] = evalInBash(exportLine('MULTI', shellQuote(value)), ['MULTI']);

    // Assess
    expect(read?.toString('utf8')).toBe(value);
  });

  it('writes control characters as printable ANSI-C escapes', () => {
    // Prepare
    const value = 'bell\u0007esc\u001b[31m';

    // Act
    const quoted = shellQuote(value);
    const [read] = evalInBash(exportLine('CTRL', quoted), ['CTRL']);

    // Assess
    expect(quoted).toBe("$'bell\\x07esc\\x1b[31m'");
    expect(read?.toString('utf8')).toBe(value);
  });
});

describe('Function: shellQuoteBytes', () => {
  it('reads back arbitrary non-NUL bytes, including invalid UTF-8', () => {
    // Prepare
    const samples = fc.sample(
      fc.uint8Array({ minLength: 0, maxLength: 40 }).map((bytes) => bytes.map((byte) => byte || 1)),
      60,
    );
    const script = samples.map((bytes, index) => exportLine(`B${index}`, shellQuoteBytes(bytes))).join('');

    // Act
    const values = evalInBash(
      script,
      samples.map((_, index) => `B${index}`),
    );

    // Assess
    expect(values.map((value) => [...value])).toEqual(samples.map((bytes) => [...bytes]));
  });
});

describe('Function: isShellIdentifier', () => {
  it('accepts letters, digits and underscores not starting with a digit', () => {
    // Act / Assess
    expect(['A', '_X', 'DATABASE_SECRET', 'a1_b2'].every(isShellIdentifier)).toBe(true);
    expect(['', '1A', 'my-app_TOKEN', 'A B', 'A=B', 'É_TOKEN', 'A\n'].some(isShellIdentifier)).toBe(false);
  });
});

describe('Function: exportLine', () => {
  it('refuses a name that is not an identifier rather than emit a broken script', () => {
    // Act / Assess
    expect(() => exportLine('my-app_TOKEN', "'x'")).toThrow(/not a shell identifier/);
  });
});
