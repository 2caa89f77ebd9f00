import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fetchSecrets, selectSecretFileKeys } from './fetch-secrets';
import { secretKeysFor } from './layout';
import type { ListResult, ObjectResult, SecretStore } from './secret-store';

/** An in-memory store whose reads finish after the given delays, to shuffle completion order. */
class DelayedStore implements SecretStore {
  readonly bucket = 'bkt';
  readonly region = 'us-west-2';
  inFlight = 0;
  maxInFlight = 0;
  readonly started: string[] = [];

  constructor(
    private readonly objects: Map<string, string>,
    private readonly delayFor: (key: string) => number,
  ) {}

  private async track<T>(key: string, result: () => T): Promise<T> {
    this.started.push(key);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, this.delayFor(key)));
    this.inFlight -= 1;
    return result();
  }

  async checkBucket() {
    return { status: 'available' } as const;
  }

  getObject(key: string): Promise<ObjectResult> {
    return this.track(key, () => {
      const body = this.objects.get(key);
      return body === undefined ? { status: 'not-found' } : { status: 'found', body: Buffer.from(body) };
    });
  }

  listKeys(prefix: string): Promise<ListResult> {
    return this.track(`LIST ${prefix}`, () => ({
      status: 'listed',
      keys: [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort(),
    }));
  }

  close(): void {}
}

const objects = new Map([
  ['pipeline/id_rsa_github', 'pipeline key'],
  ['private_ssh_key', 'general key'],
  ['env', 'A=one'],
  ['pipeline/environment', 'C=three'],
  ['git-credentials', 'g'],
  ['secret-files/ORG_SERVICE_TOKEN', 'org'],
  ['secret-files/README', 'not a secret'],
  ['pipeline/secret-files/DATABASE_SECRET', 'db'],
  ['pipeline/secret-files/SERVICE_TOKEN', 'svc'],
]);

describe('Function: fetchSecrets', () => {
  it('returns every group in the documented order whatever order the reads finish in', async () => {
    await fc.assert(
      fc.asyncProperty(fc.func(fc.integer({ min: 0, max: 15 })), async (delay) => {
        // Prepare
        const store = new DelayedStore(objects, (key) => delay(key));

        // Act
        const fetched = await fetchSecrets(store, secretKeysFor('pipeline'));

        // Assess
        expect(fetched.sshKeys.map(({ key }) => key)).toEqual([
          'pipeline/private_ssh_key',
          'pipeline/id_rsa_github',
          'private_ssh_key',
          'id_rsa_github',
        ]);
        expect(fetched.envFiles.map(({ key, result }) => `${key}:${result.status}`)).toEqual([
          'env:found',
          'environment:not-found',
          'pipeline/env:not-found',
          'pipeline/environment:found',
        ]);
        expect(fetched.secretFiles.map(({ key }) => key)).toEqual([
          'secret-files/ORG_SERVICE_TOKEN',
          'pipeline/secret-files/DATABASE_SECRET',
          'pipeline/secret-files/SERVICE_TOKEN',
        ]);
      }),
      { numRuns: 25 },
    );
  });

  it('has all fixed GETs and both LISTs in flight at once', async () => {
    // Prepare
    const store = new DelayedStore(objects, () => 5);

    // Act
    await fetchSecrets(store, secretKeysFor('pipeline'));

    // Assess
    expect(store.maxInFlight).toBeGreaterThanOrEqual(12);
    expect(store.started.slice(0, 12)).toContain('LIST pipeline/secret-files/');
  });
});

describe('Function: selectSecretFileKeys', () => {
  it('keeps only names with one of the five suffixes', () => {
    // Act
    const keys = selectSecretFileKeys([
      'p/secret-files/BUILDKITE_ACCESS_KEY',
      'p/secret-files/DATABASE_SECRET',
      'p/secret-files/EXTERNAL_API_SECRET_KEY',
      'p/secret-files/PRIVILEGED_PASSWORD',
      'p/secret-files/SERVICE_TOKEN',
      'p/secret-files/SOME_OTHER_FILE',
      'p/secret-files/TOKEN_NOT_SUFFIX',
    ]);

    // Assess
    expect(keys).toEqual([
      'p/secret-files/BUILDKITE_ACCESS_KEY',
      'p/secret-files/DATABASE_SECRET',
      'p/secret-files/EXTERNAL_API_SECRET_KEY',
      'p/secret-files/PRIVILEGED_PASSWORD',
      'p/secret-files/SERVICE_TOKEN',
    ]);
  });
});
