import { constants } from 'node:os';
import { readEnvCommandConfig } from '../config';
import { buildEnvScript, type SshAgentExports } from '../env-script';
import { BucketUnavailableError, RunStoppedError, SecretDownloadError } from '../errors';
import {
  collectFetches,
  type FetchedSecrets,
  type KeyResult,
  type ListedPrefix,
  type PendingSecrets,
  startFetching,
} from '../fetch-secrets';
import { closeConnections } from '../http-agents';
import { secretKeysFor } from '../layout';
import type { Logger } from '../logger';
import { openSecretStoreEagerly, perJobStores } from '../open-secret-store';
import { redactWithAgent } from '../redactor';
import { type BucketCheck, describeOutcome } from '../secret-store';
import { addKeys, startSshAgent, stopSshAgent } from '../ssh-agent';
import type { CommandContext } from './context';

// Drops a leading byte-order mark (TextDecoder's default): an editor's BOM in a token file would break the token.
const decoder = new TextDecoder();

/**
 * `s3secrets env`: fetches the job's secrets and prints a shell script for the environment hook to evaluate.
 * Every read starts at once (the bucket check included), SSH keys go into ssh-agent while the other groups are still
 * downloading, and the results are applied in upstream's order.
 * @returns the exit code (0); failures throw `S3SecretsError`s carrying their own exit code.
 */
export async function runEnvCommand(context: CommandContext): Promise<number> {
  // No bucket, nothing to do (as upstream): the other settings only matter for reading one, so they are not checked.
  if (!context.environment.BUILDKITE_PLUGIN_S3_SECRETS_BUCKET) return 0;
  const config = readEnvCommandConfig(context.environment);
  if (!config.bucket) return 0;
  const bucket = config.bucket;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), config.deadlineMs);
  timer.unref();
  // A cancelled job's hook gets SIGTERM (or SIGINT/SIGHUP) with this process. Node's default is to die on the spot,
  // which left an ssh-agent holding the pipeline's deploy keys running for every later job on the instance (its pid
  // is only ever printed in the script). Instead the reads are cancelled and the run fails the way any failure does.
  let stoppedBy: NodeJS.Signals | undefined;
  const removeSignalHandlers = onStopSignals((signal) => {
    stoppedBy ??= signal;
    deadline.abort();
  });
  const stopped = () => (stoppedBy ? new RunStoppedError(stoppedBy, constants.signals[stoppedBy]) : undefined);
  try {
    return await fetchAndPrint(context, config, bucket, deadline, stopped);
  } catch (error) {
    throw stopped() ?? error;
  } finally {
    clearTimeout(timer);
    removeSignalHandlers();
  }
}

const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** Calls `handler` on any of the signals that stop a job's hook, instead of Node's exit; returns the undo. */
function onStopSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, handler);
  };
}

async function fetchAndPrint(
  context: CommandContext,
  config: ReturnType<typeof readEnvCommandConfig>,
  bucket: string,
  deadline: AbortController,
  stopped: () => RunStoppedError | undefined,
): Promise<number> {
  const { logger } = context;
  logger.info(`~~~ Downloading secrets from :s3: ${bucket}`);
  const storeIn = await perJobStores(bucket, config, context.environment, deadline.signal, logger);
  const { store, probe } = await openSecretStoreEagerly(storeIn, config, context.environment, logger);
  const keys = secretKeysFor(config.prefix);
  const pending = startFetching(store, keys);
  const sshLoading = loadSshKeys(bucket, pending);
  // Awaited below; until then a rejection must not count as unhandled.
  sshLoading.catch(() => undefined);
  let succeeded = false;
  try {
    const { check, region } = probe
      ? await probe
      : { check: bucketCheckFromListings((await pending.secretFiles).listings), region: store.region };
    assertBucketAvailable(bucket, check, logger);
    const fetched = await collectFetches(pending);
    protectFoundValues(fetched, logger);
    reportFetches(bucket, fetched, logger);
    assertNothingLost(bucket, fetched, config.deadlineMs);

    const ssh = await sshLoading;
    for (const line of ssh?.messages ?? []) logger.info(line);
    if (!ssh && isSshRepository(config.repository) && !config.skipSshKeyWarning) {
      logger.warn('+++ :warning: Failed to find an SSH key in secret bucket');
      const unreadable = forbidden(fetched.sshKeys).length > 0;
      logger.warn(
        `The repository "${config.repository}" is cloned over SSH, but ` +
          (unreadable
            ? `the SSH keys in ${bucket} could not be read (above)`
            : `none of ${keys.sshKeys.join(', ')} exists in ${bucket}`) +
          '; checkout will fail unless the agent has another key.',
      );
      logger.warn(
        'Upload one with `s3secrets put --kind ssh-key`, or set BUILDKITE_PLUGIN_S3_SECRETS_SKIP_SSH_KEY_NOT_FOUND_WARNING=true.',
      );
    }

    const result = buildEnvScript({
      bucket,
      region,
      envFiles: fetched.envFiles,
      gitCredentials: fetched.gitCredentials,
      secretFiles: fetched.secretFiles,
      sshAgent: ssh?.agent,
      selfCommand: context.selfCommand,
      lookup: (name) => context.environment[name],
    });
    logger.protect(result.secretValues);
    for (const line of result.info) logger.info(line);
    for (const line of result.warnings) logger.warn(line);
    await redactWithAgent(result.redactions, logger);
    // A signal during the last steps: the hook is going away, so the script (and the agent's pid) would be lost.
    const stop = stopped();
    if (stop) throw stop;
    context.writeStdout(result.script);
    succeeded = true;
    return 0;
  } finally {
    // Cancels reads still in flight after a failure; after success there are none.
    deadline.abort();
    if (!succeeded) {
      // The script that would tell pre-exit about this agent was never printed: stop it here.
      const loaded = await sshLoading.catch(() => undefined);
      if (loaded) stopSshAgent(loaded.agent);
    }
    store.close();
    closeConnections();
  }
}

