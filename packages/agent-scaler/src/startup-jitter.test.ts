import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deterministicJitterMs, fnv1a64 } from './startup-jitter';

describe('Function: fnv1a64', () => {
  it.each([
    // Published FNV-1a 64-bit test vectors.
    ['', 0xcbf29ce484222325n],
    ['a', 0xaf63dc4c8601ec8cn],
    ['foobar', 0x85944171f73967e8n],
  ])('hashes %j like the reference implementation', (key, expected) => {
    expect(fnv1a64(key)).toBe(expected);
  });
});

describe('Function: deterministicJitterMs', () => {
  it('is stable and inside (0, 30 s) for the upstream test key', () => {
    // Act
    const first = deterministicJitterMs('stack-a-AgentAutoScaleGroup', 30_000);
    const second = deterministicJitterMs('stack-a-AgentAutoScaleGroup', 30_000);

    // Assess
    expect(first).toBe(second);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(30_000);
  });

  it.each([
    ['', 30_000],
    ['group', 0],
    ['group', -1_000],
  ])('is 0 for key %j and max %d', (key, maxMs) => {
    expect(deterministicJitterMs(key, maxMs)).toBe(0);
  });

  it('always lies in [0, max) (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.integer({ min: 1, max: 600_000 }), (key, maxMs) => {
        const jitter = deterministicJitterMs(key, maxMs);
        expect(jitter).toBeGreaterThanOrEqual(0);
        expect(jitter).toBeLessThan(maxMs);
      }),
    );
  });
});
