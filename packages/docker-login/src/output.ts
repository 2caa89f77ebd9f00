import type { Output } from './ports';

const REDACTED = '[REDACTED]';
/** Shorter strings are not treated as secrets: redacting "AWS" or "1" would garble every line. */
const MINIMUM_SECRET_LENGTH = 6;

/**
 * Line output that replaces every registered secret (and its base64 form, as found in `auth` values) with
 * `[REDACTED]`: a second line of defence behind never formatting secrets into messages in the first place.
 */
export function redactingOutput(writeStdout: (text: string) => void, writeStderr: (text: string) => void): Output {
  const secrets = new Set<string>();
  const redact = (line: string) => {
    let result = line;
    for (const secret of secrets) result = result.split(secret).join(REDACTED);
    return result;
  };
  return {
    info: (line) => writeStdout(`${redact(line)}\n`),
    warn: (line) => writeStderr(`${redact(line)}\n`),
    addSecret(secret) {
      if (secret.length < MINIMUM_SECRET_LENGTH) return;
      secrets.add(secret);
      secrets.add(Buffer.from(secret, 'utf8').toString('base64'));
    },
  };
}