/**
 * The bucket check when no `HeadBucket` was sent: listing needs the same permission and fails the same way. One
 * successful listing is enough (a bucket policy may allow listing only the pipeline's own prefix).
 */
export function bucketCheckFromListings(listings: readonly ListedPrefix[]): BucketCheck {
  const failures: BucketCheck[] = [];
  for (const { result } of listings) {
    // A listing cut at its page limit still shows the bucket is there; that listing fails the run on its own.
    if (result.status === 'listed' || (result.status === 'failed' && result.kind === 'too-large')) {
      return { status: 'available' };
    }
    failures.push(result);
  }
  return failures.find((failure) => failure.status === 'not-found') ?? failures[0] ?? { status: 'available' };
}

function assertBucketAvailable(bucket: string, check: BucketCheck, logger: Logger): void {
  if (check.status === 'available') return;
  // Upstream's first line, which users search job logs for; the error then says exactly what is wrong.
  logger.warn(`+++ :warning: Bucket "${bucket}" not found or not accessible`);
  if (check.status === 'not-found') {
    throw new BucketUnavailableError(
      `S3 bucket "${bucket}" not found; check BUILDKITE_PLUGIN_S3_SECRETS_BUCKET (and the region: ` +
        'BUILDKITE_PLUGIN_S3_SECRETS_REGION)',
    );
  }
  if (check.status === 'access-denied') {
    throw new BucketUnavailableError(
      `access denied to S3 bucket "${bucket}": the instance role needs s3:ListBucket on arn:aws:s3:::${bucket} ` +
        `(and s3:GetObject on arn:aws:s3:::${bucket}/*, plus kms:Decrypt on the bucket's KMS key)`,
    );
  }
  throw new BucketUnavailableError(`cannot check S3 bucket "${bucket}": ${describeOutcome(check)}`);
}

function protectFoundValues(fetched: FetchedSecrets, logger: Logger): void {
  const found = [...fetched.sshKeys, ...fetched.envFiles, ...fetched.gitCredentials, ...fetched.secretFiles];
  logger.protect(found.flatMap(({ result }) => (result.status === 'found' ? [decoder.decode(result.body)] : [])));
}

function reportFetches(bucket: string, fetched: FetchedSecrets, logger: Logger): void {
  const group = (title: string, results: readonly KeyResult[]) => {
    logger.info(title);
    for (const { key, result } of results) logger.info(`- ${key}: ${describeOutcome(result)}`);
  };
  group('Checking S3 for SSH keys:', fetched.sshKeys);
  group('Checking S3 for environment files:', fetched.envFiles);
  for (const { key } of forbidden(fetched.envFiles)) {
    // S3 also answers 403 for a missing key when the role lacks s3:ListBucket, so this cannot fail the job; but a
    // forbidden env file (bucket policy, no kms:Decrypt) would otherwise drop its variables without a word.
    logger.warn(
      `+++ :warning: Cannot read env file ${bucket}/${key}: access denied; if it exists, its variables are not set ` +
        `(the role needs s3:GetObject on arn:aws:s3:::${bucket}/${key} and kms:Decrypt on its KMS key)`,
    );
  }
  group('Checking S3 for git credentials:', fetched.gitCredentials);
  // Same reasoning as env files: a key or credentials file the role may not read (no kms:Decrypt) must not vanish
  // without a word, and the checkout's failure must not be blamed on a key that does not exist.
  for (const { key } of forbidden(fetched.sshKeys)) {
    logger.warn(
      `+++ :warning: Cannot read SSH key ${bucket}/${key}: access denied; if it exists, it is not loaded into ` +
        `ssh-agent (the role needs s3:GetObject on arn:aws:s3:::${bucket}/${key} and kms:Decrypt on its KMS key)`,
    );
  }
  for (const { key } of forbidden(fetched.gitCredentials)) {
    logger.warn(
      `+++ :warning: Cannot read git-credentials ${bucket}/${key}: access denied; if it exists, git gets no ` +
        `credentials from it (the role needs s3:GetObject on arn:aws:s3:::${bucket}/${key} and kms:Decrypt on its KMS key)`,
    );
  }
  logger.info('Checking S3 for secret-files:');
  for (const { prefix, result } of fetched.secretFileListings) {
    if (result.status === 'access-denied') {
      logger.warn(`+++ :warning: Cannot list ${bucket}/${prefix}: access denied (the role needs s3:ListBucket)`);
    } else if (result.status === 'listed') {
      const files = fetched.secretFiles.filter(({ key }) => key.startsWith(prefix));
      logger.info(`- ${prefix}: ${files.length === 0 ? 'no secrets found' : files.map(({ key }) => key).join(', ')}`);
    }
  }
}

