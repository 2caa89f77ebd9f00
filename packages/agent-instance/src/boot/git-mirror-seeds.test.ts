import { describe, expect, it } from 'vitest';
import { createFakeBootPorts, type FakeFile } from './fake-boot-ports.js';
import { planGitMirrorSeeds } from './git-mirror-seeds.js';
import { runBoot } from './run-boot.js';

const CONTRACT = '/etc/elastic-ci/boot-contract.json';
const MIRRORS = '/var/lib/buildkite-agent/git-mirrors';
const APP = 'https---github-com-acme-app-git';
const LIB = 'https---github-com-acme-lib-git';

const contract = (agent: object) =>
  JSON.stringify({
    version: 1,
    stack: { name: 'ci', region: 'eu-west-1', version: '2.0.0' },
    agent: { token: { kind: 'ssm-parameter', name: '/ci/token' }, ...agent },
  });

const file = (content = ''): FakeFile => ({ content, mode: 0o644, owner: undefined });

/** What `tar --extract --file <archive> --directory <staging>` leaves: the archive's "content" lists its files. */
function playTar(command: string, args: readonly string[], files: Map<string, FakeFile>) {
  if (command !== 'tar') return;
  const archive = args[args.indexOf('--file') + 1] as string;
  const staging = args[args.indexOf('--directory') + 1] as string;
  for (const path of (files.get(archive)?.content ?? '').split(' ').filter(Boolean)) {
    files.set(`${staging}/${path}`, file());
  }
}

function setUp(options: { agent?: object; s3?: Record<string, string>; failCommand?: (c: string) => boolean } = {}) {
  return createFakeBootPorts({
    files: {
      [CONTRACT]: contract(options.agent ?? { gitMirrorsEnabled: true, gitMirrorSeedBucket: 'ci-seeds' }),
      '/etc/passwd': 'buildkite-agent:x:2000:2001::/var/lib/buildkite-agent:/bin/bash\n',
    },
    parameters: { '/ci/token': 'bkua_token' },
    s3: options.s3 ?? {},
    onCommand: (command, args, files) => playTar(command, args, files),
    failCommand: (command) => options.failCommand?.(command) ?? false,
  });
}

describe('seeding git mirrors at boot', () => {
  it('downloads each seed, extracts it with tar, checks it is a mirror, moves it in and hands it to buildkite-agent', async () => {
    const fake = setUp({
      s3: {
        [`ci-seeds/git-mirror-seeds/${APP}.tar`]: `${APP}/HEAD ${APP}/objects/pack/p.pack`,
        [`ci-seeds/git-mirror-seeds/${LIB}.tar.gz`]: `${LIB}/HEAD ${LIB}/objects/ab/cdef`,
      },
    });
    expect(await runBoot({ contractPath: CONTRACT, root: '' }, fake.ports)).toMatchObject({ status: 'agent-started' });
    expect(fake.awsCalls.filter((call) => !call.startsWith('getParameter '))).toEqual([
      'listS3Keys ci-seeds/git-mirror-seeds/',
      `downloadS3Object ci-seeds/git-mirror-seeds/${APP}.tar ${MIRRORS}/.seed-${APP}.archive`,
      `downloadS3Object ci-seeds/git-mirror-seeds/${LIB}.tar.gz ${MIRRORS}/.seed-${LIB}.archive`,
    ]);
    const seedCommands = fake.commands.filter((command) => /^(tar|chown) /.test(command));
    expect(seedCommands).toEqual([
      `tar --extract --no-same-owner --file ${MIRRORS}/.seed-${APP}.archive --directory ${MIRRORS}/.seed-${APP}`,
      `chown -hR buildkite-agent:buildkite-agent ${MIRRORS}/${APP}`,
      `tar --extract --gzip --no-same-owner --file ${MIRRORS}/.seed-${LIB}.archive --directory ${MIRRORS}/.seed-${LIB}`,
      `chown -hR buildkite-agent:buildkite-agent ${MIRRORS}/${LIB}`,
    ]);
    // Seeded before the agent starts.
    expect(fake.commands.indexOf(seedCommands[3] as string)).toBeLessThan(
      fake.commands.indexOf('systemctl start buildkite-agent.service'),
    );
    expect(fake.files.has(`${MIRRORS}/${APP}/HEAD`)).toBe(true);
    expect(fake.files.has(`${MIRRORS}/${LIB}/objects/ab/cdef`)).toBe(true);
    // Staging and archives are gone.
    expect([...fake.files.keys()].filter((path) => path.includes('.seed-'))).toEqual([]);
  });

  it('a seed that is not a mirror, or whose tar fails, is logged and skipped; the boot still starts the agent', async () => {
    const fake = setUp({
      s3: {
        [`ci-seeds/git-mirror-seeds/${APP}.tar`]: `${APP}/README`,
        [`ci-seeds/git-mirror-seeds/${LIB}.tar`]: `other-dir/HEAD other-dir/objects/x`,
      },
    });
    expect(await runBoot({ contractPath: CONTRACT, root: '' }, fake.ports)).toMatchObject({ status: 'agent-started' });
    expect(fake.files.has(`${MIRRORS}/${APP}/README`)).toBe(false);
    expect(fake.files.has(`${MIRRORS}/other-dir/HEAD`)).toBe(false);
    const errors = fake.logLines.filter((line) => line.includes('git mirror seed failed'));
    expect(errors).toHaveLength(2);
    expect(errors.join('')).toContain('is not a git mirror');
    expect(errors.join('')).toContain(`exactly one directory, ${LIB}/`);
    expect(fake.unhealthy).toEqual([]);

    const tarFails = setUp({
      s3: { [`ci-seeds/git-mirror-seeds/${APP}.tar`]: `${APP}/HEAD` },
      failCommand: (command) => command === 'tar',
    });
    expect(await runBoot({ contractPath: CONTRACT, root: '' }, tarFails.ports)).toMatchObject({
      status: 'agent-started',
    });
    expect(tarFails.logLines.some((line) => line.includes('CommandFailedError: tar exited'))).toBe(true);
    expect(tarFails.commands.some((command) => command.startsWith('chown'))).toBe(false);
  });

  it('does nothing without a seed bucket', async () => {
    const fake = setUp({ agent: { gitMirrorsEnabled: true } });
    await runBoot({ contractPath: CONTRACT, root: '' }, fake.ports);
    expect(fake.awsCalls.some((call) => call.startsWith('listS3Keys'))).toBe(false);
  });
});

describe('planGitMirrorSeeds', () => {
  it('keeps archives directly under the prefix, skips existing mirrors, sub-folders, zips and odd names', () => {
    const { seeds, skipped } = planGitMirrorSeeds(
      [
        'git-mirror-seeds/',
        'git-mirror-seeds/a.tar',
        'git-mirror-seeds/b.tgz',
        'git-mirror-seeds/b.tar',
        'git-mirror-seeds/exists.tar',
        'git-mirror-seeds/nested/c.tar',
        'git-mirror-seeds/d.zip',
        'git-mirror-seeds/..tar',
        'git-mirror-seeds/.hidden.tar',
      ],
      new Set(['exists']),
    );
    expect(seeds).toEqual([
      { key: 'git-mirror-seeds/a.tar', mirror: 'a', gzip: false },
      { key: 'git-mirror-seeds/b.tar', mirror: 'b', gzip: false },
    ]);
    expect(skipped).toHaveLength(6);
    expect(skipped).toContain('git-mirror-seeds/exists.tar: mirror exists already exists');
    expect(skipped).toContain('git-mirror-seeds/b.tgz: another archive already seeds b');
  });
});
