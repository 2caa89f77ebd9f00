/** What `fs.statfs` reports that the check needs. */
export interface FileSystemStats {
  /** Block size in bytes. */
  readonly bsize: number;
  /** Blocks available to unprivileged users (what a job can still write). */
  readonly bavail: number;
  /** Inodes in all; 0 on file systems without a fixed inode table (btrfs): the inode check is then skipped. */
  readonly files: number;
  readonly ffree: number;
}

export interface DiskThresholds {
  /** `disk.minFreeGigabytes` (GiB, 1024³ bytes, as Buildkite's 5 GiB default). */
  readonly minFreeGigabytes: number;
  /** `disk.minFreeInodesPercent`. */
  readonly minFreeInodesPercent: number;
}

export interface DiskVerdict {
  readonly path: string;
  readonly ok: boolean;
  readonly freeGigabytes: number;
  /** undefined when the file system has no inode count. */
  readonly freeInodesPercent: number | undefined;
  /** One line per threshold crossed, naming the setting to change. */
  readonly problems: readonly string[];
}

const GIB = 1024 ** 3;

export function checkDisk(path: string, stats: FileSystemStats, thresholds: DiskThresholds): DiskVerdict {
  const freeGigabytes = (stats.bavail * stats.bsize) / GIB;
  const freeInodesPercent = stats.files > 0 ? (stats.ffree / stats.files) * 100 : undefined;
  const problems: string[] = [];
  if (freeGigabytes < thresholds.minFreeGigabytes) {
    problems.push(
      `${path}: ${freeGigabytes.toFixed(1)} GiB free, below disk.minFreeGigabytes (${thresholds.minFreeGigabytes} GiB)`,
    );
  }
  if (freeInodesPercent !== undefined && freeInodesPercent < thresholds.minFreeInodesPercent) {
    problems.push(
      `${path}: ${freeInodesPercent.toFixed(1)}% of inodes free, below disk.minFreeInodesPercent (${thresholds.minFreeInodesPercent}%)`,
    );
  }
  return { path, ok: problems.length === 0, freeGigabytes, freeInodesPercent, problems };
}
