#!/usr/bin/env node
// `make deploy`: the CDK CLI, run in this process, with the agent token from BUILDKITE_AGENT_TOKEN added to its
// arguments here rather than on a command line (`cdk deploy --parameters …` put it where `ps` shows it to every user).
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { runCdkDeployCli } from '../src/cdk-deploy-cli';

const require = createRequire(import.meta.url);
// ELASTIC_CI_CDK_ENTRY: a stand-in CLI for the test that proves the token is on no command line.
const cdkEntry = process.env.ELASTIC_CI_CDK_ENTRY || require.resolve('aws-cdk/bin/cdk');

const refused = runCdkDeployCli({
  argv: process.argv.slice(2),
  env: process.env,
  stderr: (text) => process.stderr.write(text),
  readTemplates: (directory) =>
    readdirSync(directory)
      .filter((name) => name.endsWith('.template.json'))
      .map((name) => readFileSync(join(directory, name), 'utf8')),
  runCdk: (args) => {
    // The CLI reads process.argv when it starts; this array is the process's own copy, not its command line.
    process.argv = [process.argv[0] ?? 'node', cdkEntry, ...args];
    require(cdkEntry);
  },
});
if (refused !== undefined) process.exitCode = refused;
