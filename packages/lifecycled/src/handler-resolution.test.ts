import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from './clock';
import { parseConfig } from './config';
import { processHandlerRunner } from './handler-runner';
import { createLogger } from './logger';
import { temporaryDirectory } from './test-support/harness';

/** An executable that records which copy of it ran. */
function writeMarkerHandler(directory: string, marker: string, log: string): void {
  const path = join(directory, 'drain-handler');
  writeFileSync(path, `#!/bin/sh\necho ${marker} >> '${log}'\n`);
  chmodSync(path, 0o755);
}

describe('Feature: --handler without a slash', () => {
  it('resolves NAME against the working directory once and spawns that file, not a NAME found on PATH', async () => {
    // Prepare
    const root = temporaryDirectory();
    const workingDirectory = join(root, 'hooks');
    const decoyDirectory = join(root, 'on-path');
    mkdirSync(workingDirectory);
    mkdirSync(decoyDirectory);
    const log = join(root, 'ran.log');
    writeMarkerHandler(workingDirectory, 'checked-file', log);
    writeMarkerHandler(decoyDirectory, 'path-lookup', log);
    const parsed = parseConfig(['--handler', 'drain-handler'], {}, { cwd: workingDirectory });
    if (parsed.kind !== 'run') throw new Error(`expected a run, got ${parsed.kind}`);

    // Act
    const outcome = await processHandlerRunner({
      handler: parsed.config.handler,
      env: { PATH: `${decoyDirectory}:/usr/bin:/bin` },
      logger: createLogger({ sinks: [] }),
      clock: systemClock,
      killTimeoutMs: 1_000,
    })({ transition: 'autoscaling:EC2_INSTANCE_TERMINATING', args: [], env: {} }, new AbortController().signal);

    // Assess
    expect(parsed.config.handler.command).toBe(join(workingDirectory, 'drain-handler'));
    expect(outcome.ok).toBe(true);
    expect(readFileSync(log, 'utf8')).toBe('checked-file\n');
  });

  it('checks the resolved path and names both spellings when it is not executable', () => {
    // Prepare
    const checked: string[] = [];
    const assertExecutable = (path: string) => {
      checked.push(path);
      throw new Error(`ENOENT: no such file or directory, stat '${path}'`);
    };

    // Act
    const parse = () => parseConfig(['--handler=drain-handler'], {}, { cwd: '/srv/hooks', assertExecutable });

    // Assess
    expect(parse).toThrow(/"drain-handler" \(\/srv\/hooks\/drain-handler\) is not an executable file/);
    expect(checked).toEqual(['/srv/hooks/drain-handler']);
  });
});
