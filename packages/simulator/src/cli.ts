#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { endQuietlyWhenPipeCloses } from './closed-pipe.js';
import { readFileChunks } from './file-chunks.js';
import { runCli } from './run-cli.js';
import { writeFileAtomically } from './write-file-atomically.js';

// `| head` closing stdout early ends the run with the exit code it has, without a stack trace.
endQuietlyWhenPipeCloses(process.stdout, () => process.exit());

process.exitCode = runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readTextFile: (path) => readFileSync(path, 'utf8'),
  readFileChunks,
  writeTextFile: (path, text) => writeFileAtomically(path, text),
});
