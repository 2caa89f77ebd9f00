import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CDK_DEPLOY_BAD_INPUT, cdkDeployArguments, runCdkDeployCli } from './cdk-deploy-cli';

const CANARY_TOKEN = 'bkua_CANARY_deploy_token_0123456789abcdef';
const WITH_TOKEN_PARAMETER = JSON.stringify({ Parameters: { BuildkiteAgentToken: { Type: 'String', NoEcho: true } } });
const WITHOUT_TOKEN_PARAMETER = JSON.stringify({ Parameters: {} });
const MAKE_ARGS = ['deploy', '--app', '/out/ci', '--all'];

describe('cdkDeployArguments', () => {
  it('adds --parameters BuildkiteAgentToken=<token> when the template asks for it', () => {
    expect(cdkDeployArguments(MAKE_ARGS, CANARY_TOKEN, [WITH_TOKEN_PARAMETER])).toEqual({
      ok: true,
      args: [...MAKE_ARGS, '--parameters', `BuildkiteAgentToken=${CANARY_TOKEN}`],
    });
  });

  it('leaves the arguments alone without a token, or when the template takes the token from elsewhere', () => {
    expect(cdkDeployArguments(MAKE_ARGS, undefined, [WITH_TOKEN_PARAMETER])).toEqual({ ok: true, args: MAKE_ARGS });
    expect(cdkDeployArguments(MAKE_ARGS, '', [WITH_TOKEN_PARAMETER])).toEqual({ ok: true, args: MAKE_ARGS });
    expect(cdkDeployArguments(MAKE_ARGS, CANARY_TOKEN, [WITHOUT_TOKEN_PARAMETER])).toEqual({
      ok: true,
      args: MAKE_ARGS,
    });
    expect(cdkDeployArguments(MAKE_ARGS, CANARY_TOKEN, ['not json'])).toEqual({ ok: true, args: MAKE_ARGS });
  });

  it('refuses a verbose flag with a token (the CLI would log its arguments), without quoting the token', () => {
    for (const flag of ['-v', '-vv', '--verbose', '--verbose=true']) {
      const result = cdkDeployArguments([...MAKE_ARGS, flag], CANARY_TOKEN, [WITH_TOKEN_PARAMETER]);
      expect(result).toEqual({ ok: false, message: expect.stringContaining(`${flag} would make the CDK CLI log`) });
      expect(JSON.stringify(result)).not.toContain(CANARY_TOKEN);
    }
    // Without a token to protect, -v is the user's business
    expect(cdkDeployArguments([...MAKE_ARGS, '-v'], undefined, [WITH_TOKEN_PARAMETER]).ok).toBe(true);
  });
});

describe('runCdkDeployCli', () => {
  it('reads the templates of the --app assembly and exits 2 on a refusal, with the message on stderr', () => {
    const read: string[] = [];
    let stderr = '';
    let ran = false;
    const code = runCdkDeployCli({
      argv: ['deploy', '--app=/out/ci', '--all', '-v'],
      env: { BUILDKITE_AGENT_TOKEN: CANARY_TOKEN },
      stderr: (text) => {
        stderr += text;
      },
      readTemplates: (directory) => {
        read.push(directory);
        return [WITH_TOKEN_PARAMETER];
      },
      runCdk: () => {
        ran = true;
      },
    });
    expect({ code, read, ran }).toEqual({ code: CDK_DEPLOY_BAD_INPUT, read: ['/out/ci'], ran: false });
    expect(stderr).toMatch(/^deploy: -v would make the CDK CLI log its arguments/);
    expect(stderr).not.toContain(CANARY_TOKEN);
  });
});

describe('make deploy', () => {
  const infraRoot = resolve(import.meta.dirname, '..');

  it('gives the CDK CLI the token without putting it on any command line', () => {
    // Prepare: an assembly whose template asks for the token, and a stand-in CLI reporting what it sees
    const directory = mkdtempSync(join(tmpdir(), 'elastic-ci-cdk-deploy-'));
    writeFileSync(join(directory, 'ci.template.json'), WITH_TOKEN_PARAMETER);
    const standIn = join(directory, 'cdk-stand-in.cjs');
    writeFileSync(
      standIn,
      `process.stdout.write(JSON.stringify({
        commandLine: require('node:fs').readFileSync('/proc/self/cmdline', 'utf8').split('\\0'),
        argv: process.argv.slice(2),
      }));`,
    );

    // Act
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'bin/cdk-deploy.ts', 'deploy', '--app', directory, '--all'],
      {
        cwd: infraRoot,
        encoding: 'utf8',
        env: { ...process.env, BUILDKITE_AGENT_TOKEN: CANARY_TOKEN, ELASTIC_CI_CDK_ENTRY: standIn },
        timeout: 120_000,
      },
    );

    // Assess
    expect(run.stderr).toBe('');
    const seen = JSON.parse(run.stdout) as { commandLine: string[]; argv: string[] };
    expect(seen.argv).toEqual([
      'deploy',
      '--app',
      directory,
      '--all',
      '--parameters',
      `BuildkiteAgentToken=${CANARY_TOKEN}`,
    ]);
    expect(seen.commandLine.join(' ')).toContain('cdk-deploy');
    expect(seen.commandLine.join(' ')).not.toContain(CANARY_TOKEN);
  });

  it("runs through that launcher: the Makefile's deploy recipe puts no --parameters on a command line", () => {
    const makefile = readFileSync(resolve(infraRoot, '../../Makefile'), 'utf8');
    const recipe = /^deploy:.*\n((?:\t.*\n)+)/m.exec(makefile)?.[1] ?? '';
    expect(recipe).toContain('dist/bin/cdk-deploy.js deploy');
    expect(recipe).not.toContain('--parameters');
    expect(recipe).not.toContain('BUILDKITE_AGENT_TOKEN');
  });
});
