import { EnvFileSyntaxError } from './errors';
import { isShellIdentifier } from './shell-quote';

/** One assignment read from an env file, with the value as the shell would have produced it. */
export interface EnvAssignment {
  name: string;
  value: string;
  line: number;
}

export interface ParsedEnvFile {
  assignments: EnvAssignment[];
  /** Things that work differently from `eval` (command substitution kept literally), by line. */
  notices: string[];
}

/** Looks up `$NAME` references: variables set earlier (in this or an earlier file), then the process environment. */
export type VariableLookup = (name: string) => string | undefined;

/**
 * The characters a shell reads as operators, each with a fixed description: a syntax error names the character this
 * way and never quotes the line, which may hold a secret.
 */
const OPERATOR_NAMES: Readonly<Record<string, string>> = {
  ';': 'semicolon ";"',
  '&': 'ampersand "&"',
  '|': 'pipe "|"',
  '<': 'redirection "<"',
  '>': 'redirection ">"',
  '(': 'parenthesis "("',
  ')': 'parenthesis ")"',
};
const NAME_START = /[A-Za-z_]/;
const NAME_CHARACTER = /[A-Za-z0-9_]/;

/**
 * Parses an env file the way bash reads `NAME=value` lines, without executing anything.
 *
 * Supported: blank lines, `#` comments, optional `export`, unquoted words with backslash escapes, '…', "…" (may span
 * lines), $'…', and `$NAME` / `${NAME}` / `${NAME:-default}` / `${NAME-default}` expansion from earlier assignments
 * and the environment. Command substitution (`$(…)`, backticks) is kept as literal text with a notice: upstream ran
 * it through `eval`, which is exactly how a secret could execute code.
 * @throws EnvFileSyntaxError naming the first bad line.
 */
export function parseEnvFile(text: string, lookup: VariableLookup = () => undefined): ParsedEnvFile {
  const parser = new EnvFileParser(text, lookup);
  return parser.parse();
}

class EnvFileParser {
  private position = 0;
  private line = 1;
  private readonly assignments: EnvAssignment[] = [];
  private readonly notices: string[] = [];
  private readonly defined = new Map<string, string>();

  constructor(
    private readonly text: string,
    private readonly lookup: VariableLookup,
  ) {}

  parse(): ParsedEnvFile {
    while (this.position < this.text.length) {
      this.skipBlanks();
      const character = this.peek();
      if (character === undefined) break;
      if (character === '\n' || character === '\r') {
        this.advanceNewline();
        continue;
      }
      if (character === '#') {
        this.skipToEndOfLine();
        continue;
      }
      this.parseStatement();
    }
    return { assignments: this.assignments, notices: this.notices };
  }

  private parseStatement(): void {
    const statementLine = this.line;
    let name = this.readName();
    if (name === 'export' && (this.peek() === ' ' || this.peek() === '\t')) {
      this.skipBlanks();
      name = this.readName();
      if (name !== '' && this.atEndOfStatement()) {
        // `export NAME` marks an existing variable for export; under allexport it changes nothing.
        this.finishLine();
        return;
      }
    }
    if (name === '' || this.peek() !== '=') {
      throw new EnvFileSyntaxError(statementLine, 'expected NAME=value (a shell identifier, then "=")');
    }
    this.position += 1;
    const value = this.readWord();
    this.finishLine();
    this.defined.set(name, value);
    this.assignments.push({ name, value, line: statementLine });
  }

  private readName(): string {
    const start = this.position;
    if (!NAME_START.test(this.peek() ?? '')) return '';
    while (NAME_CHARACTER.test(this.peek() ?? '')) this.position += 1;
    const name = this.text.slice(start, this.position);
    return isShellIdentifier(name) ? name : '';
  }

  private readWord(): string {
    let value = '';
    for (;;) {
      const character = this.peek();
      if (character === undefined || character === ' ' || character === '\t' || this.isNewline(character)) {
        return value;
      }
      if (character === "'") value += this.readSingleQuoted();
      else if (character === '"') value += this.readDoubleQuoted();
      else if (character === '$' && this.text[this.position + 1] === "'") value += this.readAnsiCQuoted();
      else if (character === '$') value += this.readExpansion();
      else if (character === '`') value += this.readBacktick();
      else if (character === '\\') {
        const next = this.text[this.position + 1];
        if (next === undefined) {
          this.position += 1;
        } else if (next === '\n') {
          // A backslash-newline continues the word on the next line.
          this.position += 2;
          this.line += 1;
        } else {
          value += next;
          this.position += 2;
        }
      } else if (OPERATOR_NAMES[character] !== undefined) {
        throw new EnvFileSyntaxError(
          this.line,
          `unquoted ${OPERATOR_NAMES[character]} in a value (a shell would treat it as an operator); put the value in single quotes`,
        );
      } else {
        value += character;
        this.position += 1;
      }
    }
  }

