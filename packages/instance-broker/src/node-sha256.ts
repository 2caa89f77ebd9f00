import { createHash, createHmac } from 'node:crypto';
import type { Checksum, SourceData } from '@smithy/types';

/**
 * The SigV4 signer's hash interface on node:crypto: the SDK's own Node hash package is no dependency of this package,
 * and the client should load as little as possible.
 */
export class NodeSha256 implements Checksum {
  private readonly chunks: Buffer[] = [];
  constructor(private readonly secret?: SourceData) {}
  update(data: Uint8Array | string): void {
    this.chunks.push(typeof data === 'string' ? Buffer.from(data) : Buffer.from(data));
  }
  async digest(): Promise<Uint8Array> {
    const hash =
      this.secret === undefined
        ? createHash('sha256')
        : createHmac('sha256', typeof this.secret === 'string' ? this.secret : bytes(this.secret));
    for (const chunk of this.chunks) hash.update(chunk);
    return new Uint8Array(hash.digest());
  }
  reset(): void {
    this.chunks.length = 0;
  }
}

function bytes(data: ArrayBuffer | ArrayBufferView): Buffer {
  return ArrayBuffer.isView(data)
    ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    : Buffer.from(new Uint8Array(data));
}
