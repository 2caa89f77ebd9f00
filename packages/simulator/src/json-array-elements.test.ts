import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type JsonArrayEvent, jsonArrayElements } from './json-array-elements.js';

const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The bytes of `text` cut at the given positions (as a file read in small pieces would be). */
function chunked(text: string, cuts: readonly number[]): Uint8Array[] {
  const bytes = bytesOf(text);
  const positions = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const position of [...positions, bytes.length]) {
    chunks.push(bytes.slice(start, position));
    start = position;
  }
  return chunks;
}

const eventsOf = (chunks: Iterable<Uint8Array>): JsonArrayEvent[] => [...jsonArrayElements(chunks)];

describe('Function: jsonArrayElements', () => {
  it('yields the elements JSON.parse sees, however the bytes are cut and spaced', () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.constantFrom(0, 2),
        (values, cuts, indent) => {
          const text = JSON.stringify(values, null, indent);
          const elements = eventsOf(chunked(text, cuts));
          // The reference: JSON.parse on the whole text (-0 and 0 are one JSON number).
          expect(elements).toEqual((JSON.parse(text) as unknown[]).map((value) => ({ kind: 'element', value })));
        },
      ),
    );
  });

  it('reads strings with quotes, backslashes, brackets, commas and multi-byte characters cut mid-character', () => {
    const values = [{ id: 'a "quoted" ], {x}, \\ end', note: 'Zürich 東京 🚀' }, 'b\\"', [[], {}]];
    const text = JSON.stringify(values);
    for (let cut = 0; cut <= bytesOf(text).length; cut += 1) {
      expect(eventsOf(chunked(text, [cut]))).toEqual(values.map((value) => ({ kind: 'element', value })));
    }
  });

  it('skips a byte-order mark and whitespace around the array', () => {
    expect(eventsOf([bytesOf('\uFEFF \n [1, 2] \n')])).toEqual([
      { kind: 'element', value: 1 },
      { kind: 'element', value: 2 },
    ]);
    expect(eventsOf([bytesOf('[]')])).toEqual([]);
    expect(eventsOf([bytesOf(' [ ] ')])).toEqual([]);
  });

  it('tells JSON that is not an array from text that is not JSON', () => {
    for (const text of ['{"builds": []}', '"builds"', '42', '-1']) {
      expect(eventsOf([bytesOf(text)])).toEqual([{ kind: 'not-an-array' }]);
    }
    for (const text of ['', '   ', 'not json', '<html>']) {
      expect(eventsOf([bytesOf(text)])).toEqual([{ kind: 'syntax-error', elementIndex: 0 }]);
    }
  });

  it('reports a syntax error after the elements before it, and nothing after it', () => {
    const cases: [string, number, number][] = [
      ['[1, 2', 1, 1],
      ['[1, {"a": 2', 1, 1],
      ['[1,]', 1, 1],
      ['[,1]', 0, 0],
      ['[1 2]', 0, 0],
      ['[1, {"a": }, 3]', 1, 1],
      ['[1] x', 1, 1],
      ['[1} ', 0, 0],
      ['[1, 2]]', 2, 2],
    ];
    for (const [text, elements, elementIndex] of cases) {
      const events = eventsOf([bytesOf(text)]);
      expect(
        events.filter((event) => event.kind === 'element'),
        text,
      ).toHaveLength(elements);
      expect(events.at(-1), text).toEqual({ kind: 'syntax-error', elementIndex });
    }
  });
});
