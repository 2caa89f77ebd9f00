import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { chunkRedactions, findExecutable, redactWithAgent } from './redactor';

describe('Function: chunkRedactions', () => {
  it('puts every value in exactly one chunk, in order, each chunk within the limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary', maxLength: 100 }), { maxLength: 60 }),
        // Single values here serialise to at most ~620 bytes, so every chunk can honour the limit.
        fc.integer({ min: 1_000, max: 4_000 }),
        (values, limit) => {
          // Act
          const chunks = chunkRedactions(values, limit);

          // Assess
          expect(chunks.flatMap((chunk) => Object.values(chunk))).toEqual(values);
          for (const chunk of chunks) {
            expect(Object.keys(chunk)).toEqual(Object.keys(chunk).map((_, index) => `secret_${index}`));
            expect(Buffer.byteLength(JSON.stringify(chunk))).toBeLessThanOrEqual(limit);
          }
        },
      ),
    );
  });

  it('splits at 1 MiB by default', () => {
    // Prepare
    const values = Array.from({ length: 40 }, (_, index) => `${index}`.padEnd(60_000, 'x'));

    // Act
    const chunks = chunkRedactions(values);

    // Assess
    expect(chunks.length).toBe(3);
    expect(chunks.every((chunk) => Buffer.byteLength(JSON.stringify(chunk)) <= 1024 * 1024)).toBe(true);
  });
});

describe('Function: redactWithAgent', () => {
  const messages: string[] = [];
  const logger = {
    info: (line: string) => messages.push(line),
    warn: (line: string) => messages.push(line),
    protect: () => undefined,
  };

  const directories: string[] = [];
  afterAll(async () => {
    await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
  });

  async function agentScript(body: string): Promise<string> {
    const directory = await mkdtemp(join(tmpdir(), 's3secrets-agent-'));
    directories.push(directory);
    const path = join(directory, 'buildkite-agent');
    await writeFile(path, `#!/usr/bin/env bash\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  }

  it('warns and carries on when the agent is not installed', async () => {
    // Prepare
    messages.length = 0;

    // Act
    await redactWithAgent(['value'], logger, { agentCommand: '/nonexistent/buildkite-agent' });

    // Assess
    expect(messages).toEqual([
      '+++ :warning: /nonexistent/buildkite-agent is not on PATH, so 1 secret value cannot be redacted from the job log',
    ]);
  });

  it('names the agent version and the upgrade when redaction is not supported', async () => {
    // Prepare
    messages.length = 0;
    const agent = await agentScript(
      '[[ "$1" == --version ]] && { echo "buildkite-agent version 3.50.0"; exit 0; }; exit 1',
    );

    // Act
    await redactWithAgent(['value'], logger, { agentCommand: agent });

    // Assess
    expect(messages.join('\n')).toContain("buildkite-agent version 3.50.0 doesn't support secret redaction");
    expect(messages.join('\n')).toContain('Upgrade to buildkite-agent v3.67.0 or later');
  });

  it('warns, never fails, when the agent rejects a batch', async () => {
    // Prepare
    messages.length = 0;
    const agent = await agentScript(
      '[[ "$3" == --help ]] && { echo redactor; exit 0; }; echo "job API unavailable" >&2; exit 1',
    );

    // Act
    await redactWithAgent(['value'], logger, { agentCommand: agent });

    // Assess
    expect(messages).toEqual([
      '+++ :warning: buildkite-agent redactor add failed for batch 1 of 1: job API unavailable',
    ]);
  });

  it('warns, never fails, when the batch file cannot be written (a full or missing TMPDIR)', async () => {
    // Prepare: a missing directory stands in for a full one (root, which runs these tests, ignores permissions).
    messages.length = 0;
    const agent = await agentScript('exit 0');

    // Act
    const redacting = redactWithAgent(['first value', 'second value'], logger, {
      agentCommand: agent,
      temporaryDirectory: '/nonexistent/tmp',
    });

    // Assess
    await expect(redacting).resolves.toBeUndefined();
    expect(messages).toEqual([
      '+++ :warning: cannot write the redaction batch under /nonexistent/tmp (ENOENT), so 2 secret values cannot be ' +
        'redacted from the job log',
    ]);
  });

  it('registers a batch with one process on a current agent, the file readable only by us and removed after', async () => {
    // Prepare
    messages.length = 0;
    const log = join(await mkdtemp(join(tmpdir(), 's3secrets-agent-log-')), 'calls');
    directories.push(join(log, '..'));
    const agent = await agentScript(
      `echo "$*" >> ${log}; [[ "$1 $2" == "redactor add" && -f "$5" ]] && stat -c %a "$5" >> ${log} && cat "$5" >> ${log}`,
    );

    // Act
    await redactWithAgent(['first value', 'second value'], logger, { agentCommand: agent });

    // Assess
    const calls = (await readFile(log, 'utf8')).trim().split('\n');
    expect(calls).toHaveLength(3);
    expect(calls[0]).toMatch(/^redactor add --format json \/.*buildkite-secrets-chunk-0\.json$/);
    expect(calls[1]).toBe('600');
    expect(JSON.parse(calls[2] ?? '')).toEqual({ secret_0: 'first value', secret_1: 'second value' });
    expect(existsSync(calls[0]?.split(' ')[4] ?? '')).toBe(false);
    expect(messages).toEqual([]);
  });

  it('finds the agent on PATH', () => {
    // Act / Assess
    expect(findExecutable('bash', process.env.PATH)).toMatch(/\/bash$/);
    expect(findExecutable('no-such-command-s3secrets', process.env.PATH)).toBeUndefined();
    expect(findExecutable('/etc', process.env.PATH)).toBeUndefined();
  });

  it('does nothing without values', async () => {
    // Prepare
    messages.length = 0;

    // Act
    await redactWithAgent([], logger, { agentCommand: '/nonexistent/buildkite-agent' });

    // Assess
    expect(messages).toEqual([]);
  });
});
