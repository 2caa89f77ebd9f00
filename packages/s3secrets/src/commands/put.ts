import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { readConnectionConfig } from '../config';
import { parseEnvFile } from '../env-file';
import { fitsInEnvironment, MAX_ENVIRONMENT_STRING_BYTES } from '../env-script';
import { BucketUnavailableError, EnvFileSyntaxError, UnsafeUploadError, UsageError } from '../errors';
import { parseGitCredentials } from '../git-credentials';
import { closeConnections } from '../http-agents';
import { hasSecretSuffix, SECRET_SUFFIXES } from '../layout';
import { openSecretStore } from '../open-secret-store';
import { sdkSecretStores } from '../s3-client';
import { classifyError, describeOutcome, MAX_OBJECT_BYTES } from '../secret-store';
import { isShellIdentifier } from '../shell-quote';
import { isPassphraseProtected } from '../ssh-private-key';
import type { CommandContext } from './context';

const KINDS = ['env', 'ssh-key', 'git-credentials', 'secret-file'] as const;
type Kind = (typeof KINDS)[number];

const PUT_USAGE =
  'usage: s3secrets put --kind env|ssh-key|git-credentials|secret-file [--pipeline SLUG | --global] ' +
  '[--bucket NAME] [--name NAME] [--kms-key-id ID] [--region REGION] FILE|-';

/** The object key the hooks read for this kind of secret; `prefix` undefined means bucket-wide. */
export function keyForUpload(kind: Kind, prefix: string | undefined, name: string | undefined): string {
  const base = prefix === undefined ? '' : `${prefix}/`;
  switch (kind) {
    case 'env':
      return `${base}env`;
    case 'ssh-key':
      return `${base}private_ssh_key`;
    case 'git-credentials':
      return `${base}git-credentials`;
    case 'secret-file':
      if (!name || !isShellIdentifier(name) || !hasSecretSuffix(name)) {
        throw new UsageError(
          `secret file name ${JSON.stringify(name ?? '')} must be a shell variable name ending in one of ` +
            `${SECRET_SUFFIXES.join(', ')} (set it with --name)`,
        );
      }
      return `${base}secret-files/${name}`;
  }
}

/** Refuses content the hooks could not use, naming the line or the problem but never echoing a value. */
export function validateUpload(kind: Kind, body: Uint8Array, source: string, name?: string): void {
  if (body.byteLength > MAX_OBJECT_BYTES) {
    throw new UnsafeUploadError(
      `${source} is ${body.byteLength} bytes; the hooks read objects of at most ${MAX_OBJECT_BYTES} bytes (1 MiB)`,
    );
  }
  if (body.byteLength === 0) {
    throw new UnsafeUploadError(
      `${source} is empty: there is nothing to upload, and the secret at its key would be lost`,
    );
  }
  const text = new TextDecoder().decode(body);
  if (kind === 'secret-file' && name !== undefined && body.includes(0)) {
    throw new UnsafeUploadError(
      `${source} holds a NUL byte, which no environment variable can hold: env would skip ${name}`,
    );
  }
  if (kind === 'secret-file' && name !== undefined && !fitsInEnvironment(name, body.byteLength)) {
    throw new UnsafeUploadError(
      `${source} is ${body.byteLength} bytes: too long for one environment variable ${name} ` +
        `("NAME=value" and its NUL may be at most ${MAX_ENVIRONMENT_STRING_BYTES} bytes)`,
    );
  }
  if (kind === 'env') {
    let parsed: ReturnType<typeof parseEnvFile>;
    try {
      parsed = parseEnvFile(text, () => undefined);
    } catch (error) {
      if (error instanceof EnvFileSyntaxError) throw new UnsafeUploadError(`${source} ${error.message}`);
      throw error;
    }
    const tooLong = parsed.assignments.find(
      (assignment) => !fitsInEnvironment(assignment.name, Buffer.byteLength(assignment.value)),
    );
    if (tooLong) {
      throw new UnsafeUploadError(
        `${source} line ${tooLong.line}: the value of ${tooLong.name} is too long for one environment variable ` +
          `("NAME=value" and its NUL may be at most ${MAX_ENVIRONMENT_STRING_BYTES} bytes)`,
      );
    }
  } else if (kind === 'ssh-key') {
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
      throw new UnsafeUploadError(
        `${source} is not a PEM/OpenSSH private key (no "-----BEGIN … PRIVATE KEY-----" line)`,
      );
    }
    if (isPassphraseProtected(body)) {
      throw new UnsafeUploadError(`${source} is passphrase-protected; ssh-agent cannot load it without a terminal`);
    }
  } else if (kind === 'git-credentials') {
    const parsed = parseGitCredentials(text);
    if (parsed.invalidLines.length > 0 || parsed.credentials.length === 0) {
      throw new UnsafeUploadError(
        `${source}: every line must be https://user:password@host[:port][/path]` +
          (parsed.invalidLines.length > 0
            ? ` (bad lines: ${parsed.invalidLines.join(', ')})`
            : ' (no credentials found)'),
      );
    }
  }
}

const FILE_PROBLEMS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
};

