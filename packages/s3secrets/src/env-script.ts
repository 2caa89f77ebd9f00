import { type EnvAssignment, parseEnvFile, type VariableLookup } from './env-file';
import { EnvFileSyntaxError, UnusableSecretError } from './errors';
import type { KeyResult } from './fetch-secrets';
import { containsSecretSuffix, secretFileVariableName } from './layout';
import { shellOwnedNameReason } from './shell-names';
import { exportLine, isShellIdentifier, shellQuote, shellQuoteBytes } from './shell-quote';

/** Values larger than this are not sent to the redactor (the agent's own limit). */
export const REDACTION_VALUE_LIMIT = 64 * 1024;

/**
 * Linux's MAX_ARG_STRLEN (32 pages of 4 KiB): the longest single environment string `execve` accepts, counting
 * `NAME=`, the value and the terminating NUL. One longer variable makes every command of the job fail with E2BIG
 * ("Argument list too long"), so such a value is refused instead of exported.
 */
export const MAX_ENVIRONMENT_STRING_BYTES = 131_072;

/** Whether `NAME=value` plus its NUL fits in one environment string. */
export function fitsInEnvironment(name: string, valueBytes: number): boolean {
  return Buffer.byteLength(name) + 1 + valueBytes + 1 <= MAX_ENVIRONMENT_STRING_BYTES;
}

export interface SshAgentExports {
  socket: string;
  pid: number;
}

export interface EnvScriptInput {
  bucket: string;
  region: string;
  envFiles: readonly KeyResult[];
  gitCredentials: readonly KeyResult[];
  secretFiles: readonly KeyResult[];
  sshAgent: SshAgentExports | undefined;
  /** argv that runs this CLI (`[node, cli.js]`); git runs it with `git-credential <bucket> <region> <key> get`. */
  selfCommand: readonly string[];
  /** Resolves `$NAME` in env files: the job's environment as the hook sees it. */
  lookup: VariableLookup;
}

