import { describe, expect, it } from 'vitest';
import { bucketCheckFromListings } from './env';

const listed = (prefix: string) => ({ prefix, result: { status: 'listed' as const, keys: [] } });
const denied = (prefix: string) => ({ prefix, result: { status: 'access-denied' as const } });
const missing = (prefix: string) => ({ prefix, result: { status: 'not-found' as const } });

describe('Function: bucketCheckFromListings', () => {
  it('counts the bucket as available when any listing worked', () => {
    // Act / Assess
    expect(bucketCheckFromListings([denied('secret-files/'), listed('web/secret-files/')])).toEqual({
      status: 'available',
    });
  });

  it('reports a missing bucket before a denied one', () => {
    // Act / Assess
    expect(bucketCheckFromListings([denied('secret-files/'), missing('web/secret-files/')])).toEqual({
      status: 'not-found',
    });
  });

  it('reports access denied when no listing was allowed', () => {
    // Act / Assess
    expect(bucketCheckFromListings([denied('secret-files/'), denied('web/secret-files/')])).toEqual({
      status: 'access-denied',
    });
  });
});
