import { parseArgs } from 'node:util';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { readEnvCommandConfig } from '../config';
import { parseEnvFile } from '../env-file';
import { assembleEnvScript } from '../env-script';
import { EnvFileSyntaxError, UsageError } from '../errors';
import { type KeyResult, selectSecretFileKeys } from '../fetch-secrets';
import { parseGitCredentials } from '../git-credentials';
import { closeConnections } from '../http-agents';
import { secretFileVariableName, secretKeysFor } from '../layout';
import { openSecretStore, perJobSdkReason } from '../open-secret-store';
import { sdkSecretStores } from '../s3-client';
import { classifyError, describeOutcome } from '../secret-store';
import { isShellIdentifier } from '../shell-quote';
import type { CommandContext } from './context';

/** What doctor learnt about one key: a verdict and notes, never a value. */
interface KeyReport {
  key: string;
  state: 'readable' | 'absent' | 'problem';
  notes: string[];
  body?: Uint8Array;
  kmsKeyId?: string;
}

const decoder = new TextDecoder();

/**
 * `s3secrets doctor`: what a pipeline would receive and why not. Prints names and verdicts only; exits 1 when any
 * problem was found.
 */
export async function runDoctorCommand(args: readonly string[], context: CommandContext): Promise<number> {
  let values: { bucket?: string | undefined; pipeline?: string | undefined };
  try {
    values = parseArgs({
      args: [...args],
      strict: true,
      options: { bucket: { type: 'string' }, pipeline: { type: 'string' } },
    }).values;
  } catch (error) {
    throw new UsageError(
      `${error instanceof Error ? error.message : String(error)}\nusage: s3secrets doctor [--bucket NAME] [--pipeline SLUG]`,
    );
  }
  const environment = {
    ...context.environment,
    ...(values.bucket ? { BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: values.bucket } : {}),
    ...(values.pipeline ? { BUILDKITE_PLUGIN_S3_SECRETS_BUCKET_PREFIX: values.pipeline } : {}),
  };
  const config = readEnvCommandConfig(environment);
  if (!config.bucket) throw new UsageError('no bucket: pass --bucket or set BUILDKITE_PLUGIN_S3_SECRETS_BUCKET');
  const bucket = config.bucket;
  const print = (line: string) => context.writeStdout(`${line}\n`);
  let problems = 0;
  const problem = (line: string) => {
    problems += 1;
    print(`  ✗ ${line}`);
  };

  print(`s3secrets doctor: bucket ${bucket}, pipeline prefix "${config.prefix}"`);
  print(`  endpoint: ${config.endpoint ?? 'AWS (default)'}${config.endpoint ? ' (path-style addressing)' : ''}`);
  const signal = AbortSignal.timeout(config.deadlineMs);
  const { store, check } = await openSecretStore(
    (region) => sdkSecretStores(config, signal)(bucket, region),
    config,
    environment,
    context.logger,
  );
  try {
    print(`  region: ${store.region}${config.regionHint ? ' (BUILDKITE_PLUGIN_S3_SECRETS_REGION)' : ' (discovered)'}`);
    const sdkReason = perJobSdkReason(config, environment, store.region);
    print(`  per-job S3 requests: ${sdkReason ? `AWS SDK client (${sdkReason})` : 'direct, SigV4-signed'}`);
    if (check.status !== 'available') {
      problem(
        `bucket: ${describeOutcome(check)}` +
          (check.status === 'access-denied' ? ` — grant s3:ListBucket on arn:aws:s3:::${bucket}` : ''),
      );
      print(`${problems} problem(s) found`);
      return 1;
    }
    print('  ✓ bucket: exists and s3:ListBucket is granted');

    const keys = secretKeysFor(config.prefix);
    const inspect = (key: string) => inspectKey(store.client, bucket, key, signal);
    const listings = await Promise.all(keys.secretFilePrefixes.map((prefix) => store.listKeys(prefix)));
    const secretFileKeys = listings.flatMap((listing) =>
      listing.status === 'listed' ? selectSecretFileKeys(listing.keys) : [],
    );
    const [sshKeys, envFiles, gitCredentials, secretFiles] = await Promise.all([
      Promise.all(keys.sshKeys.map(inspect)),
      Promise.all(keys.envFiles.map(inspect)),
      Promise.all(keys.gitCredentials.map(inspect)),
      Promise.all(secretFileKeys.map(inspect)),
    ]);
    const kmsKeys = new Set<string>();
    /** A readable object's verdict: notes to show, and `problem` when the hooks would skip part of it. */
    type Verdict = { notes: string[]; problem?: boolean };
    const section = (
      title: string,
      reports: KeyReport[],
      describe: (report: KeyReport) => Verdict = () => ({ notes: [] }),
    ) => {
      print(title);
      for (const report of reports) {
        if (report.kmsKeyId) kmsKeys.add(report.kmsKeyId);
        const verdict = report.state === 'readable' ? describe(report) : { notes: [] };
        const notes = [...report.notes, ...verdict.notes].join('; ');
        if (report.state === 'problem' || verdict.problem) problem(`${report.key}: ${notes}`);
        else print(`  ${report.state === 'readable' ? '✓' : '-'} ${report.key}: ${notes}`);
      }
    };
    section('SSH keys (all found are loaded into ssh-agent):', sshKeys);
    const unparsable = new Set<string>();
    section('Env files (later override earlier):', envFiles, (report) => {
      try {
        const names = parseEnvFile(decoder.decode(report.body), () => undefined).assignments.map(({ name }) => name);
        return { notes: [`defines ${names.length === 0 ? 'nothing' : [...new Set(names)].join(', ')}`] };
      } catch (error) {
        if (!(error instanceof EnvFileSyntaxError)) throw error;
        unparsable.add(report.key);
        return { notes: [`will be skipped: ${error.message}`], problem: true };
      }
    });
    section('Git credentials:', gitCredentials, (report) => {
      const parsed = parseGitCredentials(decoder.decode(report.body));
      const hosts = [...new Set(parsed.credentials.map((credential) => `${credential.protocol}://${credential.host}`))];
      const invalid = parsed.invalidLines.length > 0;
      return {
        notes: [
          `hosts ${hosts.join(', ') || 'none'}`,
          ...(invalid ? [`unparsable lines ${parsed.invalidLines.join(', ')} are ignored`] : []),
        ],
        problem: invalid,
      };
    });
    print('Secret files (variable ← key):');
    keys.secretFilePrefixes.forEach((prefix, index) => {
      const listing = listings[index];
      if (listing && listing.status !== 'listed') problem(`cannot list ${prefix}: ${describeOutcome(listing)}`);
    });
    for (const report of secretFiles) {
      const name = secretFileVariableName(report.key);
      if (report.kmsKeyId) kmsKeys.add(report.kmsKeyId);
      if (!isShellIdentifier(name))
        problem(`${report.key}: "${name}" is not a valid variable name; it will be skipped`);
      else if (report.state === 'readable') print(`  ✓ ${name} ← ${report.key}`);
      else problem(`${name} ← ${report.key}: ${report.notes.join('; ')}`);
    }
    if (secretFiles.length === 0) print('  - none');

    // What env itself refuses or skips once the files are read (a value too long for one variable, a NUL byte, an
    // env file that is not UTF-8, a name bash owns), from the builder env uses, so "No problems found" holds for the
    // job. Its messages name keys and variables, never values.
    const found = (reports: readonly KeyReport[]): KeyResult[] =>
      reports.flatMap((report) =>
        report.state === 'readable' && report.body && !unparsable.has(report.key)
          ? [{ key: report.key, result: { status: 'found' as const, body: report.body } }]
          : [],
      );
    const assembled = assembleEnvScript({
      bucket,
      region: store.region,
      envFiles: found(envFiles),
      gitCredentials: [],
      // Names that are not variables are reported above already.
      secretFiles: found(secretFiles).filter(({ key }) => isShellIdentifier(secretFileVariableName(key))),
      sshAgent: undefined,
      selfCommand: [],
      lookup: () => undefined,
    });
    const skipped = '+++ :warning: ';
    for (const warning of assembled.script.warnings) {
      if (warning.startsWith(skipped)) problem(warning.slice(skipped.length));
    }
    if (assembled.refusal) problem(assembled.refusal.message);

    if (kmsKeys.size > 0) {
      print('KMS keys used (decrypt already proven by the reads above):');
      const { describeKmsKeys } = await import('../kms-key-state');
      for (const line of await describeKmsKeys([...kmsKeys], store.region, config, signal)) print(`  ${line}`);
    }
    print(problems === 0 ? 'No problems found.' : `${problems} problem(s) found`);
    return problems === 0 ? 0 : 1;
  } finally {
    store.close();
    closeConnections();
  }
}

