import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Script, constants as vmConstants } from 'node:vm';

/** Where compiled code is kept between runs: per user, never shared (a cache is code the next run executes). */
export function compileCacheDirectory(environment: NodeJS.ProcessEnv): string | undefined {
  if (environment.S3SECRETS_COMPILE_CACHE === '0') return undefined;
  const base = environment.XDG_CACHE_HOME || (environment.HOME ? join(environment.HOME, '.cache') : undefined);
  return base ? join(base, 's3secrets') : undefined;
}

/** True only for a directory this user owns that nobody else may write to. */
function isPrivateDirectory(directory: string): boolean {
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const stats = statSync(directory);
    return stats.isDirectory() && stats.uid === process.getuid?.() && (stats.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/**
 * Runs a CommonJS bundle through `vm.Script` with a V8 code cache, so later runs skip parsing and compiling it
 * (Node 20 has no built-in compile cache for user code). The cache file is keyed by the bundle file's identity and
 * the Node version, and skipped whenever it cannot be private. Call `persistCache` at exit: the cache then also holds
 * every function the run compiled lazily. It writes atomically, and only when the cache was absent or rejected.
 */
export function runCachedCommonJs(file: string, cacheDirectory: string | undefined): { persistCache(): void } {
  const source = readFileSync(file, 'utf8');
  // V8 only checks a cache against the source *length*, so the name must change with the content: inode, size and
  // modification time do (a rebuilt or reinstalled bundle is a new file), without hashing 600 KB on every start.
  const bundle = statSync(file);
  const cacheFile =
    cacheDirectory && isPrivateDirectory(cacheDirectory)
      ? join(
          cacheDirectory,
          `s3secrets-${bundle.ino}-${bundle.size}-${Math.trunc(bundle.mtimeMs)}-${process.version}-${process.arch}.v8cache`,
        )
      : undefined;
  let cachedData: Buffer | undefined;
  if (cacheFile) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      cachedData = undefined;
    }
  }
  const wrapper = '(function (exports, require, module, __filename, __dirname) {';
  const script = new Script(`${wrapper}${source}\n})`, {
    filename: file,
    // The bundled SDK keeps a few real `import()` calls (node:http); resolve them like any main-context module.
    importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    ...(cachedData ? { cachedData } : {}),
  });
  const needsWrite = cacheFile !== undefined && (!cachedData || script.cachedDataRejected === true);
  const persistCache = () => {
    if (!needsWrite) return;
    try {
      const temporary = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
      renameSync(temporary, cacheFile);
    } catch {
      // A cache is an optimisation: never fail the command for it.
    }
  };
  const module = { exports: {} };
  const run = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: unknown,
    filename: string,
    dirname: string,
  ) => void;
  run.call(module.exports, module.exports, createRequire(file), module, file, join(file, '..'));
  return { persistCache };
}
