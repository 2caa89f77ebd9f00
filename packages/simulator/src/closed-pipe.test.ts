import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { endQuietlyWhenPipeCloses } from './closed-pipe.js';

const streamError = (code: string) => Object.assign(new Error(`write ${code}`), { code });

describe('Function: endQuietlyWhenPipeCloses', () => {
  it('ends quietly when the reader closed the pipe', () => {
    const stdout = new PassThrough();
    let closed = 0;
    endQuietlyWhenPipeCloses(stdout, () => {
      closed += 1;
    });
    expect(stdout.emit('error', streamError('EPIPE'))).toBe(true);
    expect(closed).toBe(1);
  });

  it('still fails on any other stream error', () => {
    const stdout = new PassThrough();
    let closed = 0;
    endQuietlyWhenPipeCloses(stdout, () => {
      closed += 1;
    });
    expect(() => stdout.emit('error', streamError('ENOSPC'))).toThrow('write ENOSPC');
    expect(closed).toBe(0);
  });
});
