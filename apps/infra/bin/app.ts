#!/usr/bin/env node
// `make synth CONFIG=…`: one stack from a config file (or the documented defaults) into dist/cdk.out/<stack name>/;
// the template's path is the last line on stdout. A bad config: one message on stderr, exit 2, no template.
import { fileURLToPath } from 'node:url';
import { runSynthCli } from '../src/synth-cli';

process.exitCode = await runSynthCli({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  defaultOutRoot: fileURLToPath(new URL('../cdk.out', import.meta.url)),
});