/**
 * Throttling, 5xx, network errors, the deadline and a listed secret file that may not be read fail the run: a job
 * must not start with a secret missing.
 */
function assertNothingLost(bucket: string, fetched: FetchedSecrets, deadlineMs: number): void {
  const failures = [
    ...[...fetched.sshKeys, ...fetched.envFiles, ...fetched.gitCredentials, ...fetched.secretFiles].map(
      ({ key, result }) => ({ key, result }),
    ),
    ...fetched.secretFileListings.map(({ prefix, result }) => ({ key: `${prefix} (list)`, result })),
  ].flatMap(({ key, result }) => (result.status === 'failed' ? [{ key, result }] : []));
  const forbidden = fetched.secretFiles.filter(({ result }) => result.status === 'access-denied');
  if (failures.length === 0 && forbidden.length === 0) return;
  const details = [
    ...failures.map(({ key, result }) =>
      result.kind === 'deadline'
        ? `${bucket}/${key}: not done within the ${deadlineMs / 1000} s deadline (BUILDKITE_PLUGIN_S3_SECRETS_DEADLINE_SECONDS)`
        : `${bucket}/${key}: ${describeOutcome(result)}`,
    ),
    // The listing showed these exist, so a 403 is a missing permission (bucket policy, kms:Decrypt), never absence.
    ...forbidden.map(
      ({ key }) =>
        `${bucket}/${key}: access denied although the listing shows it exists (the role needs s3:GetObject on ` +
        `arn:aws:s3:::${bucket}/${key} and kms:Decrypt on its KMS key)`,
    ),
  ];
  throw new SecretDownloadError(
    `failed to download ${failures.length + forbidden.length} secret(s): ${details.join('; ')}`,
  );
}

type FoundKey = KeyResult & { result: { status: 'found'; body: Uint8Array } };

const hasKey = (entry: KeyResult): entry is FoundKey =>
  entry.result.status === 'found' && entry.result.body.byteLength > 0;

/**
 * Starts one agent and loads every key found into it; undefined when there is no key, or when a key could not be read
 * (the run fails then, so no agent is left behind). The agent starts once a key has arrived and every read has been
 * sent, while the storage is still answering: starting a process blocks this thread for a few milliseconds, which
 * must not hold back the secret-file GETs that follow the listings.
 */
async function loadSshKeys(
  bucket: string,
  pending: PendingSecrets,
): Promise<{ agent: SshAgentExports; messages: string[] } | undefined> {
  const reads = pending.sshKeyReads;
  const firstKey = Promise.any(reads.map((read) => read.then((entry) => (hasKey(entry) ? entry : Promise.reject()))));
  const starting = Promise.all([firstKey, pending.allStarted])
    // setImmediate: after the requests those reads queued in microtasks have left.
    .then(() => new Promise((resolve) => setImmediate(resolve)))
    .then(
      () => startSshAgent(),
      () => undefined,
    );
  const results = await Promise.all(reads);
  const keys = results.filter(hasKey);
  if (keys.length === 0 || results.some(({ result }) => result.status === 'failed')) {
    const started = await starting.catch(() => undefined);
    if (started) stopSshAgent(started);
    return undefined;
  }
  const agent = await starting;
  if (!agent) return undefined;
  const messages = [`Started ephemeral ssh-agent (pid ${agent.pid})`];
  for (const { key, result } of keys) {
    messages.push(`Loading ${bucket}/${key} (${result.body.byteLength} bytes) into ssh-agent (pid ${agent.pid})`);
  }
  try {
    await addKeys(
      agent,
      keys.map(({ key, result }) => ({ label: `${bucket}/${key}`, body: result.body })),
    );
  } catch (error) {
    stopSshAgent(agent);
    throw error;
  }
  return { agent, messages };
}

const forbidden = (results: readonly KeyResult[]) => results.filter(({ result }) => result.status === 'access-denied');

function isSshRepository(repository: string | undefined): boolean {
  return repository !== undefined && (repository.startsWith('git@') || repository.startsWith('ssh://'));
}
