import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, lstat, mkdir, open, readdir, readFile, readlink, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type BootFileSystem, CommandFailedError, type CommandRunner } from './ports.js';

const isMissing = (error: unknown) => (error as { code?: unknown }).code === 'ENOENT';

export const nodeFileSystem: BootFileSystem = {
  async readText(path) {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  },
  async writeFile(path, content, options) {
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    // Created with its final mode (wx: never follows or reuses an existing file), owned before it is renamed in.
    const handle = await open(temporary, 'wx', options.mode);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.chmod(options.mode);
      if (options.owner !== undefined) await handle.chown(options.owner.uid, options.owner.gid);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  },
  async mkdir(path, owner) {
    await mkdir(path, { recursive: true });
    if (owner !== undefined) await chown(path, owner.uid, owner.gid);
  },
  async remove(path) {
    await rm(path, { force: true });
  },
  async removeTree(path) {
    await rm(path, { recursive: true, force: true });
  },
  async kindOf(path) {
    try {
      const stats = await lstat(path);
      return stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'other';
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  },
  async listDir(path) {
    try {
      return (await readdir(path)).sort();
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  },
  async rename(from, to) {
    await rename(from, to);
  },
  async listLinks(path) {
    let names: string[];
    try {
      names = await readdir(path);
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    return Promise.all(
      names.map(async (name) => ({ name, target: resolve(path, await readlink(resolve(path, name))) })),
    );
  },
  async isMountPoint(path) {
    const mounts = await readFile('/proc/self/mounts', 'utf8').catch(() => '');
    return mounts.split('\n').some((line) => line.split(' ')[1] === path);
  },
};

/**
 * Runs programs without a shell, their output going to our stderr (cloud-init's log, the journal). Found on PATH,
 * which is how tests put recording stand-ins for systemctl, mdadm, … in front.
 */
export const nodeCommandRunner: CommandRunner = {
  run(command, args, options) {
    return new Promise((resolvePromise, reject) => {
      const child = spawn(command, args, {
        stdio: ['ignore', process.stderr, process.stderr],
        ...(options?.env === undefined ? {} : { env: { ...process.env, ...options.env } }),
        timeout: options?.timeoutMs,
        killSignal: 'SIGKILL',
      });
      child.on('error', (error) =>
        reject(new CommandFailedError(`${command} could not be run: ${error.message}`, { cause: error })),
      );
      child.on('exit', (code, signal) => {
        if (code === 0) resolvePromise();
        else if (signal !== null) {
          reject(
            new CommandFailedError(
              `${command} was killed (${signal}${signal === 'SIGKILL' && options?.timeoutMs !== undefined ? `, timeout ${options.timeoutMs / 1000} s` : ''})`,
            ),
          );
        } else reject(new CommandFailedError(`${command} ${args[0] ?? ''} exited with status ${code}`));
      });
    });
  },
};

export class HttpsFetchError extends Error {
  override name = 'HttpsFetchError';
}

/** GET over https; the URL is never echoed (a presigned query is a credential). */
export async function httpsGet(url: string): Promise<string> {
  const response = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(60_000) });
  if (!response.ok) throw new HttpsFetchError(`https download answered HTTP ${response.status}`);
  return response.text();
}
