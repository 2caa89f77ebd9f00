import { runCli } from '../cli.js';

runCli(process.argv.slice(2), {
  env: process.env,
  stderr: (text) => process.stderr.write(text),
  stdout: (text) => process.stdout.write(text),
  warnings: process,
}).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(`elastic-ci-instance: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
