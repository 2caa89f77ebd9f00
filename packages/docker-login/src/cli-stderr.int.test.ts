// `ecr` from the real bundle, under the Node running the tests, against moto: what a job log shows.
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { awsEnvironment } from '@elastic-ci/testing';
import { build, type Options } from 'tsup';
import { beforeAll, describe, expect, it } from 'vitest';
import tsupConfig from '../tsup.config';

const execFileAsync = promisify(execFile);
let cliPath: string;

beforeAll(async () => {
  const outDir = await mkdtemp(join(tmpdir(), 'docker-login-bundle-'));
  const configs = (Array.isArray(tsupConfig) ? tsupConfig : [tsupConfig]) as Options[];
  const cliConfig = configs.find((config) => typeof config.entry === 'object' && !Array.isArray(config.entry));
  if (cliConfig === undefined) throw new Error('tsup.config.ts has no CLI entry');
  await build({ ...cliConfig, outDir, silent: true, config: false });
  cliPath = join(outDir, 'cli.js');
}, 120_000);

describe('CLI bundle: stderr in the job log', () => {
  it('logs in to ECR without Node’s warning text (the SDK’s NodeVersionSupportWarning on Node < 22)', async () => {
    // Prepare
    const dockerConfig = await mkdtemp(join(tmpdir(), 'docker-login-stderr-'));

    // Act
    const { stderr } = await execFileAsync(process.execPath, [cliPath, 'ecr'], {
      env: {
        ...awsEnvironment(),
        PATH: process.env.PATH ?? '',
        HOME: dockerConfig,
        DOCKER_CONFIG: dockerConfig,
        BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: '123456789012',
        BUILDKITE_PLUGIN_ECR_RETRIES: '0',
      },
      timeout: 60_000,
    });

    // Assess
    expect(stderr).not.toContain('NodeVersionSupportWarning');
    expect(stderr).not.toMatch(/^\(node:\d+\)/m);
    expect(stderr).not.toContain('--trace-warnings');
  });
});
