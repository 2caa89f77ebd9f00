#!/usr/bin/env node
import { readFileSync, writeFileSync } from 'node:fs';
import { readFileChunks } from './file-chunks.js';
import { runCli } from './run-cli.js';

process.exitCode = runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readTextFile: (path) => readFileSync(path, 'utf8'),
  readFileChunks,
  writeTextFile: (path, text) => writeFileSync(path, text),
});
