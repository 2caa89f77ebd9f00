import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { chunkRedactions, redactWithAgent } from './redactor';

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

  it('does nothing without values', async () => {
    // Prepare
    messages.length = 0;

    // Act
    await redactWithAgent([], logger, { agentCommand: '/nonexistent/buildkite-agent' });

    // Assess
    expect(messages).toEqual([]);
  });
});
