#!/usr/bin/env node
// `make synth CONFIG=…`: one stack from a config file (or the documented defaults) into dist/cdk.out/<stack name>/;
// the template's path is the last line on stdout. Any problem: one message on stderr, exit 1, no template.
import { fileURLToPath } from 'node:url';
import { ElasticCiStackOptionsError } from '../src/elastic-ci-stack';
import { synthesizeApp } from '../src/synth-app';

const DEFAULT_OUT_ROOT = fileURLToPath(new URL('../cdk.out', import.meta.url));

async function main(): Promise<void> {
  const configPath = process.argv[2] || process.env.CONFIG || undefined;
  try {
    const result = await synthesizeApp({
      configPath,
      outRoot: process.env.ELASTIC_CI_OUT_ROOT || DEFAULT_OUT_ROOT,
      loadConfig: () => {
        throw new Error('config files are not supported yet');
      },
    });
    process.stdout.write(`${result.templatePath}\n`);
  } catch (error) {
    const known =
      error instanceof ElasticCiStackOptionsError || (error instanceof Error && error.name.endsWith('ConfigError'));
    process.stderr.write(
      `synth: ${known ? (error as Error).message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}

await main();
