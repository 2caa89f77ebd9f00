// Benchmark only (`bench -- --ab-signer`): `signRequest` on the AWS SDK's own signer, @smithy/signature-v4, configured
// as the SDK's S3 client configures it, with the same Node hash the SDK uses on Node (node:crypto). The bench bundles
// it in place of src/sigv4.ts to measure what adopting the SDK's signer would cost the per-job path.
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';
import type { AwsCredentials, RequestToSign } from '../src/sigv4';

export { EMPTY_PAYLOAD_SHA256 } from '../src/sigv4';

/** What @smithy/hash-node does: node:crypto's SHA-256, or its HMAC when there is a secret. */
class NodeSha256 implements Checksum {
  #hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.#hash = this.#create();
  }
  #create(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256');
    return createHmac('sha256', typeof this.secret === 'string' ? this.secret : Buffer.from(this.secret as Uint8Array));
  }
  update(data: Uint8Array | string): void {
    this.#hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {
    this.#hash = this.#create();
  }
}

const signers = new Map<string, SignatureV4>();

export async function signRequest(
  request: RequestToSign,
  credentials: AwsCredentials,
  date: Date,
): Promise<Record<string, string>> {
  let signer = signers.get(request.region);
  if (!signer) {
    signer = new SignatureV4({
      credentials: () => Promise.resolve(credentials),
      region: request.region,
      service: 's3',
      sha256: NodeSha256,
      uriEscapePath: false,
      applyChecksum: false,
    });
    signers.set(request.region, signer);
  }
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'https:',
      hostname: request.host,
      path: request.path,
      query: { ...request.query },
      headers: { host: request.host, 'x-amz-content-sha256': request.payloadHash },
    },
    { signingDate: date, signingRegion: request.region },
  );
  return Object.fromEntries(Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
}