export interface EnvScript {
  /** The shell program for the hook to evaluate; every value single-quoted. */
  script: string;
  /** Values to hand to the agent's redactor. */
  redactions: string[];
  /** Every secret value placed in the script, for masking log messages. */
  secretValues: string[];
  info: string[];
  warnings: string[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Builds the script `s3secrets env` prints, in upstream's order: ssh-agent variables, env files (later override
 * earlier), GIT_CONFIG_PARAMETERS, then secret files (pipeline-level override global). Nothing in a secret is ever
 * executed by the shell: every value is a single-quoted literal.
 */
export function buildEnvScript(input: EnvScriptInput): EnvScript {
  const { script, refusal } = assembleEnvScript(input);
  if (refusal) throw refusal;
  return script;
}

/**
 * `buildEnvScript` without the throw: the script, and the error `env` fails with when a value cannot be exported.
 * `doctor` reports both, so its verdict is the one the job gets.
 */
export function assembleEnvScript(input: EnvScriptInput): { script: EnvScript; refusal?: UnusableSecretError } {
  const out: EnvScript = { script: '', redactions: [], secretValues: [], info: [], warnings: [] };
  const lines: string[] = [];
  const redactionCandidates: { label: string; value: string | Uint8Array }[] = [];

  if (input.sshAgent) {
    lines.push(exportLine('SSH_AUTH_SOCK', shellQuote(input.sshAgent.socket)));
    lines.push(exportLine('SSH_AGENT_PID', shellQuote(String(input.sshAgent.pid))));
    // Lets the pre-exit hook stop exactly the agent this run started, never one the job inherited.
    lines.push(exportLine('S3SECRETS_SSH_AGENT_PID', shellQuote(String(input.sshAgent.pid))));
  }

  const tooLong: string[] = [];
  const refuseTooLong = (name: string, location: string, valueBytes: number): boolean => {
    if (fitsInEnvironment(name, valueBytes)) return false;
    tooLong.push(`${name} from ${location} (${valueBytes} bytes)`);
    return true;
  };

  const defined = new Map<string, string>();
  const lookup: VariableLookup = (name) => defined.get(name) ?? input.lookup(name);
  for (const { key, result } of input.envFiles) {
    if (result.status !== 'found' || result.body.byteLength === 0) continue;
    const location = `${input.bucket}/${key}`;
    const text = decodeUtf8(result.body);
    if (text === undefined) {
      out.warnings.push(`+++ :warning: Skipping env file ${location}: it is not UTF-8 text`);
      continue;
    }
    let assignments: EnvAssignment[];
    try {
      const parsed = parseEnvFile(text, lookup);
      assignments = parsed.assignments;
      for (const notice of parsed.notices) out.warnings.push(`Note: ${location} ${notice}`);
    } catch (error) {
      if (!(error instanceof EnvFileSyntaxError)) throw error;
      out.warnings.push(`+++ :warning: Skipping env file ${location}: ${error.message}; the other files still load`);
      continue;
    }
    out.info.push(`Loading ${location} (${result.body.byteLength} bytes) of env`);
    for (const { name, value } of assignments) {
      const shellOwned = shellOwnedNameReason(name);
      if (shellOwned) {
        // Like an invalid name: a compose-style `UID=1000` must not end the hook.
        out.warnings.push(`+++ :warning: Skipping ${name} from ${location}: ${shellOwned}`);
        continue;
      }
      if (value.includes('\0')) {
        out.warnings.push(`+++ :warning: Skipping ${name} from ${location}: a shell variable cannot hold a NUL byte`);
        continue;
      }
      if (refuseTooLong(name, location, Buffer.byteLength(value))) continue;
      defined.set(name, value);
      lines.push(exportLine(name, shellQuote(value)));
      out.secretValues.push(value);
      if (containsSecretSuffix(name)) redactionCandidates.push({ label: `${name} from ${location}`, value });
    }
  }

  const helpers = input.gitCredentials
    .filter(({ result }) => result.status === 'found')
    .map(({ key }) => {
      out.info.push(`Adding git-credentials in ${input.bucket}/${key} as a credential helper`);
      const command = [...input.selfCommand, 'git-credential', input.bucket, input.region, key];
      return gitConfigEntry(`credential.helper=!${command.map(shellWord).join(' ')}`);
    });
  if (helpers.length > 0) {
    // Appends to GIT_CONFIG_PARAMETERS the job already has instead of replacing it (upstream replaced it).
    const ours = shellQuote(helpers.join(' '));
    lines.push(`export GIT_CONFIG_PARAMETERS="\${GIT_CONFIG_PARAMETERS:+\${GIT_CONFIG_PARAMETERS} }"${ours}\n`);
  }

  for (const { key, result } of input.secretFiles) {
    if (result.status !== 'found') continue;
    const location = `${input.bucket}/${key}`;
    const name = secretFileVariableName(key);
    if (!isShellIdentifier(name)) {
      out.warnings.push(
        `+++ :warning: Skipping secret ${location}: "${name}" is not a valid variable name ` +
          '(letters, digits and _, not starting with a digit)',
      );
      continue;
    }
    if (result.body.includes(0)) {
      out.warnings.push(`+++ :warning: Skipping secret ${location}: a shell variable cannot hold a NUL byte`);
      continue;
    }
    if (refuseTooLong(name, location, result.body.byteLength)) continue;
    out.info.push(`Adding secret ${location} to environment`);
    const text = decodeUtf8(result.body);
    lines.push(exportLine(name, text === undefined ? shellQuoteBytes(result.body) : shellQuote(text)));
    if (text !== undefined) out.secretValues.push(text);
    redactionCandidates.push({ label: location, value: text ?? result.body });
  }

  out.redactions = selectRedactions(redactionCandidates, out.warnings);
  out.script = lines.join('');
  if (tooLong.length > 0) {
    const refusal = new UnusableSecretError(
      `refusing ${tooLong.join(', ')}: a variable can hold at most ${MAX_ENVIRONMENT_STRING_BYTES} bytes ` +
        'counting "NAME=" and the terminating NUL (the kernel\'s MAX_ARG_STRLEN); with it exported every command of ' +
        'the job would fail with "Argument list too long"',
    );
    return { script: out, refusal };
  }
  return { script: out };
}

/** Trimmed, non-empty, de-duplicated values; non-UTF-8 and oversized values are skipped with a warning. */
function selectRedactions(candidates: { label: string; value: string | Uint8Array }[], warnings: string[]): string[] {
  const selected = new Set<string>();
  for (const { label, value } of candidates) {
    if (typeof value !== 'string') {
      warnings.push(`Warning: ${label} is not UTF-8 text, so it cannot be redacted from the job log`);
      continue;
    }
    const trimmed = value.trim();
    if (trimmed === '') continue;
    if (Buffer.byteLength(trimmed) >= REDACTION_VALUE_LIMIT) {
      warnings.push(`Warning: ${label} is 64 KiB or larger, so it cannot be redacted from the job log`);
      continue;
    }
    selected.add(trimmed);
  }
  return [...selected];
}

/** A word for a shell command line: bare when it has only safe characters, else single-quoted. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : shellQuote(word);
}

/** One entry of GIT_CONFIG_PARAMETERS in git's own quoting (`'key=value'`, `'` written as `'\''`). */
export function gitConfigEntry(entry: string): string {
  return `'${entry.replaceAll("'", "'\\''")}'`;
}
