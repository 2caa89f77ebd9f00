import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Logger } from './logger';

/** The agent reads each batch as one JSON file; keep each well under what it accepts. */
export const REDACTION_CHUNK_LIMIT = 1024 * 1024;

/**
 * Splits values into JSON objects `{"secret_0": "…", …}` whose serialised size stays within `limitBytes`.
 * Every value lands in exactly one chunk, in order. A single value larger than the limit gets a chunk of its own.
 */
export function chunkRedactions(
  values: readonly string[],
  limitBytes: number = REDACTION_CHUNK_LIMIT,
): Record<string, string>[] {
  const chunks: Record<string, string>[] = [];
  let current: Record<string, string> = {};
  let currentCount = 0;
  let currentSize = 2; // "{}"
  for (const value of values) {
    const entrySize = (name: string) => Buffer.byteLength(`${JSON.stringify(name)}:${JSON.stringify(value)}`) + 1;
    let name = `secret_${currentCount}`;
    if (currentCount > 0 && currentSize + entrySize(name) > limitBytes) {
      chunks.push(current);
      current = {};
      currentCount = 0;
      currentSize = 2;
      name = 'secret_0';
    }
    current[name] = value;
    currentCount += 1;
    currentSize += entrySize(name);
  }
  if (currentCount > 0) chunks.push(current);
  return chunks;
}

interface AgentResult {
  code: number | null;
  output: string;
}

function runAgent(command: string, args: readonly string[]): Promise<AgentResult> {
  return new Promise((resolve, reject) => {
    // The agent's stdout must never reach ours: ours is evaluated as shell by the hook.
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

export interface RedactOptions {
  /** @default 'buildkite-agent' (found on PATH) */
  agentCommand?: string;
  /** @default os.tmpdir() */
  temporaryDirectory?: string;
}

/** The executable `command` names: itself when it holds a slash, else the first match on PATH. */
export function findExecutable(command: string, path: string | undefined): string | undefined {
  const candidates = command.includes('/')
    ? [command]
    : (path ?? '').split(delimiter).flatMap((directory) => (directory ? [join(directory, command)] : []));
  return candidates.find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return statSync(candidate).isFile();
    } catch {
      return false;
    }
  });
}

/**
 * Hands values to `buildkite-agent redactor add` so the agent masks them in the job log. Never fatal: an agent that
 * is missing or too old gets a warning, and so does a batch the agent rejects. On a current agent this is one process
 * per batch: the `redactor add --help` probe (two more process starts on every job) only runs after a batch failed,
 * to tell an agent without redaction from one that refused the batch.
 */
export async function redactWithAgent(
  values: readonly string[],
  logger: Logger,
  options: RedactOptions = {},
): Promise<void> {
  if (values.length === 0) return;
  const command = options.agentCommand ?? 'buildkite-agent';
  const agent = findExecutable(command, process.env.PATH);
  if (!agent) {
    logger.warn(
      `+++ :warning: ${command} is not on PATH, so ${secretValues(values.length)} cannot be redacted from the job log`,
    );
    return;
  }
  // A full (tmpfs) or missing TMPDIR is a redaction failure like any other: a warning, never the job's end.
  const root = options.temporaryDirectory ?? tmpdir();
  const cannotWrite = (error: unknown, count: number) => {
    const code = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    logger.warn(
      `+++ :warning: cannot write the redaction batch under ${root} (${code}), so ${secretValues(count)} cannot be ` +
        'redacted from the job log',
    );
  };
  let directory: string;
  try {
    directory = await mkdtemp(join(root, 's3secrets-redact-'));
  } catch (error) {
    cannotWrite(error, values.length);
    return;
  }
  try {
    const chunks = chunkRedactions(values);
    for (const [index, chunk] of chunks.entries()) {
      const file = join(directory, `buildkite-secrets-chunk-${index}.json`);
      try {
        await writeFile(file, JSON.stringify(chunk), { mode: 0o600, flag: 'wx' });
      } catch (error) {
        const left = chunks.slice(index).reduce((sum, later) => sum + Object.keys(later).length, 0);
        cannotWrite(error, left);
        return;
      }
      const result = await runAgent(agent, ['redactor', 'add', '--format', 'json', file]).catch((error: unknown) => ({
        code: null,
        output: error instanceof Error ? error.message : String(error),
      }));
      await rm(file, { force: true });
      if (result.code === 0) {
        if (result.output.trim() !== '') logger.info(result.output.trim());
        continue;
      }
      if (index === 0 && !(await supportsRedaction(agent))) {
        const version = await runAgent(agent, ['--version']).catch(() => ({ code: null, output: 'unknown version' }));
        logger.warn(
          `+++ :warning: ${version.output.trim() || 'this buildkite-agent'} doesn't support secret redaction. ` +
            'Upgrade to buildkite-agent v3.67.0 or later to have secrets redacted from job logs.',
        );
        return;
      }
      logger.warn(
        `+++ :warning: buildkite-agent redactor add failed for batch ${index + 1} of ${chunks.length}: ${result.output.trim()}`,
      );
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

const secretValues = (count: number) => (count === 1 ? '1 secret value' : `${count} secret values`);

async function supportsRedaction(agent: string): Promise<boolean> {
  const help = await runAgent(agent, ['redactor', 'add', '--help']).catch(() => undefined);
  return help !== undefined && help.code === 0 && help.output.includes('redactor');
}
