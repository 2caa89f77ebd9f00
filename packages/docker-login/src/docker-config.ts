import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { DockerConfigFileError } from './errors';
import { acquireFileLock, type FileLockOptions, type FileLockPorts, systemLockPorts } from './file-lock';

/**
 * The parts of Docker's `config.json` this helper reads and writes. Every other key (and every unknown field inside
 * an `auths` entry of another registry) passes through untouched.
 */
const dockerConfigSchema = z.looseObject({
  auths: z.optional(z.record(z.string(), z.looseObject({}))),
  credHelpers: z.optional(z.record(z.string(), z.string())),
  credsStore: z.optional(z.string()),
});

export type DockerConfig = z.infer<typeof dockerConfigSchema>;

/** One `auths` entry to write: `auth` is base64 of `username:password`, exactly what `docker login` stores. */
export interface RegistryAuth {
  key: string;
  auth: string;
}

export const CONFIG_FILE_NAME = 'config.json';
const LOCK_FILE_NAME = 'config.json.lock';
const STATE_FILE_NAME = 'elastic-ci-docker-login.json';

/** Parses config.json text. Throws {@link DockerConfigFileError} (never echoing the content: it holds secrets). */
export function parseDockerConfig(text: string, path: string): DockerConfig {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DockerConfigFileError(`invalid JSON in Docker config file ${path}: fix or delete it`, path, {
      cause: error,
    });
  }
  const result = dockerConfigSchema.safeParse(value);
  if (!result.success) {
    const fields = result.error.issues.map((issue) => issue.path.join('.') || '(top level)').join(', ');
    throw new DockerConfigFileError(
      `unexpected shape of Docker config file ${path} at ${fields}: fix or delete it`,
      path,
    );
  }
  return result.data;
}

export function serializeDockerConfig(config: DockerConfig): string {
  return `${JSON.stringify(config, null, '\t')}\n`;
}

/**
 * Adds or replaces `auths` entries. A `credHelpers` entry for the same registry is removed, because Docker consults
 * a credential helper before `auths` and would otherwise ignore the credentials just written.
 */
export function withRegistryAuths(config: DockerConfig, entries: readonly RegistryAuth[]): DockerConfig {
  const auths = { ...config.auths };
  const credHelpers = { ...config.credHelpers };
  for (const entry of entries) {
    auths[entry.key] = { auth: entry.auth };
    delete credHelpers[entry.key];
  }
  const next: DockerConfig = { ...config, auths };
  if (config.credHelpers !== undefined) next.credHelpers = credHelpers;
  return next;
}

/** Points each registry at a credential helper (`"ecr-login"` → `docker-credential-ecr-login`). */
export function withCredentialHelpers(config: DockerConfig, keys: readonly string[], helper: string): DockerConfig {
  const credHelpers = { ...config.credHelpers };
  for (const key of keys) credHelpers[key] = helper;
  return { ...config, credHelpers };
}

/** Removes the given registries from `auths` and `credHelpers` (what `docker logout` does), keeping the rest. */
export function withoutRegistries(config: DockerConfig, keys: readonly string[]): DockerConfig {
  const next: DockerConfig = { ...config };
  if (config.auths !== undefined) {
    const auths = { ...config.auths };
    for (const key of keys) delete auths[key];
    next.auths = auths;
  }
  if (config.credHelpers !== undefined) {
    const credHelpers = { ...config.credHelpers };
    for (const key of keys) delete credHelpers[key];
    next.credHelpers = credHelpers;
  }
  return next;
}

/**
 * The warning for a config whose `credsStore` hides `auths` entries just written: Docker asks that store, not `auths`,
 * for every registry without a `credHelpers` entry. Undefined when nothing is hidden.
 */
export function credsStoreWarning(directory: string, config: DockerConfig): string | undefined {
  if (config.credsStore === undefined) return undefined;
  return (
    `Note: ${directory}/config.json sets credsStore "${config.credsStore}", which Docker consults` +
    ' before auths; remove it or use --docker-login'
  );
}

