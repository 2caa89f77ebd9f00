const SHELL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** True when `name` can be assigned in POSIX sh / bash (`NAME=value`). */
export function isShellIdentifier(name: string): boolean {
  return SHELL_IDENTIFIER.test(name);
}

/**
 * Quotes a value so that a shell reads it back byte for byte and expands nothing inside it.
 * Single quotes are the only shell quoting with no special characters; a single quote itself is written as `'\''`.
 * Values with control characters other than tab and newline use ANSI-C `$'…'` quoting so the script stays printable.
 */
export function shellQuote(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what we look for
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(value)) return ansiCQuote(value);
  return `'${value.replaceAll("'", "'\\''")}'`;
}

function ansiCQuote(value: string): string {
  let quoted = "$'";
  for (const character of value) {
    const code = character.codePointAt(0) ?? 0;
    if (character === '\\' || character === "'") quoted += `\\${character}`;
    else if (code < 0x20 || code === 0x7f) quoted += `\\x${code.toString(16).padStart(2, '0')}`;
    else quoted += character;
  }
  return `${quoted}'`;
}

/** Quotes raw bytes (possibly not UTF-8) with ANSI-C `$'\xNN'` escapes for every non-printable-ASCII byte. */
export function shellQuoteBytes(bytes: Uint8Array): string {
  let quoted = "$'";
  for (const byte of bytes) {
    if (byte === 0x5c || byte === 0x27) quoted += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f) quoted += String.fromCharCode(byte);
    else quoted += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `${quoted}'`;
}

/** One `export NAME='value'` line; the caller guarantees `name` is an identifier. */
export function exportLine(name: string, quotedValue: string): string {
  if (!isShellIdentifier(name)) throw new Error(`not a shell identifier: ${JSON.stringify(name)}`);
  return `export ${name}=${quotedValue}\n`;
}
