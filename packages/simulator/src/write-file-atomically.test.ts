import {
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomically } from './write-file-atomically.js';

const scratch = () => mkdtempSync(join(tmpdir(), 'write-file-atomically-'));

describe('Function: writeFileAtomically', () => {
  it('writes the whole text, replacing what was there, and leaves nothing beside it', () => {
    const dir = scratch();
    const path = join(dir, 'trace.jsonl');
    writeFileSync(path, 'old trace\n');
    writeFileAtomically(path, 'new trace\n');
    expect(readFileSync(path, 'utf8')).toBe('new trace\n');
    expect(readdirSync(dir)).toEqual(['trace.jsonl']);
  });

  it('keeps the old file whole, and no temporary file, when the write fails midway (a full disk)', () => {
    const dir = scratch();
    const path = join(dir, 'trace.jsonl');
    writeFileSync(path, 'old trace\n');
    const fullDisk = {
      writeFile: (target: string, text: string) => {
        writeFileSync(target, text.slice(0, 3));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
      rename: renameSync,
      remove: (target: string) => rmSync(target, { force: true }),
      isOtherThanRegularFile: () => false,
    };
    expect(() => writeFileAtomically(path, 'new trace\n', fullDisk)).toThrow('ENOSPC');
    expect(readFileSync(path, 'utf8')).toBe('old trace\n');
    expect(readdirSync(dir)).toEqual(['trace.jsonl']);
  });

  it('writes through a symbolic link such as /dev/stdout, leaving the link a link', () => {
    const dir = scratch();
    const target = join(dir, 'latest-target.jsonl');
    const link = join(dir, 'latest.jsonl');
    writeFileSync(target, 'old trace\n');
    symlinkSync(target, link);
    writeFileAtomically(link, 'new trace\n');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('new trace\n');
    expect(readdirSync(dir).sort()).toEqual(['latest-target.jsonl', 'latest.jsonl']);
  });

  it('names the directory it cannot write, not a temporary file', () => {
    const dir = scratch();
    expect(() => writeFileAtomically(dir, 'x')).toThrow(/EISDIR/);
    expect(() => writeFileAtomically(dir, 'x')).not.toThrow(/\.tmp/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('fails on a directory that does not exist, creating nothing', () => {
    const dir = scratch();
    expect(() => writeFileAtomically(join(dir, 'missing', 'trace.jsonl'), 'x')).toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
