import { realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { version } from '../package.json';
import type { CommandContext } from './commands/context';
import { runEnvCommand } from './commands/env';
import { runGitCredentialCommand } from './commands/git-credential';
import { S3SecretsError, UsageError } from './errors';
import { createLogger, type Logger } from './logger';

const USAGE = `usage: s3secrets <command> [options]

commands:
  env                      print the job's secrets as a shell script (the environment hook evaluates it)
  git-credential BUCKET REGION KEY [get|store|erase]
                           git credential helper that 'env' configures; answers 'get' from S3
  put --kind KIND [--pipeline SLUG | --global] [--bucket NAME] [--name NAME] [--kms-key-id ID] [--region R] FILE
                           upload a secret with SSE-KMS to the key the hooks read (KIND: env, ssh-key,
                           git-credentials, secret-file)
  doctor [--bucket NAME] [--pipeline SLUG]
                           check bucket access, region, KMS decrypt and which keys a pipeline receives

Variables: see the README (BUILDKITE_PLUGIN_S3_SECRETS_BUCKET, ..._REGION, ..._BUCKET_PREFIX, AWS_ENDPOINT_URL, ...).
Exit codes: 0 success, 1 failure, 2 bad arguments or configuration.`;

function readStdinBytes(): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
    });
    process.stdin.once('end', () => resolve(Buffer.concat(chunks)));
    process.stdin.once('error', reject);
  });
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  return Buffer.from(await readStdinBytes()).toString('utf8');
}

function selfCommand(): string[] {
  const script = process.argv[1];
  return script ? [process.execPath, realpathSync(script)] : [process.execPath];
}

/** Dispatches one command line; returns the exit code. */
async function main(argv: readonly string[], invokedAs: string, logger: Logger): Promise<number> {
  const context: CommandContext = {
    environment: process.env,
    writeStdout: (text) => process.stdout.write(text),
    readStdin,
    readStdinBytes,
    stdinIsTerminal: process.stdin.isTTY === true,
    logger,
    selfCommand: selfCommand(),
  };
  // Upstream's hook runs `s3secrets-helper` with no arguments: keep that invocation working.
  const [command = invokedAs === 's3secrets-helper' ? 'env' : undefined, ...rest] = argv;
  switch (command) {
    case 'env':
      if (rest.length > 0) throw new UsageError(`'env' takes no arguments\n${USAGE}`);
      return runEnvCommand(context);
    case 'git-credential':
      return runGitCredentialCommand(rest, context);
    case 'put':
      return (await import('./commands/put')).runPutCommand(rest, context);
    case 'doctor':
      return (await import('./commands/doctor')).runDoctorCommand(rest, context);
    case '--version':
    case 'version':
      process.stdout.write(`s3secrets ${version}\n`);
      return 0;
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    case undefined:
      throw new UsageError(`missing command\n${USAGE}`);
    default:
      throw new UsageError(`unknown command '${command}'\n${USAGE}`);
  }
}

// The SDK warns on every start under Node 20 about its future support policy: noise in every job log.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const logger = createLogger();
main(process.argv.slice(2), basename(process.argv[1] ?? 's3secrets').replace(/\.[cm]?js$/, ''), logger).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof S3SecretsError) {
      logger.warn(`s3secrets: ${error.message}`);
      process.exitCode = error.exitCode;
      return;
    }
    // Unexpected: show what happened (masked through the logger), never a value.
    logger.warn(
      `s3secrets: unexpected error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
    process.exitCode = 1;
  },
);