  private readSingleQuoted(): string {
    const openingLine = this.line;
    const end = this.text.indexOf("'", this.position + 1);
    if (end === -1) throw new EnvFileSyntaxError(openingLine, 'unterminated single quote');
    const value = this.text.slice(this.position + 1, end);
    this.line += countNewlines(value);
    this.position = end + 1;
    return value;
  }

  private readDoubleQuoted(): string {
    const openingLine = this.line;
    this.position += 1;
    let value = '';
    for (;;) {
      const character = this.peek();
      if (character === undefined) throw new EnvFileSyntaxError(openingLine, 'unterminated double quote');
      if (character === '"') {
        this.position += 1;
        return value;
      }
      if (character === '\\') {
        const next = this.text[this.position + 1];
        if (next === '$' || next === '`' || next === '"' || next === '\\') {
          value += next;
          this.position += 2;
        } else if (next === '\n') {
          this.position += 2;
          this.line += 1;
        } else {
          value += '\\';
          this.position += 1;
        }
      } else if (character === '$') {
        value += this.readExpansion();
      } else if (character === '`') {
        value += this.readBacktick();
      } else {
        if (character === '\n') this.line += 1;
        value += character;
        this.position += 1;
      }
    }
  }

  /**
   * `$'…'` with every escape bash knows. `\xHH` and octal escapes are bytes, not characters (`printf %q` writes
   * `$'\303\251'` for "é"), so the value is built as bytes and must decode as UTF-8.
   */
  private readAnsiCQuoted(): string {
    const openingLine = this.line;
    this.position += 2;
    const bytes: number[] = [];
    const text = (characters: string) => bytes.push(...Buffer.from(characters, 'utf8'));
    for (;;) {
      const character = this.peek();
      if (character === undefined) throw new EnvFileSyntaxError(openingLine, "unterminated $'…' quote");
      if (character === "'") {
        this.position += 1;
        const value = decodeUtf8(bytes);
        if (value === undefined) {
          throw new EnvFileSyntaxError(openingLine, "the escapes in $'…' make bytes that are not UTF-8 text");
        }
        return value;
      }
      if (character === '\\') {
        const escaped = readAnsiCEscape(this.text, this.position + 1);
        if (escaped === undefined) {
          text('\\');
          this.position += 1;
        } else {
          if (typeof escaped.value === 'number') bytes.push(escaped.value);
          else text(escaped.value);
          this.position += 1 + escaped.length;
        }
      } else {
        if (character === '\n') this.line += 1;
        text(character);
        this.position += 1;
      }
    }
  }

