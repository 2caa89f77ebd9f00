import type { InstanceAws } from '../aws/aws-ports.js';
import { AGENT_USER } from './paths.js';
import type { BootPorts } from './ports.js';

/**
 * `agent.gitMirrorSeedBucket`: fills the git mirror directory at first boot, so the first job of a big repository
 * does not clone it from scratch. Layout: `s3://<bucket>/git-mirror-seeds/<mirror>.tar` (or `.tar.gz` / `.tgz`), an
 * archive holding exactly one top-level directory `<mirror>/`, a bare mirror as `buildkite-agent` makes it (with `HEAD`
 * and `objects/`); `<mirror>` is the directory name under `paths.gitMirrors` (the agent names mirrors after the
 * repository URL, e.g. `https---github-com-acme-app-git`).
 *
 * Mirrors are a cache: a seed that cannot be listed, downloaded, extracted or checked is logged as an error and skipped,
 * and the boot goes on (the agent clones what is missing). A mirror that already exists is never replaced.
 */
export const GIT_MIRROR_SEED_PREFIX = 'git-mirror-seeds/';
/** Seeds are extracted by root at boot: long enough for a large repository, bounded so a boot cannot hang. */
export const GIT_MIRROR_SEED_TIMEOUT_MS = 15 * 60_000;

const SEED_KEY = /^git-mirror-seeds\/([A-Za-z0-9][A-Za-z0-9._-]{0,199}?)\.(tar|tar\.gz|tgz)$/;

export interface GitMirrorSeed {
  readonly key: string;
  /** Directory name under the git mirror path. */
  readonly mirror: string;
  readonly gzip: boolean;
}

/** Which keys are seeds (others, e.g. in sub-folders or `.zip`, are skipped), and which mirrors still need one. */
export function planGitMirrorSeeds(
  keys: readonly string[],
  existingMirrors: ReadonlySet<string>,
): { seeds: GitMirrorSeed[]; skipped: string[] } {
  const seeds: GitMirrorSeed[] = [];
  const skipped: string[] = [];
  const planned = new Set<string>();
  for (const key of [...keys].sort()) {
    if (key === GIT_MIRROR_SEED_PREFIX) continue;
    const match = SEED_KEY.exec(key);
    const mirror = match?.[1];
    if (match === null || mirror === undefined) {
      skipped.push(`${key}: not <mirror>.tar, .tar.gz or .tgz directly under ${GIT_MIRROR_SEED_PREFIX}`);
    } else if (existingMirrors.has(mirror)) {
      skipped.push(`${key}: mirror ${mirror} already exists`);
    } else if (planned.has(mirror)) {
      skipped.push(`${key}: another archive already seeds ${mirror}`);
    } else {
      planned.add(mirror);
      seeds.push({ key, mirror, gzip: match[2] !== 'tar' });
    }
  }
  return { seeds, skipped };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

class GitMirrorSeedError extends Error {
  override name = 'GitMirrorSeedError';
}

async function seedOne(
  seed: GitMirrorSeed,
  input: { bucket: string; mirrorsDir: string; aws: InstanceAws; ports: BootPorts },
): Promise<void> {
  const { ports, mirrorsDir } = input;
  const staging = `${mirrorsDir}/.seed-${seed.mirror}`;
  const archive = `${staging}.archive`;
  try {
    await ports.fs.removeTree(staging);
    await ports.fs.remove(archive);
    await ports.fs.mkdir(staging);
    await input.aws.downloadS3Object(input.bucket, seed.key, archive);
    // GNU tar refuses members with `..` and strips a leading `/`; ownership comes from the chown below.
    await ports.commands.run(
      'tar',
      ['--extract', ...(seed.gzip ? ['--gzip'] : []), '--no-same-owner', '--file', archive, '--directory', staging],
      { timeoutMs: GIT_MIRROR_SEED_TIMEOUT_MS },
    );
    const entries = await ports.fs.listDir(staging);
    const mirror = `${staging}/${seed.mirror}`;
    if (entries.length !== 1 || entries[0] !== seed.mirror || (await ports.fs.kindOf(mirror)) !== 'directory') {
      throw new GitMirrorSeedError(`the archive must hold exactly one directory, ${seed.mirror}/`);
    }
    if (
      (await ports.fs.kindOf(`${mirror}/HEAD`)) !== 'file' ||
      (await ports.fs.kindOf(`${mirror}/objects`)) !== 'directory'
    ) {
      throw new GitMirrorSeedError(`${seed.mirror}/ is not a git mirror (no HEAD file or objects/ directory)`);
    }
    await ports.fs.rename(mirror, `${mirrorsDir}/${seed.mirror}`);
    // -h with -R (physical walk): symlinks in the mirror are changed themselves, never followed.
    await ports.commands.run('chown', ['-hR', `${AGENT_USER}:${AGENT_USER}`, `${mirrorsDir}/${seed.mirror}`], {
      timeoutMs: GIT_MIRROR_SEED_TIMEOUT_MS,
    });
  } finally {
    await ports.fs.removeTree(staging).catch(() => {});
    await ports.fs.remove(archive).catch(() => {});
  }
}

/** Never throws: every failure is logged and the boot goes on. Resolves to the mirrors seeded. */
export async function seedGitMirrors(input: {
  readonly bucket: string;
  /** The git mirror directory, root included; it exists (the boot made it). */
  readonly mirrorsDir: string;
  readonly aws: InstanceAws;
  readonly ports: BootPorts;
}): Promise<string[]> {
  const { ports, bucket } = input;
  let keys: string[];
  let existing: string[];
  try {
    keys = await input.aws.listS3Keys(bucket, GIT_MIRROR_SEED_PREFIX);
    existing = await ports.fs.listDir(input.mirrorsDir);
  } catch (error) {
    ports.log.error('git mirror seeds skipped: could not list them (the agent clones instead)', {
      bucket,
      error: describe(error),
    });
    return [];
  }
  const { seeds, skipped } = planGitMirrorSeeds(keys, new Set(existing));
  for (const reason of skipped) ports.log.info(`git mirror seed skipped: ${reason}`);
  const seeded: string[] = [];
  for (const seed of seeds) {
    try {
      await seedOne(seed, input);
      seeded.push(seed.mirror);
      ports.log.info('git mirror seeded', { mirror: seed.mirror, from: `s3://${bucket}/${seed.key}` });
    } catch (error) {
      ports.log.error('git mirror seed failed; the agent clones this mirror instead', {
        from: `s3://${bucket}/${seed.key}`,
        error: describe(error),
      });
    }
  }
  return seeded;
}
