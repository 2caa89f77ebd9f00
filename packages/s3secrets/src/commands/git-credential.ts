import { readConnectionConfig } from '../config';
import { UsageError } from '../errors';
import {
  findCredential,
  formatCredentialResponse,
  parseCredentialRequest,
  parseGitCredentials,
} from '../git-credentials';
import { closeConnections } from '../http-agents';
import { perJobStores } from '../open-secret-store';
import { describeOutcome } from '../secret-store';
import type { CommandContext } from './context';

const decoder = new TextDecoder();

/**
 * `s3secrets git-credential BUCKET REGION KEY ACTION`: the credential helper `s3secrets env` configures through
 * GIT_CONFIG_PARAMETERS. On `get` it downloads the git-credentials object and answers with the entry for the host
 * git asks about (nothing when none matches, so git tries its next helper). `store` and `erase` are no-ops.
 */
export async function runGitCredentialCommand(args: readonly string[], context: CommandContext): Promise<number> {
  const [bucket, region, key, action = 'get'] = args;
  if (!bucket || !region || !key || args.length > 4) {
    throw new UsageError('usage: s3secrets git-credential BUCKET REGION KEY [get|store|erase]');
  }
  const request = parseCredentialRequest(await context.readStdin());
  if (action !== 'get') return 0;

  const connection = readConnectionConfig(context.environment);
  const deadline = AbortSignal.timeout(connection.deadlineMs);
  // git prints a helper's stderr on every fetch: only warnings belong there, not which S3 client was chosen.
  const warningsOnly = { ...context.logger, info: () => undefined };
  const store = (
    await perJobStores(bucket, { ...connection, regionHint: region }, context.environment, deadline, warningsOnly)
  )(region);
  try {
    const result = await store.getObject(key);
    if (result.status !== 'found') {
      context.logger.warn(`s3secrets git-credential: cannot read s3://${bucket}/${key}: ${describeOutcome(result)}`);
      return 1;
    }
    const parsed = parseGitCredentials(decoder.decode(result.body));
    context.logger.protect(parsed.credentials.map((credential) => credential.password));
    if (parsed.invalidLines.length > 0) {
      context.logger.warn(
        `s3secrets git-credential: s3://${bucket}/${key} lines ${parsed.invalidLines.join(', ')} are not ` +
          'https://user:password@host[:port][/path] URLs and were ignored',
      );
    }
    const credential = findCredential(parsed.credentials, request);
    if (credential) context.writeStdout(formatCredentialResponse(credential));
    return 0;
  } finally {
    store.close();
    closeConnections();
  }
}