  private readExpansion(): string {
    const next = this.text[this.position + 1];
    if (next === '(') {
      // Kept verbatim up to the matching ")" on this line, so an unquoted `$(…)` is text, not a syntax error.
      let depth = 0;
      let end = this.position + 1;
      for (; end < this.text.length && this.text[end] !== '\n'; end += 1) {
        if (this.text[end] === '(') depth += 1;
        else if (this.text[end] === ')' && --depth === 0) break;
      }
      if (depth !== 0) throw new EnvFileSyntaxError(this.line, 'unterminated $(…)');
      this.notices.push(`line ${this.line}: "$(…)" is kept as literal text; command substitution is never executed`);
      const literal = this.text.slice(this.position, end + 1);
      this.position = end + 1;
      return literal;
    }
    if (next === '{') {
      // The scan ends at the end of the line: a "}" further down the file must not pull the following lines (other
      // secrets) into this expansion.
      const end = this.endOfExpansion(this.position + 2);
      if (end === -1) {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion, not a template
        throw new EnvFileSyntaxError(this.line, 'unterminated ${…} (the closing "}" must be on the same line)');
      }
      const body = this.text.slice(this.position + 2, end);
      const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)(.*))?$/s.exec(body);
      if (!match?.[1]) {
        // Never quotes the body: it is file text, and may be (part of) a secret.
        throw new EnvFileSyntaxError(
          this.line,
          // biome-ignore lint/suspicious/noTemplateCurlyInString: literal shell expansions, not templates
          'unsupported expansion; only ${NAME}, ${NAME:-default} and ${NAME-default} are read',
        );
      }
      this.position = end + 1;
      const current = this.resolve(match[1]);
      if (match[2] === ':-') return current === undefined || current === '' ? (match[3] ?? '') : current;
      if (match[2] === '-') return current === undefined ? (match[3] ?? '') : current;
      return current ?? '';
    }
    if (next !== undefined && NAME_START.test(next)) {
      this.position += 1;
      const start = this.position;
      while (NAME_CHARACTER.test(this.peek() ?? '')) this.position += 1;
      return this.resolve(this.text.slice(start, this.position)) ?? '';
    }
    this.position += 1;
    return '$';
  }

  /** Index of the first "}" from `from` on the same line, or -1. */
  private endOfExpansion(from: number): number {
    for (let index = from; index < this.text.length; index += 1) {
      const character = this.text[index];
      if (character === '}') return index;
      if (character === '\n') return -1;
    }
    return -1;
  }

  private readBacktick(): string {
    this.notices.push(`line ${this.line}: backticks are kept as literal text; command substitution is never executed`);
    const closing = this.text.indexOf('`', this.position + 1);
    const lineEnd = this.text.indexOf('\n', this.position);
    const end = closing !== -1 && (lineEnd === -1 || closing < lineEnd) ? closing + 1 : this.position + 1;
    const literal = this.text.slice(this.position, end);
    this.position = end;
    return literal;
  }

  private resolve(name: string): string | undefined {
    return this.defined.get(name) ?? this.lookup(name);
  }

  private atEndOfStatement(): boolean {
    const saved = this.position;
    this.skipBlanks();
    const character = this.peek();
    const atEnd = character === undefined || this.isNewline(character) || character === '#';
    this.position = saved;
    return atEnd;
  }

  private finishLine(): void {
    const hadBlank = this.skipBlanks();
    const character = this.peek();
    if (character === undefined) return;
    if (this.isNewline(character)) {
      this.advanceNewline();
      return;
    }
    if (character === '#' && hadBlank) {
      this.skipToEndOfLine();
      return;
    }
    throw new EnvFileSyntaxError(
      this.line,
      'unexpected text after the value; quote values that contain spaces (one assignment per line)',
    );
  }

  private skipBlanks(): boolean {
    const start = this.position;
    while (this.peek() === ' ' || this.peek() === '\t') this.position += 1;
    return this.position > start;
  }

  private skipToEndOfLine(): void {
    while (this.peek() !== undefined && this.peek() !== '\n') this.position += 1;
  }

  private advanceNewline(): void {
    if (this.peek() === '\r') this.position += 1;
    if (this.peek() === '\n') {
      this.position += 1;
      this.line += 1;
    }
  }

  private isNewline(character: string): boolean {
    return character === '\n' || (character === '\r' && this.text[this.position + 1] === '\n');
  }

  private peek(): string | undefined {
    return this.text[this.position];
  }
}

const SIMPLE_ANSI_C_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/**
 * The escape after a backslash at `from` inside `$'…'`, as bash reads it: a byte (`\xHH`, octal `\NNN`, `\cX`), text
 * (`\n`, `\uHHHH`, `\UHHHHHHHH`, …) and how many characters it spans; undefined when bash keeps the backslash.
 */
function readAnsiCEscape(text: string, from: number): { value: number | string; length: number } | undefined {
  const next = text[from] ?? '';
  const simple = SIMPLE_ANSI_C_ESCAPES[next];
  if (simple !== undefined) return { value: simple, length: 1 };
  const octal = /^[0-7]{1,3}/.exec(text.slice(from, from + 3));
  if (octal) return { value: Number.parseInt(octal[0], 8) & 0xff, length: octal[0].length };
  const hex = /^x([0-9a-fA-F]{1,2})/.exec(text.slice(from, from + 3));
  if (hex?.[1] !== undefined) return { value: Number.parseInt(hex[1], 16), length: hex[0].length };
  const unicode = /^(?:u([0-9a-fA-F]{1,4})|U([0-9a-fA-F]{1,8}))/.exec(text.slice(from, from + 9));
  if (unicode) {
    const codePoint = Number.parseInt(unicode[1] ?? unicode[2] ?? '', 16);
    if (codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return undefined;
    return { value: String.fromCodePoint(codePoint), length: unicode[0].length };
  }
  const control = text[from + 1];
  if (next === 'c' && control !== undefined && control !== '\n') {
    return { value: control === '?' ? 0x7f : control.toUpperCase().charCodeAt(0) & 0x1f, length: 2 };
  }
  return undefined;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(bytes: readonly number[]): string | undefined {
  try {
    return strictUtf8.decode(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
}

function countNewlines(text: string): number {
  let count = 0;
  for (const character of text) if (character === '\n') count += 1;
  return count;
}
