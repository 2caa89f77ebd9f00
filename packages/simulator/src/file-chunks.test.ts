import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFileChunks } from './file-chunks.js';

describe('Function: readFileChunks', () => {
  it('yields every byte of the file in order, in chunks of at most the size asked', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'file-chunks-')), 'builds.json');
    const content = Buffer.from('[{"id":"b1","note":"Zürich 東京"}]\n'.repeat(7));
    writeFileSync(path, content);
    const chunks = [...readFileChunks(path, 10)];
    expect(chunks.every((chunk) => chunk.length <= 10)).toBe(true);
    expect(chunks.length).toBe(Math.ceil(content.length / 10));
    expect(Buffer.concat(chunks).equals(content)).toBe(true);
  });

  it('fails on the first read of a file that does not exist', () => {
    const chunks = readFileChunks(join(tmpdir(), 'file-chunks-missing', 'none.json'));
    expect(() => chunks.next()).toThrow(/ENOENT/);
  });
});