/**
 * What this helper did in a config directory, so `logout` undoes exactly that: the registries it wrote (config.json
 * keys) and, of those, the servers it handed to `docker login` (`--docker-login`), whose credentials Docker may keep in
 * a credential store that only `docker logout` empties.
 */
const stateSchema = z.object({
  registries: z.array(z.string()),
  dockerLogins: z.optional(z.array(z.string())),
  users: z.optional(z.record(z.string(), z.array(z.string()))),
});

interface LoginState {
  registries: string[];
  /** Server arguments given to `docker login` ('' for Docker Hub), as `docker logout` takes them back. */
  dockerLogins: string[];
  /**
   * Per registry, the jobs (`BUILDKITE_JOB_ID`) that logged in to it and have not logged out yet: jobs of several
   * agents on one host may share a config directory, and one job's logout must not remove what another still uses.
   */
  users: Record<string, string[]>;
}

/** Writes a file so readers see either the old or the new content: temp file (mode 0600) in the same dir, then rename. */
export async function writeFileAtomically(path: string, content: string): Promise<void> {
  const temporaryPath = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temporaryPath, 'wx', 0o600);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporaryPath, path);
  } catch (error) {
    await rm(temporaryPath, { force: true });
    throw new DockerConfigFileError(`cannot write ${path}`, path, { cause: error });
  }
}

async function readOptionalFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DockerConfigFileError(`cannot read ${path}`, path, { cause: error });
  }
}

async function readState(directory: string): Promise<LoginState> {
  const path = join(directory, STATE_FILE_NAME);
  const text = await readOptionalFile(path);
  const empty = { registries: [], dockerLogins: [], users: {} };
  if (text === undefined) return empty;
  try {
    const parsed = stateSchema.safeParse(JSON.parse(text));
    return parsed.success
      ? {
          registries: parsed.data.registries,
          dockerLogins: parsed.data.dockerLogins ?? [],
          users: parsed.data.users ?? {},
        }
      : empty;
  } catch {
    return empty;
  }
}

/** Records and forgets logins in the state file; runs under the directory's lock. */
async function updateState(directory: string, update: LoginStateUpdate, state?: LoginState): Promise<void> {
  const current = state ?? (await readState(directory));
  const forget = new Set(update.forget ?? []);
  const forgetDockerLogins = new Set(update.forgetDockerLogins ?? []);
  const users = { ...current.users };
  if (update.job !== undefined) {
    for (const key of update.remember ?? []) users[key] = [...new Set([...(users[key] ?? []), update.job])];
  }
  for (const key of forget) delete users[key];
  const next: LoginState = {
    registries: [...new Set([...current.registries, ...(update.remember ?? [])])].filter((key) => !forget.has(key)),
    dockerLogins: [...new Set([...current.dockerLogins, ...(update.rememberDockerLogins ?? [])])].filter(
      (server) => !forgetDockerLogins.has(server),
    ),
    users,
  };
  await writeFileAtomically(join(directory, STATE_FILE_NAME), `${JSON.stringify(next)}\n`);
}

export interface LoginStateUpdate {
  /** Registries to remember as written by this helper (for `logout`). */
  remember?: readonly string[];
  /** Registries to forget (after `logout` removed them). */
  forget?: readonly string[];
  /** Servers given to `docker login`, for `logout` to hand to `docker logout`. */
  rememberDockerLogins?: readonly string[];
  /** Servers `docker logout` has logged out of. */
  forgetDockerLogins?: readonly string[];
  /** The job (`BUILDKITE_JOB_ID`) the remembered registries are recorded for, when known. */
  job?: string | undefined;
}

export interface DockerConfigUpdate extends Pick<LoginStateUpdate, 'remember' | 'forget' | 'job'> {
  /** Returns the new config. Runs under the directory's lock, with the current content. */
  change: (config: DockerConfig) => DockerConfig;
}

