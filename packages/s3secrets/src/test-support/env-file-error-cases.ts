/**
 * Every way an env file can fail to parse, each written so that secrets sit before the bad construct, inside it and
 * after it (with the characters that used to end a scan further down the file). Tests run them through every output
 * of the parser, the script builder, `env` and `put`, and grep for `ENV_FILE_CANARY`.
 */
export const ENV_FILE_CANARY = 'Zq9-canary-secret';

export interface EnvFileErrorCase {
  /** What goes wrong, for the test name. */
  title: string;
  text: string | Uint8Array;
  /** The 1-based line the parser must name, or undefined when the file is skipped as a whole (not UTF-8). */
  line: number | undefined;
}

const before = `BEFORE_TOKEN=${ENV_FILE_CANARY}-before\n`;
// Closes every construct a runaway scan might be looking for: } ) ' " and a backtick.
const after = `AFTER_PASSWORD="${ENV_FILE_CANARY}-after})'\`"\nLAST_SECRET='${ENV_FILE_CANARY}-last}'\n`;

export const ENV_FILE_ERROR_CASES: readonly EnvFileErrorCase[] = [
  {
    title: 'a line that is not NAME=value',
    text: `${before}${ENV_FILE_CANARY}-inside not an assignment\n${after}`,
    line: 2,
  },
  { title: 'an unquoted operator', text: `${before}OPERATOR=${ENV_FILE_CANARY}-inside;rest\n${after}`, line: 2 },
  // No quote of the same kind follows, so these run to the end of the file.
  {
    title: 'an unterminated single quote',
    text: `${before}SINGLE='${ENV_FILE_CANARY}-inside\nMORE=${ENV_FILE_CANARY}-more\n`,
    line: 2,
  },
  {
    title: 'an unterminated double quote',
    text: `${before}DOUBLE="${ENV_FILE_CANARY}-inside\nMORE=${ENV_FILE_CANARY}-more\n`,
    line: 2,
  },
  {
    title: "an unterminated $'…' quote",
    text: `${before}ANSI=$'${ENV_FILE_CANARY}-inside\nMORE=${ENV_FILE_CANARY}-more\n`,
    line: 2,
  },
  {
    title: "$'…' escapes that are not UTF-8",
    text: `${before}ANSI=$'${ENV_FILE_CANARY}-inside\\xff${ENV_FILE_CANARY}-inside'\n${after}`,
    line: 2,
  },
  { title: 'an unterminated $(…)', text: `${before}COMMAND=$(${ENV_FILE_CANARY}-inside\n${after}`, line: 2 },
  // The reported leak: an unclosed ${ and a } anywhere later.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion, not a template
  { title: 'an unterminated ${…}', text: `APP_HOME=\${HOME\n${before}${after}`, line: 1 },
  {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion, not a template
    title: 'an unterminated ${…} holding a secret',
    text: `${before}PARTIAL=\${${ENV_FILE_CANARY}-inside\n${after}`,
    line: 2,
  },
  // The reported one-line variant.
  {
    title: 'an unsupported expansion',
    text: `${before}DB_PASSWORD="Xy\${Zq!9-${ENV_FILE_CANARY}-inside}abc"\n${after}`,
    line: 2,
  },
  { title: 'text after the value', text: `${before}SPACED=one ${ENV_FILE_CANARY}-inside\n${after}`, line: 2 },
  {
    title: 'bytes that are not UTF-8',
    text: new Uint8Array([
      ...Buffer.from(`${before}BAD=`),
      0xff,
      0xfe,
      ...Buffer.from(`${ENV_FILE_CANARY}-inside\n${after}`),
    ]),
    line: undefined,
  },
];
