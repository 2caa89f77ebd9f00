// A helper process for the lock tests: takes the lock at argv[2], says so on stdout, then holds it until killed.
import { acquireFileLock } from './file-lock';

const lockPath = process.argv[2];
if (lockPath === undefined) throw new Error('usage: lock-holder <lock path>');
await acquireFileLock(lockPath);
process.stdout.write('held\n');
setInterval(() => undefined, 60_000);
