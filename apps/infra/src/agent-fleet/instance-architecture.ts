import type { InstanceArchitecture } from './agent-fleet-options.js';

// Instance families an Auto Scaling group can launch, by CPU architecture. An explicit table rather than a naming
// rule: a rule ("a `g` after the generation means Graviton") misreads families such as g4dn or i4i sooner or later,
// and a typo in a family should be refused at synth, not discovered as a failed launch. Add new families here.
const ARM64_FAMILIES = [
  'a1',
  't4g',
  'm6g',
  'm6gd',
  'm7g',
  'm7gd',
  'm8g',
  'm8gd',
  'c6g',
  'c6gd',
  'c6gn',
  'c7g',
  'c7gd',
  'c7gn',
  'c8g',
  'c8gd',
  'c8gn',
  'r6g',
  'r6gd',
  'r7g',
  'r7gd',
  'r8g',
  'r8gd',
  'x2gd',
  'x8g',
  'im4gn',
  'is4gen',
  'i4g',
  'i8g',
  'i8ge',
  'g5g',
  'hpc7g',
] as const;

const X86_64_FAMILIES = [
  // general purpose
  't2',
  't3',
  't3a',
  'm4',
  'm5',
  'm5a',
  'm5ad',
  'm5d',
  'm5dn',
  'm5n',
  'm5zn',
  'm6a',
  'm6i',
  'm6id',
  'm6idn',
  'm6in',
  'm7a',
  'm7i',
  'm7i-flex',
  'm8a',
  'm8i',
  'm8i-flex',
  // compute optimized
  'c4',
  'c5',
  'c5a',
  'c5ad',
  'c5d',
  'c5n',
  'c6a',
  'c6i',
  'c6id',
  'c6in',
  'c7a',
  'c7i',
  'c7i-flex',
  'c8a',
  'c8i',
  'c8i-flex',
  // memory optimized
  'r4',
  'r5',
  'r5a',
  'r5ad',
  'r5b',
  'r5d',
  'r5dn',
  'r5n',
  'r6a',
  'r6i',
  'r6id',
  'r6idn',
  'r6in',
  'r7a',
  'r7i',
  'r7iz',
  'r8a',
  'r8i',
  'r8i-flex',
  'x1',
  'x1e',
  'x2idn',
  'x2iedn',
  'x2iezn',
  'z1d',
  // storage optimized
  'd2',
  'd3',
  'd3en',
  'h1',
  'i3',
  'i3en',
  'i4i',
  'i7i',
  'i7ie',
  // accelerated computing
  'g4ad',
  'g4dn',
  'g5',
  'g6',
  'g6e',
  'gr6',
  'p3',
  'p3dn',
  'p4d',
  'p4de',
  'p5',
  'p5e',
  'p5en',
  'inf1',
  'inf2',
  'trn1',
  'trn1n',
  'trn2',
  'dl1',
  'f1',
  'f2',
  'vt1',
  // high performance computing
  'hpc6a',
  'hpc6id',
  'hpc7a',
] as const;

const ARCHITECTURE_BY_FAMILY: ReadonlyMap<string, InstanceArchitecture> = new Map([
  ...ARM64_FAMILIES.map((family) => [family, 'arm64'] as const),
  ...X86_64_FAMILIES.map((family) => [family, 'x86_64'] as const),
]);

const INSTANCE_TYPE = /^([a-z0-9-]+)\.([a-z0-9-]+)$/;

/** Families whose CPU credits can be chosen (`CpuCredits` applies to them only). */
export const BURSTABLE_FAMILIES: readonly string[] = ['t2', 't3', 't3a', 't4g'];

/** The family part of an instance type (`c7g` of `c7g.large`), or `undefined` when it is not `family.size`. */
export function instanceFamilyOf(instanceType: string): string | undefined {
  return INSTANCE_TYPE.exec(instanceType)?.[1];
}

/** Architecture of an instance type, or `undefined` when its family is not in the table. */
export function architectureOf(instanceType: string): InstanceArchitecture | undefined {
  const family = instanceFamilyOf(instanceType);
  return family === undefined ? undefined : ARCHITECTURE_BY_FAMILY.get(family);
}
