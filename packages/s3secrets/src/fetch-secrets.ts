import type { SecretKeys } from './layout';
import { hasSecretSuffix, secretFileVariableName } from './layout';
import type { ListResult, ObjectResult, SecretStore } from './secret-store';

export interface KeyResult {
  key: string;
  result: ObjectResult;
}

export interface ListedPrefix {
  prefix: string;
  result: ListResult;
}

/** Every read of one run, each group in the order it is applied. */
export interface FetchedSecrets {
  sshKeys: KeyResult[];
  envFiles: KeyResult[];
  gitCredentials: KeyResult[];
  secretFileListings: ListedPrefix[];
  /** Objects under the secret-files prefixes whose names end with a secret suffix, global first, then pipeline. */
  secretFiles: KeyResult[];
}

/** The same reads as `FetchedSecrets`, one promise per group, so a group can be used as soon as it is complete. */
export interface PendingSecrets {
  /** One read per SSH key, in order, so the agent can start as soon as the first key arrives. */
  sshKeyReads: Promise<KeyResult>[];
  /** Settles once every read has been started: both listings are back and their secret-file GETs are under way. */
  allStarted: Promise<void>;
  sshKeys: Promise<KeyResult[]>;
  envFiles: Promise<KeyResult[]>;
  gitCredentials: Promise<KeyResult[]>;
  secretFiles: Promise<{ listings: ListedPrefix[]; files: KeyResult[] }>;
}

/**
 * Starts every read at once: the ten fixed GETs and both LISTs together, then each listing's secret-file GETs as soon
 * as that listing arrives. Each group's results are in the documented order whatever order they complete in.
 * Reads never reject: failures are results (see `ObjectResult`).
 */
export function startFetching(store: SecretStore, keys: SecretKeys): PendingSecrets {
  const get = async (key: string): Promise<KeyResult> => ({ key, result: await store.getObject(key) });
  const getAll = (list: readonly string[]) => Promise.all(list.map(get));
  const sshKeyReads = keys.sshKeys.map(get);
  const listed: Promise<void>[] = [];
  const secretFileGroups = keys.secretFilePrefixes.map((prefix) => {
    const listingRead = store.listKeys(prefix);
    const group = listingRead.then(async (result) => {
      const secretKeys = result.status === 'listed' ? selectSecretFileKeys(result.keys) : [];
      return { listing: { prefix, result } satisfies ListedPrefix, files: await getAll(secretKeys) };
    });
    // Registered after the group's reaction, so it settles once that reaction has started the secret-file GETs.
    listed.push(listingRead.then(() => undefined));
    return group;
  });
  return {
    sshKeyReads,
    allStarted: Promise.all(listed).then(() => undefined),
    sshKeys: Promise.all(sshKeyReads),
    envFiles: getAll(keys.envFiles),
    gitCredentials: getAll(keys.gitCredentials),
    secretFiles: Promise.all(secretFileGroups).then((groups) => ({
      listings: groups.map((group) => group.listing),
      files: groups.flatMap((group) => group.files),
    })),
  };
}

/** Waits for every group of `startFetching`. */
export async function fetchSecrets(store: SecretStore, keys: SecretKeys): Promise<FetchedSecrets> {
  return collectFetches(startFetching(store, keys));
}

export async function collectFetches(pending: PendingSecrets): Promise<FetchedSecrets> {
  const [sshKeys, envFiles, gitCredentials, secretFiles] = await Promise.all([
    pending.sshKeys,
    pending.envFiles,
    pending.gitCredentials,
    pending.secretFiles,
  ]);
  return {
    sshKeys,
    envFiles,
    gitCredentials,
    secretFileListings: secretFiles.listings,
    secretFiles: secretFiles.files,
  };
}

/** Keys that become variables: a secret suffix on the last path component, in S3's (lexicographic) order. */
export function selectSecretFileKeys(keys: readonly string[]): string[] {
  return keys.filter((key) => hasSecretSuffix(secretFileVariableName(key)));
}
