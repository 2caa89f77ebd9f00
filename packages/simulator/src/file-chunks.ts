import { closeSync, openSync, readSync } from 'node:fs';

const CHUNK_BYTES = 1 << 20;

/**
 * A file's bytes in chunks of at most `chunkBytes`, read as they are consumed, so a file larger than a JavaScript
 * string can hold is read at all. The file is opened on the first read and closed after the last, or when the
 * consumer stops early.
 */
export function* readFileChunks(path: string, chunkBytes = CHUNK_BYTES): Generator<Uint8Array> {
  const descriptor = openSync(path, 'r');
  try {
    for (;;) {
      const chunk = Buffer.allocUnsafe(chunkBytes);
      const read = readSync(descriptor, chunk, 0, chunkBytes, null);
      if (read === 0) return;
      yield chunk.subarray(0, read);
    }
  } finally {
    closeSync(descriptor);
  }
}
