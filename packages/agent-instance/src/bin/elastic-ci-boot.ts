import { runCli } from '../cli.js';

// `elastic-ci-boot ARGS` is `elastic-ci-instance boot ARGS` (what user data runs).
runCli(
  ['boot', ...process.argv.slice(2)],
  {
    env: process.env,
    stderr: (text) => process.stderr.write(text),
    stdout: (text) => process.stdout.write(text),
    warnings: process,
  },
  'elastic-ci-boot',
).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(`elastic-ci-boot: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
