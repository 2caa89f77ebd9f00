import { lstat, mkdir, mkdtemp, realpath, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderStackEnv } from '../boot/env-files.js';
import { bootContractSchema } from '../boot-contract.js';
import { runCli } from '../cli.js';
import { recordingLogger } from '../protection/test-fakes.js';
import { type CommandRunner, spawnCommandRunner } from '../terminate/command-runner.js';
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
  // Real path: the build path may not lead through a symlink (a temporary directory could).
  scratch = await realpath(await mkdtemp(join(tmpdir(), 'fix-build-permissions-')));
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
    const chown = ['chown', '-R', '-P', '-h', 'buildkite-agent:buildkite-agent', '--', '.'];
    expect(calls).toEqual([chown, chown]);
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

describe('fixBuildPermissions against a path swapped between check and chown', () => {
  /**
   * What a chown run would change: the directory its last argument names, resolved (every symlink followed) from its
   * working directory at the moment it starts — recorded while the descriptor it may work through is still open.
   */
  function chownTargetRecorder() {
    const targets: string[] = [];
    const calls: Array<{ args: readonly string[]; cwd: string | undefined }> = [];
    const runner: CommandRunner = async (program, args, options) => {
      expect(program).toBe('chown');
      calls.push({ args, cwd: options?.cwd });
      targets.push(await realpath(resolve(options?.cwd ?? '/', args.at(-1) as string)));
      return { exitCode: 0, stdout: '', stderr: '' };
    };
    return { targets, calls, runner };
  }

  /** Runs the fix on agent-1/acme/web with `swap` between the check and the open: refused, nothing chowned. */
  async function expectRefusedWhenSwappedAfterCheck(swap: () => Promise<void>): Promise<void> {
    const { calls, runner } = chownTargetRecorder();
    await expect(
      fixBuildPermissions(
        { buildsDir: builds, checkout: join(builds, 'agent-1/acme/web') },
        { runner, log: recordingLogger(), afterCheck: swap },
      ),
    ).rejects.toThrow(/changed while it was checked/);
    expect(calls).toEqual([]);
  }

  it('chowns the checked directory, not what a swapped-in symlink points to', async () => {
    // The build user's move: after the check, `acme` (a directory it owns) becomes a symlink to a directory outside
    // the build path that has a `web` inside, so the checked path now leads out.
    await mkdir(join(scratch, 'etc/web'), { recursive: true });
    const { targets, runner } = chownTargetRecorder();
    const swap = async () => {
      await rename(join(builds, 'agent-1/acme'), join(builds, 'agent-1/acme-moved'));
      await symlink(join(scratch, 'etc'), join(builds, 'agent-1/acme'));
    };
    const status = await fixBuildPermissions(
      { buildsDir: builds, checkout: join(builds, 'agent-1/acme/web') },
      { runner, log: recordingLogger(), beforeChown: swap },
    );
    expect(status).toBe(0);
    // Exactly the directory that was checked (wherever it now is), inside the build path; nothing under etc.
    expect(targets).toEqual([await realpath(join(builds, 'agent-1/acme-moved/web'))]);
    expect(targets.every((target) => target.startsWith(`${builds}/`))).toBe(true);
  });

  it('refuses when a component became a symlink between the check and the open, and chowns nothing', async () => {
    await mkdir(join(scratch, 'etc/web'), { recursive: true });
    await expectRefusedWhenSwappedAfterCheck(async () => {
      await rename(join(builds, 'agent-1/acme'), join(builds, 'agent-1/acme-moved'));
      await symlink(join(scratch, 'etc'), join(builds, 'agent-1/acme'));
    });
  });

  it('chowns the real directory behind a symlink that stays inside the build path', async () => {
    const { targets, runner } = chownTargetRecorder();
    await fixBuildPermissions(
      { buildsDir: builds, checkout: join(builds, 'agent-1/acme/alias') },
      { runner, log: recordingLogger() },
    );
    expect(targets).toEqual([await realpath(join(builds, 'agent-1/acme/web'))]);
  });

  it('refuses a build path that is (or became) a symlink: the build user owns the directory it lies in', async () => {
    // The move: buildkite-agent's home is the build user's, so it can replace builds/ by a symlink to `/`-like
    // territory; "inside the build path" would then be anywhere.
    await mkdir(join(scratch, 'etc/web'), { recursive: true });
    await rename(builds, `${builds}-moved`);
    await symlink(scratch, builds);
    const { calls, runner } = chownTargetRecorder();
    await expect(
      fixBuildPermissions({ buildsDir: builds, checkout: join(builds, 'etc/web') }, { runner, log: recordingLogger() }),
    ).rejects.toThrow(/build path leads through a symlink/);
    expect(calls).toEqual([]);
  });

  it('refuses when the build path itself is swapped for a symlink between the check and the open', async () => {
    await mkdir(join(scratch, 'elsewhere/agent-1/acme/web'), { recursive: true });
    await expectRefusedWhenSwappedAfterCheck(async () => {
      await rename(builds, `${builds}-moved`);
      await symlink(join(scratch, 'elsewhere'), builds);
    });
  });

  it('never follows a symlink below the checked directory (the recursive chown is physical)', async () => {
    const { calls, runner } = chownTargetRecorder();
    await fixBuildPermissions(
      { buildsDir: builds, checkout: join(builds, 'agent-1/acme/web') },
      { runner, log: recordingLogger() },
    );
    expect(calls).toHaveLength(1);
    const [flags] = [calls[0]?.args.slice(0, 3)];
    expect(flags).toEqual(['-R', '-P', '-h']);
  });

  it('really runs chown through the held descriptor (to the current user, so no root is needed)', async () => {
    const checkout = join(builds, 'agent-1/acme/web');
    await writeFile(join(checkout, 'output.txt'), 'built\n');
    await symlink(join(scratch, 'etc/secret-dir'), join(checkout, 'link-out'));
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    const log = recordingLogger();
    const status = await fixBuildPermissions(
      { buildsDir: builds, checkout, owner: `${uid}:${gid}` },
      { runner: spawnCommandRunner, log },
    );
    expect(status).toBe(0);
    expect(log.lines.join('\n')).not.toMatch(/chown failed/);
    expect((await stat(join(checkout, 'output.txt'))).uid).toBe(uid);
    expect((await lstat(join(checkout, 'link-out'))).isSymbolicLink()).toBe(true);
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
