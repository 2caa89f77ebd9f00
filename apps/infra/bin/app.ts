#!/usr/bin/env node
// `make synth CONFIG=…`: one stack from a config file (or the documented defaults) into dist/cdk.out/<stack name>/;
// the template's path is the last line on stdout. Any problem: one message on stderr, exit 1, no template.
import { fileURLToPath } from 'node:url';
import { loadStackConfig } from '../src/config/load-stack-config';
import { StackConfigError } from '../src/config/stack-config-error';
import { ElasticCiStackOptionsError } from '../src/elastic-ci-stack';
import { synthesizeApp } from '../src/synth-app';

const DEFAULT_OUT_ROOT = fileURLToPath(new URL('../cdk.out', import.meta.url));

async function main(): Promise<void> {
  const configPath = process.argv[2] || process.env.CONFIG || undefined;
  try {
    const result = await synthesizeApp({
      configPath,
      outRoot: process.env.ELASTIC_CI_OUT_ROOT || DEFAULT_OUT_ROOT,
      loadConfig: loadStackConfig,
    });
    process.stdout.write(`${result.templatePath}\n`);
  } catch (error) {
    // Option problems are the user's to fix: their message alone, which lists every one. Anything else is ours.
    const known = error instanceof ElasticCiStackOptionsError || error instanceof StackConfigError;
    const detail = error instanceof Error ? (known ? error.message : (error.stack ?? error.message)) : String(error);
    process.stderr.write(`synth: ${detail}\n`);
    process.exitCode = 1;
  }
}

await main();
