import { lstatSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The file operations `writeFileAtomically` needs; tests pass ones that fail midway. */
export interface FileWriter {
  readonly writeFile: (path: string, text: string) => void;
  readonly rename: (from: string, to: string) => void;
  readonly remove: (path: string) => void;
  /**
   * Whether `path` exists as anything but a regular file: a symbolic link (`/dev/stdout`, a link a user keeps to
   * their latest trace), a device, a pipe or a directory. Such a path is written in place: renaming over it would
   * replace the link or device itself.
   */
  readonly isOtherThanRegularFile: (path: string) => boolean;
}

const NODE_FILES: FileWriter = {
  writeFile: (path, text) => writeFileSync(path, text),
  rename: renameSync,
  remove: (path) => rmSync(path, { force: true }),
  isOtherThanRegularFile: (path) => {
    const stats = lstatSync(path, { throwIfNoEntry: false });
    return stats !== undefined && !stats.isFile();
  },
};

/**
 * Writes `text` to `path` so that the file is either the whole new text or what it was before: the text goes to a
 * temporary file beside it, renamed over `path` once complete. A full disk or an interrupted run leaves no half
 * trace or chart that a later run would read as whole. A link, a device or a pipe is written in place.
 */
export function writeFileAtomically(path: string, text: string, files: FileWriter = NODE_FILES): void {
  if (files.isOtherThanRegularFile(path)) {
    files.writeFile(path, text);
    return;
  }
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    files.writeFile(temporary, text);
    files.rename(temporary, path);
  } catch (error) {
    files.remove(temporary);
    throw error;
  }
}