/** A FILE argument that cannot be read is a bad argument (exit 2), named with why. */
function unreadable(file: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code;
  const problem = code ? `${FILE_PROBLEMS[code] ?? (error as Error).message} (${code})` : String(error);
  return new UsageError(`cannot read ${file}: ${problem}`);
}

async function readSource(file: string, context: CommandContext): Promise<Uint8Array> {
  if (file !== '-') {
    return readFile(file).catch((error: unknown) => {
      throw unreadable(file, error);
    });
  }
  // Nothing would wait for the secret to be typed (and it would show on the screen): refuse instead of uploading ''.
  if (context.stdinIsTerminal) {
    throw new UsageError(
      'stdin is a terminal: pipe the secret in (s3secrets put … - < FILE) or name the file instead of -',
    );
  }
  // Bytes, not text: a secret that is not UTF-8 (`openssl rand 32 | s3secrets put … -`) must arrive unchanged.
  return context.readStdinBytes();
}

/** `s3secrets put`: uploads one secret to the key the hooks read, encrypted with SSE-KMS. */
export async function runPutCommand(args: readonly string[], context: CommandContext): Promise<number> {
  let parsed: ReturnType<typeof parsePutArgs>;
  try {
    parsed = parsePutArgs(args);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n${PUT_USAGE}`);
  }
  const { values, positionals } = parsed;
  const [file] = positionals;
  if (!file || positionals.length > 1)
    throw new UsageError(`put takes exactly one FILE (or - for stdin)\n${PUT_USAGE}`);
  const kind = values.kind as Kind | undefined;
  if (!kind || !KINDS.includes(kind)) throw new UsageError(`--kind must be one of ${KINDS.join(', ')}\n${PUT_USAGE}`);
  const environment = context.environment;
  const bucket =
    values.bucket ?? environment.BUILDKITE_PLUGIN_S3_SECRETS_BUCKET ?? environment.BUILDKITE_SECRETS_BUCKET;
  if (!bucket) throw new UsageError(`no bucket: pass --bucket or set BUILDKITE_PLUGIN_S3_SECRETS_BUCKET\n${PUT_USAGE}`);
  if (values.global && values.pipeline) throw new UsageError('pass either --pipeline or --global, not both');
  const prefix = values.global
    ? undefined
    : (values.pipeline ?? environment.BUILDKITE_PLUGIN_S3_SECRETS_BUCKET_PREFIX ?? environment.BUILDKITE_PIPELINE_SLUG);
  if (!values.global && !prefix) {
    throw new UsageError('say where the secret goes: --pipeline SLUG (one pipeline) or --global (every pipeline)');
  }
  const name = values.name ?? (file === '-' ? undefined : basename(file));
  const key = keyForUpload(kind, prefix, name);

  if (kind === 'ssh-key' && file !== '-') {
    const stats = await stat(file).catch((error: unknown) => {
      throw unreadable(file, error);
    });
    const mode = stats.mode & 0o777;
    if (mode & 0o004) {
      throw new UnsafeUploadError(
        `refusing to upload ${file}: it is world-readable (mode ${mode.toString(8).padStart(4, '0')}), so the key ` +
          `may already have leaked; run chmod 600 ${file} (and consider rotating it) first`,
      );
    }
  }
  const body = await readSource(file, context);
  validateUpload(kind, body, file === '-' ? 'stdin' : file, kind === 'secret-file' ? name : undefined);

  const connection = readConnectionConfig({
    ...environment,
    ...(values.region ? { BUILDKITE_PLUGIN_S3_SECRETS_REGION: values.region } : {}),
  });
  const signal = AbortSignal.timeout(connection.deadlineMs);
  const { store, check } = await openSecretStore(
    (region) => sdkSecretStores(connection, signal)(bucket, region),
    connection,
    environment,
    context.logger,
  );
  try {
    if (check.status !== 'available') {
      throw new BucketUnavailableError(`cannot use bucket "${bucket}": ${describeOutcome(check)}`);
    }
    try {
      await store.client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ServerSideEncryption: 'aws:kms',
          ...(values['kms-key-id'] ? { SSEKMSKeyId: values['kms-key-id'] } : {}),
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      const outcome = classifyError(error);
      const hint =
        outcome.status === 'access-denied'
          ? ' (the caller needs s3:PutObject on the key and kms:GenerateDataKey on the KMS key)'
          : '';
      throw new BucketUnavailableError(`upload to s3://${bucket}/${key} failed: ${describeOutcome(outcome)}${hint}`, {
        cause: error,
      });
    }
    const keyNote = values['kms-key-id'] ? `KMS key ${values['kms-key-id']}` : "the bucket's default KMS key";
    context.logger.info(`Uploaded ${body.byteLength} bytes to s3://${bucket}/${key} with SSE-KMS (${keyNote})`);
    return 0;
  } finally {
    store.close();
    closeConnections();
  }
}

function parsePutArgs(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      kind: { type: 'string' },
      pipeline: { type: 'string' },
      global: { type: 'boolean' },
      bucket: { type: 'string' },
      name: { type: 'string' },
      'kms-key-id': { type: 'string' },
      region: { type: 'string' },
    },
  });
}