async function inspectKey(client: S3Client, bucket: string, key: string, signal: AbortSignal): Promise<KeyReport> {
  try {
    const output = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    const body = output.Body ? await output.Body.transformToByteArray() : new Uint8Array();
    const encryption =
      output.ServerSideEncryption === 'aws:kms' || output.ServerSideEncryption === 'aws:kms:dsse'
        ? `SSE-KMS ${output.SSEKMSKeyId ?? ''}`.trim()
        : `not KMS-encrypted (${output.ServerSideEncryption ?? 'none'}): re-upload with s3secrets put`;
    return {
      key,
      state: 'readable',
      notes: [`readable, ${body.byteLength} bytes, ${encryption}`],
      body,
      ...(output.SSEKMSKeyId ? { kmsKeyId: output.SSEKMSKeyId } : {}),
    };
  } catch (error) {
    const outcome = classifyError(error);
    if (outcome.status === 'not-found') return { key, state: 'absent', notes: ['not found'] };
    if (outcome.status === 'failed') return { key, state: 'problem', notes: [describeOutcome(outcome)] };
    // GetObject denied: tell "absent without s3:ListBucket" from "exists but cannot be decrypted".
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
      return {
        key,
        state: 'problem',
        notes: [
          // HeadObject needs s3:GetObject too, so a denied GetObject here is the KMS key (or a policy condition).
          head.SSEKMSKeyId
            ? `exists but cannot be decrypted: grant kms:Decrypt on ${head.SSEKMSKeyId}`
            : `exists but GetObject is denied: check the bucket policy for arn:aws:s3:::${bucket}/${key}`,
        ],
      };
    } catch {
      return { key, state: 'absent', notes: ['access denied (absent, or s3:GetObject not granted)'] };
    }
  }
}
