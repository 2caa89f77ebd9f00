/**
 * Widens an aws-cdk-lib class instance to one of its own interfaces (`s3.Bucket` → `s3.IBucket`, `ec2.Vpc` →
 * `ec2.IVpc`). The classes declare some members `?: T` where the interfaces say `: T | undefined`; under this repo's
 * `exactOptionalPropertyTypes` TypeScript refuses that (sound) widening, so it is spelled out here, in one place.
 */
export function cdkUpcast<Interface>(instance: Interface | object): Interface {
  return instance as Interface;
}