/**
 * Read-modify-write of `<directory>/config.json` under a lock file, written atomically with mode 0600. Creates the
 * directory (mode 0700) when missing. Returns the config as written.
 */
export async function updateDockerConfigFile(
  directory: string,
  update: DockerConfigUpdate,
  lockOptions: FileLockOptions = {},
  lockPorts: FileLockPorts = systemLockPorts,
): Promise<DockerConfig> {
  return underDirectoryLock(directory, lockOptions, lockPorts, async () => {
    const path = join(directory, CONFIG_FILE_NAME);
    const current = parseDockerConfig((await readOptionalFile(path)) ?? '', path);
    const next = update.change(current);
    await writeFileAtomically(path, serializeDockerConfig(next));
    if (update.remember !== undefined || update.forget !== undefined) {
      await updateState(directory, { remember: update.remember ?? [], forget: update.forget ?? [], job: update.job });
    }
    return next;
  });
}

/**
 * Records or forgets logins without touching config.json (`docker login` and `docker logout` write that themselves),
 * under the same lock as {@link updateDockerConfigFile}.
 */
export async function updateLoginState(
  directory: string,
  update: LoginStateUpdate,
  lockOptions: FileLockOptions = {},
  lockPorts: FileLockPorts = systemLockPorts,
): Promise<void> {
  await underDirectoryLock(directory, lockOptions, lockPorts, () => updateState(directory, update));
}

/** Runs `body` under the lock of the Docker config directory, creating the directory (mode 0700) when missing. */
async function underDirectoryLock<T>(
  directory: string,
  lockOptions: FileLockOptions,
  lockPorts: FileLockPorts,
  body: () => Promise<T>,
): Promise<T> {
  await mkdir(directory, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
    throw new DockerConfigFileError(`cannot create Docker config directory ${directory}`, directory, { cause: error });
  });
  const release = await acquireFileLock(join(directory, LOCK_FILE_NAME), lockOptions, lockPorts);
  try {
    return await body();
  } finally {
    await release();
  }
}

/**
 * One job's logout, under the lock: takes `job` off each of `keys` and removes from config.json (and forgets) every key
 * no other job still uses. Without a job id every key is removed, as before jobs were recorded.
 */
export async function releaseRegistries(
  directory: string,
  keys: readonly string[],
  job: string | undefined,
  lockOptions: FileLockOptions = {},
  lockPorts: FileLockPorts = systemLockPorts,
): Promise<{ removed: string[]; kept: string[] }> {
  const release = await acquireFileLock(join(directory, LOCK_FILE_NAME), lockOptions, lockPorts);
  try {
    const state = await readState(directory);
    const otherUsers = (key: string) => (state.users[key] ?? []).filter((user) => user !== job);
    const kept = job === undefined ? [] : keys.filter((key) => otherUsers(key).length > 0);
    const removed = keys.filter((key) => !kept.includes(key));
    const path = join(directory, CONFIG_FILE_NAME);
    const text = await readOptionalFile(path);
    if (text !== undefined) {
      await writeFileAtomically(path, serializeDockerConfig(withoutRegistries(parseDockerConfig(text, path), removed)));
    }
    const users = { ...state.users };
    for (const key of kept) users[key] = otherUsers(key);
    await updateState(directory, { forget: removed }, { ...state, users });
    return { removed, kept };
  } finally {
    await release();
  }
}

/** Registries a previous run of this helper wrote into `directory`. */
export async function rememberedRegistries(directory: string): Promise<string[]> {
  return (await readState(directory)).registries;
}

/** Servers a previous run of this helper handed to `docker login` for `directory`. */
export async function rememberedDockerLogins(directory: string): Promise<string[]> {
  return (await readState(directory)).dockerLogins;
}

/** Marks a directory `env` created, so `logout` only ever deletes directories this helper made. */
export const TEMPORARY_DIRECTORY_MARKER = '.elastic-ci-docker-login-temporary';
