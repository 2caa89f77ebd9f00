import { describe, expect, it } from 'vitest';
import { CachedSecret } from './token-cache';

describe('Class: CachedSecret', () => {
  it('loads once for concurrent and later readers', async () => {
    // Prepare
    let loads = 0;
    const secret = new CachedSecret(async () => `token-${++loads}`);

    // Act
    const values = await Promise.all([secret.get(), secret.get(), secret.get()]);
    const later = await secret.get();

    // Assess
    expect(values).toEqual(['token-1', 'token-1', 'token-1']);
    expect(later).toBe('token-1');
    expect(loads).toBe(1);
  });

  it('reloads after invalidate', async () => {
    // Prepare
    let loads = 0;
    const secret = new CachedSecret(async () => `token-${++loads}`);
    await secret.get();

    // Act
    secret.invalidate();
    const value = await secret.get();

    // Assess
    expect(value).toBe('token-2');
  });

  it('does not cache a failed load', async () => {
    // Prepare
    let attempts = 0;
    const secret = new CachedSecret(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('ssm throttled');
      return 'token';
    });

    // Act
    await expect(secret.get()).rejects.toThrow('ssm throttled');
    const value = await secret.get();

    // Assess
    expect(value).toBe('token');
    expect(attempts).toBe(2);
  });
});
