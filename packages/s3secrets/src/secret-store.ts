/** Why a read did not return data. `not-found` and `access-denied` mean "absent" (silent, as upstream). */
export type FailureKind = 'throttled' | 'server-error' | 'network' | 'deadline' | 'too-large' | 'other';

/**
 * The largest object `env` and `git-credential` read. Every value ends up in the job's environment, which Linux caps
 * at ARG_MAX (a quarter of the stack limit: 2 MiB with the usual 8 MiB) for all variables and arguments together, and
 * at 128 KiB per variable; SSH keys and git-credentials are a few KiB. 1 MiB leaves room for any usable env file and
 * refuses, before its body is read, an object that could only fill memory and the job log.
 */
export const MAX_OBJECT_BYTES = 1024 * 1024;

/** The error an S3 adapter fails a read with when the object is larger than `MAX_OBJECT_BYTES`. */
export function objectTooLargeError(size: number | undefined): Error {
  const what = size === undefined ? 'more than' : `${size} bytes, more than`;
  return Object.assign(
    new Error(`the object is ${what} the ${MAX_OBJECT_BYTES} bytes (1 MiB) s3secrets reads; it was not downloaded`),
    { name: 'ObjectTooLarge' },
  );
}

export type ObjectResult =
  | { status: 'found'; body: Uint8Array }
  | { status: 'not-found' }
  | { status: 'access-denied' }
  | { status: 'failed'; kind: FailureKind; reason: string };

export type ListResult = { status: 'listed'; keys: string[] } | Exclude<ObjectResult, { status: 'found' }>;

export type BucketCheck = { status: 'available' } | Exclude<ObjectResult, { status: 'found' }>;

/** The reads `s3secrets env` needs; the S3 adapter is `S3SecretStore`, tests may pass stand-ins. */
export interface SecretStore {
  readonly bucket: string;
  readonly region: string;
  checkBucket(): Promise<BucketCheck>;
  getObject(key: string): Promise<ObjectResult>;
  /** Every key under `prefix` (all pages), folder markers excluded. */
  listKeys(prefix: string): Promise<ListResult>;
  close(): void;
}

/** A store that can also say which region its bucket is in (the S3 adapters). */
export interface RegionalSecretStore extends SecretStore {
  /** The bucket's own region from `HeadBucket`, or undefined when the server does not say; with the bucket check. */
  bucketRegion(): Promise<{ region: string | undefined; check: BucketCheck }>;
}

const THROTTLING_CODES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequests',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** Sorts an AWS SDK error into the outcome the CLI reports; never looks at object contents. */
export function classifyError(error: unknown): Exclude<ObjectResult, { status: 'found' }> {
  const shape: ErrorShape = typeof error === 'object' && error !== null ? (error as ErrorShape) : {};
  const name = typeof shape.name === 'string' ? shape.name : '';
  const code = typeof shape.Code === 'string' ? shape.Code : typeof shape.code === 'string' ? shape.code : name;
  const status = typeof shape.$metadata?.httpStatusCode === 'number' ? shape.$metadata.httpStatusCode : undefined;
  const message = typeof shape.message === 'string' ? shape.message : String(error);
  const reason = `${code || 'Error'}${status ? ` (HTTP ${status})` : ''}: ${message}`;
  if (code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchBucket' || status === 404) {
    return { status: 'not-found' };
  }
  if (code === 'AccessDenied' || code === 'Forbidden' || code === 'AllAccessDisabled' || status === 403) {
    return { status: 'access-denied' };
  }
  if (name === 'AbortError' || code === 'AbortError') return { status: 'failed', kind: 'deadline', reason };
  if (code === 'ObjectTooLarge') return { status: 'failed', kind: 'too-large', reason };
  if (THROTTLING_CODES.has(code) || status === 429) return { status: 'failed', kind: 'throttled', reason };
  if (status !== undefined && status >= 500) return { status: 'failed', kind: 'server-error', reason };
  if (NETWORK_CODES.has(code) || name === 'TimeoutError' || /socket hang up|ECONN/.test(message)) {
    return { status: 'failed', kind: 'network', reason };
  }
  return { status: 'failed', kind: 'other', reason };
}

/** Human words for an outcome, for logs and `doctor`. */
export function describeOutcome(result: ObjectResult | ListResult | BucketCheck): string {
  switch (result.status) {
    case 'found':
      return `found (${result.body.byteLength} bytes)`;
    case 'listed':
      return `${result.keys.length} keys`;
    case 'available':
      return 'available';
    case 'not-found':
      return 'not found';
    case 'access-denied':
      return 'access denied';
    case 'failed':
      return `${result.kind.replace('-', ' ')}: ${result.reason}`;
  }
}

/**
 * Stops a listing that never ends (a server that keeps answering IsTruncated) after this many pages of up to 1000
 * keys. A listing still truncated then fails: a job must not start with some of its secret files silently left out.
 */
export const MAX_LIST_PAGES = 20;

/** One page of a listing: its keys and the token of the next page, if any. */
export interface ListPage {
  keys: string[];
  nextContinuationToken: string | undefined;
}

/**
 * Every key of a listing, page by page, folder markers (keys ending in `/`) left out. Never rejects: a failed page
 * makes the whole listing that failure (see `classifyError`).
 */
export async function listAllKeys(
  listPage: (continuationToken: string | undefined) => Promise<ListPage>,
): Promise<ListResult> {
  const keys: string[] = [];
  let continuationToken: string | undefined;
  try {
    for (let page = 0; page < MAX_LIST_PAGES; page += 1) {
      const listing = await listPage(continuationToken);
      keys.push(...listing.keys.filter((key) => !key.endsWith('/')));
      continuationToken = listing.nextContinuationToken;
      if (!continuationToken) return { status: 'listed', keys };
    }
    return {
      status: 'failed',
      kind: 'too-large',
      reason:
        `more than ${MAX_LIST_PAGES} pages of keys (${keys.length} read so far) and S3 says there are more; ` +
        'keep fewer objects under this prefix (only names ending in a secret suffix are used)',
    };
  } catch (error) {
    return classifyError(error);
  }
}
