import { readFileSync } from 'node:fs';
import type { ConnectionConfig } from './config';
import { credentialProvider, sharedAwsFiles } from './credentials';
import { currentRegion } from './instance-region';
import type { Logger } from './logger';
import { sdkOnlySetting } from './s3-address';
import type { BucketCheck, RegionalSecretStore } from './secret-store';

/** Makes a store for the bucket in one region (a new region means a new signer or client). */
export type StoreInRegion<Store extends RegionalSecretStore> = (region: string) => Store;

export interface OpenedStore<Store extends RegionalSecretStore> {
  store: Store;
  check: BucketCheck;
}

/**
 * Resolves the bucket's region as upstream does (hint; else the current region, then the bucket's own region, with
 * the current region as the fallback) and checks the bucket in the same `HeadBucket` call.
 */
export async function openSecretStore<Store extends RegionalSecretStore>(
  storeIn: StoreInRegion<Store>,
  connection: ConnectionConfig,
  environment: NodeJS.ProcessEnv,
  logger: Logger,
): Promise<OpenedStore<Store>> {
  if (connection.regionHint) {
    const store = storeIn(connection.regionHint);
    return { store, check: await store.checkBucket() };
  }
  const region = await currentRegion(connection, environment);
  logger.info(`Discovered current region as "${region}"`);
  const probe = storeIn(region);
  const { region: bucketRegion, check } = await probe.bucketRegion();
  if (!bucketRegion) {
    if (check.status === 'available') logUndiscoveredRegion(probe.bucket, region, logger);
    return { store: probe, check };
  }
  logger.info(`Discovered bucket region as "${bucketRegion}"`);
  if (bucketRegion === region) return { store: probe, check };
  probe.close();
  return { store: storeIn(bucketRegion), check };
}

export interface EagerStore<Store extends RegionalSecretStore> {
  /** Ready for reads at once, in the hinted or current region (S3 redirects are followed if the bucket is elsewhere). */
  store: Store;
  /**
   * The bucket check and the bucket's region. Without a region hint this is one `HeadBucket` running alongside the
   * reads. With a hint there is nothing to discover, so the caller derives the check from the secret-files listings
   * (`ListObjectsV2` needs the same s3:ListBucket permission and answers NoSuchBucket the same way): `undefined`.
   */
  probe: Promise<{ check: BucketCheck; region: string }> | undefined;
}

/**
 * Like `openSecretStore`, but does not wait for the bucket check before reads may start: on the per-job path the
 * existence check and the region discovery overlap the GETs instead of costing a round trip of their own.
 */
export async function openSecretStoreEagerly<Store extends RegionalSecretStore>(
  storeIn: StoreInRegion<Store>,
  connection: ConnectionConfig,
  environment: NodeJS.ProcessEnv,
  logger: Logger,
): Promise<EagerStore<Store>> {
  if (connection.regionHint) return { store: storeIn(connection.regionHint), probe: undefined };
  const region = await currentRegion(connection, environment);
  logger.info(`Discovered current region as "${region}"`);
  const store = storeIn(region);
  const probe = store.bucketRegion().then(({ region: bucketRegion, check }) => {
    if (check.status !== 'available') return { check, region };
    if (!bucketRegion) {
      logUndiscoveredRegion(store.bucket, region, logger);
      return { check, region };
    }
    logger.info(`Discovered bucket region as "${bucketRegion}"`);
    return { check, region: bucketRegion };
  });
  return { store, probe };
}

function logUndiscoveredRegion(bucket: string, region: string, logger: Logger): void {
  logger.info(
    `Could not discover the region of bucket "${bucket}"; using "${region}". ` +
      'Set BUILDKITE_PLUGIN_S3_SECRETS_REGION if this is not right.',
  );
}

function readSharedConfig(environment: NodeJS.ProcessEnv): string | undefined {
  const file = sharedAwsFiles(environment).config;
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Why the per-job commands would use the AWS SDK's S3 client for a bucket in `region`, or undefined (direct requests). */
export function perJobSdkReason(
  connection: ConnectionConfig,
  environment: NodeJS.ProcessEnv,
  region: string,
): string | undefined {
  return sdkOnlySetting({
    environment,
    region,
    endpoint: connection.endpoint,
    sharedConfig: readSharedConfig(environment),
  });
}

/**
 * Stores for the per-job commands (`env`, `git-credential`): S3's REST API with the SDK's signer and credential chain,
 * which starts in a fraction of the SDK client's time; the SDK's client (loaded only then) when a setting needs its
 * endpoint rules (FIPS, dual-stack, other partitions, shared-config addressing settings).
 */
export async function perJobStores(
  bucket: string,
  connection: ConnectionConfig,
  environment: NodeJS.ProcessEnv,
  signal: AbortSignal,
  logger: Logger,
): Promise<StoreInRegion<RegionalSecretStore>> {
  const region = connection.regionHint ?? (await currentRegion(connection, environment));
  const reason = perJobSdkReason(connection, environment, region);
  if (reason) {
    logger.info(`Using the AWS SDK's S3 client: ${reason}`);
    const { sdkSecretStores } = await import('./s3-client');
    const storeIn = sdkSecretStores(connection, signal);
    return (inRegion) => storeIn(bucket, inRegion);
  }
  const { S3RestSecretStore } = await import('./s3-rest-store');
  // Resolved once for the run: every request shares the credentials (or the reason there are none).
  const credentials = credentialProvider(environment);
  return (inRegion) =>
    new S3RestSecretStore({
      bucket,
      region: inRegion,
      endpoint: connection.endpoint,
      credentials,
      maxAttempts: connection.maxAttempts,
      signal,
    });
}
