import { describe, expect, it } from 'vitest';
import { architectureOf, instanceFamilyOf } from './instance-architecture.js';

describe('Function: architectureOf', () => {
  it('knows Graviton families, including the d/n/e variants and the odd names', () => {
    for (const instanceType of [
      'a1.large',
      't4g.small',
      'c7gn.2xlarge',
      'm6gd.xlarge',
      'x2gd.medium',
      'im4gn.large',
      'is4gen.large',
      'g5g.xlarge',
      'i8ge.large',
      'hpc7g.4xlarge',
    ]) {
      expect(architectureOf(instanceType), instanceType).toBe('arm64');
    }
  });

  it('knows x86_64 families that a "g after the generation" rule would misread', () => {
    for (const instanceType of [
      'g4dn.xlarge',
      'g6e.xlarge',
      'i4i.large',
      'm7i-flex.large',
      'c5n.large',
      't3a.micro',
      'inf2.xlarge',
    ]) {
      expect(architectureOf(instanceType), instanceType).toBe('x86_64');
    }
  });

  it('returns undefined for unknown families and malformed types', () => {
    expect(architectureOf('q9.large')).toBeUndefined();
    expect(architectureOf('m7g')).toBeUndefined();
    expect(architectureOf('M7G.LARGE')).toBeUndefined();
  });

  it('splits the family off the size', () => {
    expect(instanceFamilyOf('m7i-flex.2xlarge')).toBe('m7i-flex');
    expect(instanceFamilyOf('u-6tb1.metal')).toBe('u-6tb1');
    expect(instanceFamilyOf('large')).toBeUndefined();
  });
});
