import type { InstanceAws, InstanceAwsOptions } from '../aws/aws-ports.js';
import type { Clock } from '../aws/clock.js';
import type { InstanceMetadata } from '../aws/imds-client.js';
import type { Logger } from '../logger.js';
import type { DockerImages } from './image-pre-pull.js';

export interface WriteOptions {
  /** File mode, set when the file is created (a secret is never readable by others, not even briefly). */
  readonly mode: number;
  readonly owner?: { readonly uid: number; readonly gid: number } | undefined;
}

/** The file system the boot touches. Paths are absolute and already carry the scratch root. */
export interface BootFileSystem {
  /** File content, or `undefined` when it does not exist. */
  readText(path: string): Promise<string | undefined>;
  /** Writes atomically (temporary file + rename), creating parent directories. */
  writeFile(path: string, content: string, options: WriteOptions): Promise<void>;
  mkdir(path: string, owner?: WriteOptions['owner']): Promise<void>;
  remove(path: string): Promise<void>;
  /** Removes a directory tree (symlinks removed, never followed); nothing when absent. */
  removeTree(path: string): Promise<void>;
  /** What is at the path (symlinks not followed), or `undefined`. */
  kindOf(path: string): Promise<'file' | 'directory' | 'other' | undefined>;
  /** Entry names of a directory; `[]` when absent. */
  listDir(path: string): Promise<string[]>;
  rename(from: string, to: string): Promise<void>;
  /** Entries of a directory of symlinks (`/dev/disk/by-id`): name and resolved target; `[]` when absent. */
  listLinks(path: string): Promise<Array<{ name: string; target: string }>>;
  isMountPoint(path: string): Promise<boolean>;
}

export class CommandFailedError extends Error {
  override name = 'CommandFailedError';
}

/** Runs programs (no shell). Rejects with `CommandFailedError` on a non-zero exit, a signal or the timeout. */
export interface CommandRunner {
  run(
    command: string,
    args: readonly string[],
    options?: { readonly timeoutMs?: number; readonly env?: Readonly<Record<string, string>> },
  ): Promise<void>;
}

export interface BootPorts {
  readonly fs: BootFileSystem;
  readonly commands: CommandRunner;
  readonly docker: DockerImages;
  readonly metadata: InstanceMetadata;
  /**
   * AWS in the contract's region (created after the contract is read); its Auto Scaling writes go through the
   * instance broker when `instanceBrokerUrl` is given.
   */
  readonly aws: (region: string, options?: InstanceAwsOptions) => InstanceAws;
  readonly httpsGet: (url: string) => Promise<string>;
  readonly clock: Clock;
  readonly log: Logger;
}
