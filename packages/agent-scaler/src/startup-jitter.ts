const FNV_OFFSET_BASIS_64 = 0xcbf29ce484222325n;
const FNV_PRIME_64 = 0x100000001b3n;
const MASK_64 = 0xffffffffffffffffn;

/** FNV-1a 64-bit hash of the UTF-8 bytes of `key`, as Go's `hash/fnv` computes it. */
export function fnv1a64(key: string): bigint {
  let hash = FNV_OFFSET_BASIS_64;
  for (const byte of new TextEncoder().encode(key)) {
    hash ^= BigInt(byte);
    hash = (hash * FNV_PRIME_64) & MASK_64;
  }
  return hash;
}

/**
 * The start delay Buildkite's scaler uses so that many stacks on the same schedule do not poll at the same instant:
 * `fnv1a64(key) mod max` in nanoseconds, i.e. a stable value in `[0, max)`. 0 for an empty key or `max <= 0`.
 * Returned in milliseconds (fractional).
 */
export function deterministicJitterMs(key: string, maxMs: number): number {
  if (key === '' || !(maxMs > 0)) return 0;
  const maxNs = BigInt(Math.round(maxMs * 1e6));
  if (maxNs === 0n) return 0;
  return Number(fnv1a64(key) % maxNs) / 1e6;
}
