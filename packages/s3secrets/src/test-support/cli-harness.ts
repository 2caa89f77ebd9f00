import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Options } from 'tsup';
import tsupConfig from '../../tsup.config';

/** Hash of everything that goes into the bundle, so one build serves every test file of a run. */
async function sourceFingerprint(): Promise<string> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const hash = createHash('sha256');
  const files = (await readdir(join(root, 'src'), { recursive: true })).filter((name) => name.endsWith('.ts')).sort();
  for (const name of [...files.map((file) => join('src', file)), 'tsup.config.ts', 'package.json']) {
    hash.update(name).update(await readFile(join(root, name)));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * Bundles the CLI from the current sources exactly as `pnpm build` does, into its own directory, so integration
 * tests run the real artifact without depending on (or racing with) the package's own dist.
 */
export async function buildCli(): Promise<string> {
  const outDir = join(tmpdir(), `s3secrets-cli-${await sourceFingerprint()}`);
  const cli = join(outDir, 's3secrets.cjs');
  if (existsSync(cli)) return cli;
  const configs = (Array.isArray(tsupConfig) ? tsupConfig : [tsupConfig]) as Options[];
  const binConfigs = configs.filter((config) => config.outDir === 'dist/bin');
  if (binConfigs.length === 0) throw new Error('tsup.config.ts has no dist/bin entries');
  const staging = await mkdtemp(join(tmpdir(), 's3secrets-cli-build-'));
  for (const config of binConfigs)
    await build({ ...config, outDir: staging, config: false, silent: true, clean: false });
  await rename(staging, outDir).catch(async () => rm(staging, { recursive: true, force: true }));
  return cli;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runProcess(
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; input?: string | Uint8Array; cwd?: string },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    // A command that never reads stdin closes the pipe first; that is not a test failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** A stand-in `buildkite-agent` that supports `redactor add` and records each call and the batch file it got. */
export async function fakeBuildkiteAgent(directory: string): Promise<{ binDirectory: string; recordFile: string }> {
  const binDirectory = join(directory, 'bin');
  const recordFile = join(directory, 'redactor-calls.log');
  await mkdir(binDirectory, { recursive: true });
  const script = `#!/usr/bin/env bash
set -euo pipefail
record=${JSON.stringify(recordFile)}
if [[ "$*" == "--version" ]]; then echo "buildkite-agent version 3.80.0"; exit 0; fi
if [[ "$*" == "redactor add --help" ]]; then echo "Usage: buildkite-agent redactor add [options...] [file-with-content-to-redact]"; exit 0; fi
if [[ "\${1:-}" == redactor && "\${2:-}" == add && "\${3:-}" == --format && "\${4:-}" == json ]]; then
  { echo "ARGS $*"; echo "MODE $(stat -c %a "$5")"; echo "BODY $(cat "$5")"; } >> "$record"
  echo "this line on the agent's stdout must not reach the hook's eval"
  exit 0
fi
echo "unexpected call: $*" >&2
exit 3
`;
  const path = join(binDirectory, 'buildkite-agent');
  await writeFile(path, script);
  await chmod(path, 0o755);
  return { binDirectory, recordFile };
}

/** Fails the test run (never skips) when a tool the tests drive is missing, saying how to install it. */
export async function requireCommands(commands: readonly string[]): Promise<void> {
  for (const command of commands) {
    const found = await runProcess('bash', ['-c', `command -v ${command}`], { env: process.env });
    if (found.code !== 0) {
      throw new Error(
        `${command} is not installed: run \`make system-deps\` (scripts/system-packages.txt lists the Debian package)`,
      );
    }
  }
}
