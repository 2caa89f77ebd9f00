#!/usr/bin/env node
import { main } from './cli';

// The bundled entry point (dist/cli.js). Exit code via process.exitCode so buffered output is flushed first.
process.exitCode = await main(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  processWarnings: process,
});
