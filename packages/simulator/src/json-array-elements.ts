import { Buffer } from 'node:buffer';

/**
 * The elements of a JSON array read chunk by chunk, each parsed on its own, so an export larger than a JavaScript
 * string can hold (a week of a busy organisation's builds in one file) is read whole with one element in memory.
 *
 * The scan works on UTF-8 bytes: every byte of a multi-byte character is ≥ 0x80, so none of them is mistaken for a
 * quote, a backslash, a bracket or a comma.
 */

export type JsonArrayEvent =
  | { readonly kind: 'element'; readonly value: unknown }
  /** The text is not a JSON array at all (an object, a string, …): nothing else is reported. */
  | { readonly kind: 'not-an-array' }
  /** A syntax error in or after the element at `elementIndex` (0-based): nothing after it is reported. */
  | { readonly kind: 'syntax-error'; readonly elementIndex: number };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const BYTE_ORDER_MARK = [0xef, 0xbb, 0xbf];
const STARTS_OTHER_JSON_VALUE = /^[{"0-9-]$/;

const isWhitespace = (byte: number): boolean => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/** Yields each element of the array in `chunks` in order, then stops; a problem is yielded last. */
export function* jsonArrayElements(chunks: Iterable<Uint8Array>): Generator<JsonArrayEvent> {
  type State = 'before-array' | 'in-array' | 'after-array';
  let state: State = 'before-array';
  let leadingBytes = 0;
  /** Nesting inside the current element (0: between elements, at the array's own level). */
  let depth = 0;
  let inString = false;
  let escaped = false;
  let elementParts: Uint8Array[] = [];
  let elementIndex = 0;
  let sawComma = false;

  /** Parses the element collected so far: its value, `empty` (nothing but whitespace) or `invalid`. */
  const finishElement = (): { value: unknown } | 'empty' | 'invalid' => {
    const text = Buffer.concat(elementParts).toString('utf8').trim();
    elementParts = [];
    if (text === '') return 'empty';
    try {
      return { value: JSON.parse(text) as unknown };
    } catch {
      return 'invalid';
    }
  };

  for (const chunk of chunks) {
    let elementStart = state === 'in-array' ? 0 : -1;
    for (let position = 0; position < chunk.length; position += 1) {
      const byte = chunk[position] as number;
      if (state === 'before-array') {
        // A byte-order mark some editors write is not content.
        if (leadingBytes < BYTE_ORDER_MARK.length && byte === BYTE_ORDER_MARK[leadingBytes]) {
          leadingBytes += 1;
          continue;
        }
        leadingBytes = BYTE_ORDER_MARK.length;
        if (isWhitespace(byte)) continue;
        if (byte !== OPEN_BRACKET) {
          // An object, a string or a number is JSON but not an array; anything else is not JSON at all.
          yield STARTS_OTHER_JSON_VALUE.test(String.fromCharCode(byte))
            ? { kind: 'not-an-array' }
            : { kind: 'syntax-error', elementIndex: 0 };
          return;
        }
        state = 'in-array';
        elementStart = position + 1;
        continue;
      }
      if (state === 'after-array') {
        if (!isWhitespace(byte)) {
          yield { kind: 'syntax-error', elementIndex };
          return;
        }
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (byte === BACKSLASH) escaped = true;
        else if (byte === QUOTE) inString = false;
        continue;
      }
      if (byte === QUOTE) inString = true;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth += 1;
      else if ((byte === CLOSE_BRACE || byte === CLOSE_BRACKET) && depth > 0) depth -= 1;
      else if (depth === 0 && (byte === COMMA || byte === CLOSE_BRACKET)) {
        elementParts.push(chunk.subarray(elementStart, position));
        const element = finishElement();
        const isEmptyArray = element === 'empty' && byte === CLOSE_BRACKET && elementIndex === 0 && !sawComma;
        if (typeof element === 'object') {
          yield { kind: 'element', value: element.value };
          elementIndex += 1;
        } else if (!isEmptyArray) {
          yield { kind: 'syntax-error', elementIndex };
          return;
        }
        sawComma = byte === COMMA;
        if (byte === CLOSE_BRACKET) state = 'after-array';
        elementStart = position + 1;
      } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        yield { kind: 'syntax-error', elementIndex };
        return;
      }
    }
    // The element goes on in the next chunk; the chunk may be reused by its reader, so keep a copy.
    if (state === 'in-array') elementParts.push(Buffer.from(chunk.subarray(elementStart)));
  }
  if (state === 'before-array') yield { kind: 'syntax-error', elementIndex: 0 };
  else if (state === 'in-array') yield { kind: 'syntax-error', elementIndex };
}
