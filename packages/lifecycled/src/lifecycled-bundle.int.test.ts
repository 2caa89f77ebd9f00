// The bundled daemon exactly as installed on agents (tsup output, AWS SDK inside), under the Node running the tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awsEnvironment, type RunningImdsStandIn, startImdsStandIn } from '@elastic-ci/testing';
import { build, type Options } from 'tsup';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import tsupConfig from '../tsup.config';
import { captureStream } from './test-support/harness';

const INSTANCE_ID = 'i-0123456789abcdef0';
const nodeMajor = Number(process.versions.node.split('.')[0]);
let bundle: string;
let standIn: RunningImdsStandIn | undefined;
let daemon: ChildProcess | undefined;

beforeAll(async () => {
  const outDir = await mkdtemp(join(tmpdir(), 'lifecycled-bundle-'));
  const configs = (Array.isArray(tsupConfig) ? tsupConfig : [tsupConfig]) as Options[];
  const programs = configs.find((config) => typeof config.entry === 'object' && 'lifecycled' in config.entry);
  if (programs === undefined) throw new Error('tsup.config.ts has no lifecycled entry');
  await build({ ...programs, outDir, silent: true, config: false, sourcemap: false });
  bundle = join(outDir, 'lifecycled.js');
}, 120_000);

afterEach(async () => {
  daemon?.kill('SIGKILL');
  await standIn?.close();
});

/** Resolves once `ready()` holds, checked on every stderr chunk; the limit only turns a hang into a clear failure. */
function waitUntil(ready: () => boolean, describeState: () => string, limitMs = 60_000): Promise<void> {
  return new Promise((resolveWait, rejectWait) => {
    const check = () => {
      if (!ready()) return;
      clearInterval(poll);
      clearTimeout(limit);
      resolveWait();
    };
    const poll = setInterval(check, 20);
    const limit = setTimeout(() => {
      clearInterval(poll);
      rejectWait(new Error(`gave up waiting; daemon said:\n${describeState()}`));
    }, limitMs);
    check();
  });
}

describe('Program: bundled lifecycled on this Node', () => {
  it('keeps every stderr line of --json a JSON entry, the AWS SDK’s Node version notice included', async () => {
    // Prepare
    standIn = await startImdsStandIn({ instanceId: INSTANCE_ID });
    standIn.setTargetLifecycleState('InService');
    const stderr = captureStream();
    daemon = spawn(
      process.execPath,
      [bundle, '--json', '--debug', '--no-spot', `--instance-id=${INSTANCE_ID}`, '--lifecycle-state-interval=50ms'],
      {
        env: {
          PATH: process.env.PATH ?? '',
          ...awsEnvironment(),
          AWS_REGION: 'us-east-1',
          AWS_EC2_METADATA_SERVICE_ENDPOINT: standIn.endpoint,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    daemon.stderr?.pipe(stderr.stream);
    const exit = new Promise<number | null>((resolveExit) => daemon?.once('exit', (code) => resolveExit(code)));
    const polls = () => standIn?.requests.filter((request) => request.path.includes('target-lifecycle-state')) ?? [];
    // The SDK warns when the first client is built, just before the listeners start: the notice (Node < 22) or a
    // poll after the start means it has had its chance.
    await waitUntil(
      () =>
        nodeMajor < 22
          ? stderr.text().includes('NodeVersionSupportWarning') && polls().length >= 2
          : polls().length >= 2,
      stderr.text,
    );

    // Act
    daemon.kill('SIGTERM');
    const exitCode = await exit;

    // Assess
    expect(exitCode).toBe(0);
    const lines = stderr
      .text()
      .split('\n')
      .filter((line) => line !== '');
    const unparsable = lines.filter((line) => {
      try {
        return typeof JSON.parse(line) !== 'object';
      } catch {
        return true;
      }
    });
    expect(unparsable).toEqual([]);
    const notices = stderr.entries().filter((entry) => JSON.stringify(entry).includes('NodeVersionSupportWarning'));
    expect(notices).toEqual(
      nodeMajor < 22
        ? [
            expect.objectContaining({
              level: 'debug',
              msg: 'Node.js warning',
              warning: expect.objectContaining({ message: expect.stringMatching(/^NodeVersionSupportWarning: /) }),
            }),
          ]
        : [],
    );
  }, 90_000);
});
