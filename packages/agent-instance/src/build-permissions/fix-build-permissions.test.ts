import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderStackEnv } from '../boot/env-files.js';
import { bootContractSchema } from '../boot-contract.js';
import { runCli } from '../cli.js';
import { recordingLogger } from '../protection/test-fakes.js';
import type { CommandRunner } from '../terminate/command-runner.js';
import {
  BuildPermissionsRefusedError,
  checkCheckoutArgument,
  fixBuildPermissions,
  planBuildPermissions,
} from './fix-build-permissions.js';

const BUILDS = '/var/lib/buildkite-agent/builds';
let scratch: string;
let builds: string;
beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'fix-build-permissions-'));
  builds = join(scratch, BUILDS);
  await mkdir(join(builds, 'agent-1/acme/web'), { recursive: true });
  await mkdir(join(scratch, 'etc/secret-dir'), { recursive: true });
  await symlink(join(scratch, 'etc'), join(builds, 'agent-1/acme/escape'));
  await symlink(join(builds, 'agent-1/acme/web'), join(builds, 'agent-1/acme/alias'));
});
afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function recordingRunner(exitCode = 0) {
  const calls: string[][] = [];
  const runner: CommandRunner = async (program, args) => {
    calls.push([program, ...args]);
    return { exitCode, stdout: '', stderr: '' };
  };
  return { calls, runner };
}

describe('fixBuildPermissions', () => {
  it("chowns exactly the job's checkout, by its real path", async () => {
    const { calls, runner } = recordingRunner();
    const log = recordingLogger();
    expect(
      await fixBuildPermissions({ buildsDir: builds, checkout: join(builds, 'agent-1/acme/web') }, { runner, log }),
    ).toBe(0);
    expect(
      await fixBuildPermissions({ buildsDir: builds, checkout: join(builds, 'agent-1/acme/alias') }, { runner, log }),
    ).toBe(0);
    const web = join(builds, 'agent-1/acme/web');
    expect(calls).toEqual([
      ['chown', '-hR', 'buildkite-agent:buildkite-agent', '--', web],
      ['chown', '-hR', 'buildkite-agent:buildkite-agent', '--', web],
    ]);
  });

  it('refuses a symlink that leads out of the build path, and the build path itself', async () => {
    const { calls, runner } = recordingRunner();
    const log = recordingLogger();
    for (const checkout of [
      join(builds, 'agent-1/acme/escape'),
      join(builds, 'agent-1/acme/escape/secret-dir'),
      builds,
      scratch,
    ]) {
      await expect(fixBuildPermissions({ buildsDir: builds, checkout }, { runner, log })).rejects.toThrow(
        BuildPermissionsRefusedError,
      );
    }
    expect(calls).toEqual([]);
  });

  it('does nothing for a checkout that does not exist, and reports a failed chown', async () => {
    const { calls, runner } = recordingRunner();
    const log = recordingLogger();
    expect(await fixBuildPermissions({ buildsDir: builds, checkout: join(builds, 'gone') }, { runner, log })).toBe(0);
    expect(calls).toEqual([]);
    const failing = recordingRunner(1);
    expect(
      await fixBuildPermissions(
        { buildsDir: builds, checkout: join(builds, 'agent-1/acme/web') },
        { runner: failing.runner, log },
      ),
    ).toBe(1);
  });
});

describe('checkCheckoutArgument and planBuildPermissions', () => {
  it('refuses relative paths, . and .. segments and control characters', () => {
    for (const path of ['', 'builds/x', `${BUILDS}/../../../etc`, `${BUILDS}/./x`, `${BUILDS}/x\n`]) {
      expect(() => checkCheckoutArgument(path)).toThrow(BuildPermissionsRefusedError);
    }
    expect(() => checkCheckoutArgument(`${BUILDS}/agent-1/acme/web`)).not.toThrow();
  });

  it('plans a chown only for a directory strictly inside the build path', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', '..', 'builds', 'x.y'), { maxLength: 5 }), (segments) => {
        const real = join('/var/lib/buildkite-agent', ...segments);
        const inside = real.startsWith(`${BUILDS}/`);
        const plan = () =>
          planBuildPermissions({ realBuildsDir: BUILDS, realCheckout: real, checkoutIsDirectory: true });
        if (inside) expect(plan()).toMatchObject({ action: 'chown', directory: real });
        else expect(plan).toThrow(BuildPermissionsRefusedError);
      }),
    );
    expect(() =>
      planBuildPermissions({ realBuildsDir: BUILDS, realCheckout: `${BUILDS}/file`, checkoutIsDirectory: false }),
    ).toThrow(/not a directory/);
  });
});

describe('elastic-ci-instance fix-build-permissions', () => {
  async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
    let stderr = '';
    const status = await runCli(args, {
      env,
      stderr: (text) => {
        stderr += text;
      },
      stdout: () => {},
    });
    return { status, stderr };
  }

  it('exits 2 for a refused path: traversal, a symlink out of the build path, outside the build path', async () => {
    for (const path of [`${BUILDS}/../../../../etc`, `${BUILDS}/agent-1/acme/escape`, '/etc', 'relative']) {
      const { status, stderr } = await cli(['--root', scratch, 'fix-build-permissions', path]);
      expect(status).toBe(2);
      expect(stderr).toMatch(/refused: /);
    }
  });

  it('exits 2 without exactly one directory, and refuses --root when run through sudo', async () => {
    expect((await cli(['fix-build-permissions'])).status).toBe(2);
    expect((await cli(['fix-build-permissions', '/a', '/b'])).status).toBe(2);
    expect((await cli(['fix-build-permissions', '--json'])).status).toBe(2);
    const viaSudo = await cli(['--root', scratch, 'fix-build-permissions', `${BUILDS}/agent-1/acme/web`], {
      SUDO_UID: '2000',
    });
    expect(viaSudo.status).toBe(2);
    expect(viaSudo.stderr).toContain('--root is not allowed through sudo');
  });

  it('exits 0 when the checkout is already gone', async () => {
    expect((await cli(['--root', scratch, 'fix-build-permissions', `${BUILDS}/agent-1/acme/gone`])).status).toBe(0);
  });
});

describe('the setting the pre-exit hook reads', () => {
  it('agent.env carries docker.userNamespaceRemap as DOCKER_USERNS_REMAP="true"/"false", the form the hook matches', () => {
    const contract = (userNamespaceRemap: boolean) =>
      bootContractSchema.parse({
        version: 1,
        stack: { name: 'ci', region: 'eu-west-1', version: '1' },
        agent: { token: { kind: 'ssm-parameter', name: '/t' } },
        docker: { userNamespaceRemap },
      });
    expect(renderStackEnv(contract(false), 'i-1').split('\n')).toContain('DOCKER_USERNS_REMAP="false"');
    expect(renderStackEnv(contract(true), 'i-1').split('\n')).toContain('DOCKER_USERNS_REMAP="true"');
  });
});
