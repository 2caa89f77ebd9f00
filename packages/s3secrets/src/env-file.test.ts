import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEnvFile } from './env-file';
import { EnvFileSyntaxError } from './errors';
import { shellQuote } from './shell-quote';
import { ENV_FILE_CANARY, ENV_FILE_ERROR_CASES } from './test-support/env-file-error-cases';

const values = (text: string, lookup: (name: string) => string | undefined = () => undefined) =>
  Object.fromEntries(parseEnvFile(text, lookup).assignments.map(({ name, value }) => [name, value]));

/** What bash itself makes of a (side-effect free) env file: the reference our parser must agree with. */
function bashValues(text: string, names: string[]): Record<string, string> {
  const printer = names.map((name) => `printf '%s\\0' "$${name}"`).join('; ');
  const output = execFileSync('bash', ['-c', `set -euo pipefail; eval "$1"; ${printer}`, 'bash', text], {
    env: { PATH: process.env.PATH, HOME: '/home/ci' },
  }).toString('utf8');
  return Object.fromEntries(
    output
      .split('\0')
      .slice(0, names.length)
      .map((value, index) => [names[index], value]),
  );
}

describe('Function: parseEnvFile', () => {
  it('reads the forms bash accepts exactly as bash does', () => {
    // Prepare
    const text = [
      '# a comment',
      '',
      'PLAIN=one',
      'export EXPORTED=two',
      "SINGLE='it''s $HOME'",
      'DOUBLE="say \\"hi\\" to $HOME and \\$literal"',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion, not a template
      'EXPANDED=${HOME}/bin:$PLAIN',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion, not a template
      'DEFAULTED=${UNSET_THING:-fallback}',
      'CONCAT="a"b\'c\'',
      'ESCAPED=a\\ b',
      'COMMENTED=value # trailing comment',
      'EMPTY=',
      'MULTI="first',
      'second"',
      "ANSI=$'tab\\there'",
      '   INDENTED=yes',
    ].join('\n');
    const names = [
      'PLAIN',
      'EXPORTED',
      'SINGLE',
      'DOUBLE',
      'EXPANDED',
      'DEFAULTED',
      'CONCAT',
      'ESCAPED',
      'COMMENTED',
      'EMPTY',
      'MULTI',
      'ANSI',
      'INDENTED',
    ];

    // Act
    const parsed = values(text, (name) => (name === 'HOME' ? '/home/ci' : undefined));

    // Assess
    expect(parsed).toEqual(bashValues(text, names));
  });

  it('agrees with bash on any value written in single quotes', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 30 }).filter((value) => !value.includes('\0')),
        (value) => {
          // Prepare
          const text = `VALUE=${shellQuote(value)}\n`;

          // Act / Assess
          expect(values(text).VALUE).toBe(value);
        },
      ),
    );
  });

  it('keeps command substitution as literal text and says so, instead of running it', () => {
    // Prepare
    const text = 'A=$(touch /tmp/pwned)\nB="`id`"\nC="x $(id) y"\n';

    // Act
    const parsed = parseEnvFile(text);

    // Assess
    expect(Object.fromEntries(parsed.assignments.map(({ name, value }) => [name, value]))).toEqual({
      A: '$(touch /tmp/pwned)',
      B: '`id`',
      C: 'x $(id) y',
    });
    expect(parsed.notices).toHaveLength(3);
    expect(parsed.notices[0]).toMatch(/^line 1: /);
  });

  it("reads every escape of $'…' as bash does, bytes included (what printf %q and export -p write)", () => {
    // Prepare: \xHH and octal escapes are bytes, so \xc3\xa9 is "é" (not "Ã©"); the rest are bash's own escapes.
    const text = [
      "UTF8_HEX=$'caf\\xc3\\xa9'",
      "UTF8_OCTAL=$'p\\303\\251ss\\342\\202\\254'",
      "OCTAL=$'\\101\\0610'",
      "CONTROL=$'\\a\\b\\e\\E\\f\\v\\?\\cA\\c?'",
      "UNICODE=$'\\u00e9\\U1F600\\u263a'",
      "UNKNOWN=$'\\q\\x\\8'",
    ].join('\n');
    // \u and \U depend on bash's locale (a C locale keeps them as text): checked against UTF-8 below, not bash.
    const names = ['UTF8_HEX', 'UTF8_OCTAL', 'OCTAL', 'CONTROL', 'UNKNOWN'];

    // Act
    const parsed = values(text);

    // Assess
    expect(parsed.UTF8_HEX).toBe('café');
    expect(parsed.UTF8_OCTAL).toBe('péss€');
    expect(parsed.UNICODE).toBe('é😀☺');
    const { UNICODE: _unicode, ...others } = parsed;
    expect(others).toEqual(bashValues(text, names));
  });

  it("refuses $'…' escapes that make bytes which are not UTF-8, naming only the line", () => {
    // Act
    const attempt = () => parseEnvFile("A=1\nB=$'\\xff'\n");

    // Assess
    expect(attempt).toThrow(EnvFileSyntaxError);
    expect(attempt).toThrow(/^line 2: /);
  });

  it('lets later assignments see earlier ones', () => {
    // Act / Assess
    expect(values('A=one\nB=$A-two\nA=three\n')).toEqual({ A: 'three', B: 'one-two' });
  });

  it('reads CRLF files', () => {
    // Act / Assess
    expect(values('A=one\r\nB="two"\r\n')).toEqual({ A: 'one', B: 'two' });
  });

  it('reports the line number of the first malformed line', () => {
    // Prepare
    const cases: [string, number, RegExp][] = [
      ['A=1\nnot an assignment\n', 2, /expected NAME=value/],
      ['A=1\nB=two words\n', 2, /unexpected text after the value/],
      ["A=1\n\nB='unterminated\n", 3, /unterminated single quote/],
      ['A="open\nstill open\n', 1, /unterminated double quote/],
      ['1BAD=x\n', 1, /expected NAME=value/],
      ['A=x; rm -rf /\n', 1, /unquoted semicolon ";"/],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion, not a template
      ['A=${B/x/y}\n', 1, /unsupported expansion/],
      ['A=$(unterminated\n', 1, /unterminated \$\(/],
    ];

    for (const [text, line, reason] of cases) {
      // Act
      const attempt = () => parseEnvFile(text);

      // Assess
      expect(attempt).toThrow(EnvFileSyntaxError);
      try {
        attempt();
      } catch (error) {
        expect((error as EnvFileSyntaxError).line).toBe(line);
        expect((error as EnvFileSyntaxError).message).toMatch(reason);
      }
    }
  });

  it('accepts a bare `export NAME` as a no-op', () => {
    // Act / Assess
    expect(values('export A\nB=1\n')).toEqual({ B: '1' });
  });

  describe('syntax errors never quote file text', () => {
    const parseErrorCases = ENV_FILE_ERROR_CASES.filter(
      (errorCase): errorCase is typeof errorCase & { text: string; line: number } =>
        typeof errorCase.text === 'string' && errorCase.line !== undefined,
    );

    it.each(parseErrorCases)('names only the line of $title', ({ text, line }) => {
      // Act
      let caught: unknown;
      try {
        parseEnvFile(text);
      } catch (error) {
        caught = error;
      }

      // Assess
      expect(caught).toBeInstanceOf(EnvFileSyntaxError);
      const error = caught as EnvFileSyntaxError;
      expect(error.line).toBe(line);
      expect(`${error.message} ${error.reason} ${String(error.stack)}`).not.toContain(ENV_FILE_CANARY);
      // Only the fixed description of the problem, none of the line's characters beyond it.
      expect(error.message).toBe(`line ${line}: ${error.reason}`);
    });

    it('covers every place the parser throws', () => {
      // Prepare: the syntax errors the parser can raise, one per throw site.
      const source = readFileSync(new URL('./env-file.ts', import.meta.url), 'utf8');
      const throwSites = source.split('new EnvFileSyntaxError(').length - 1;

      // Act
      const reasons = new Set(
        parseErrorCases.map(({ text }) => {
          try {
            parseEnvFile(text);
            return 'parsed';
          } catch (error) {
            return (error as EnvFileSyntaxError).reason;
          }
        }),
      );

      // Assess
      expect(reasons.has('parsed')).toBe(false);
      expect(reasons.size).toBe(throwSites);
    });

    it('ends an expansion at the end of its line', () => {
      // Act
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion, not a template
      const attempt = () => parseEnvFile('A=${HOME\nB=x}\n');

      // Assess
      expect(attempt).toThrow(/^line 1: unterminated \$\{…\}/);
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion, not a template
      expect(values('A="${HOME:-/home/ci}"/bin\n')).toEqual({ A: '/home/ci/bin' });
    });
  });
});
