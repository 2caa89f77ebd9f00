import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildEnvScript, type EnvScriptInput, MAX_ENVIRONMENT_STRING_BYTES } from './env-script';
import { UnusableSecretError } from './errors';
import type { KeyResult } from './fetch-secrets';
import { BASH_MANAGED_NAMES, BASH_READONLY_NAMES } from './shell-names';
import { ENV_FILE_CANARY, ENV_FILE_ERROR_CASES } from './test-support/env-file-error-cases';

const found = (key: string, text: string | Uint8Array): KeyResult => ({
  key,
  result: { status: 'found', body: typeof text === 'string' ? Buffer.from(text) : text },
});
const missing = (key: string): KeyResult => ({ key, result: { status: 'not-found' } });

function input(overrides: Partial<EnvScriptInput> = {}): EnvScriptInput {
  return {
    bucket: 'bkt',
    region: 'us-west-2',
    envFiles: [],
    gitCredentials: [],
    secretFiles: [],
    sshAgent: undefined,
    selfCommand: ['/usr/bin/node', '/opt/s3secrets/s3secrets.js'],
    lookup: () => undefined,
    ...overrides,
  };
}

/** Runs the script as the hook does and prints the named variables, NUL-separated. */
function evaluate(script: string, names: string[]): Record<string, string> {
  const printer = names.map((name) => `printf '%s\\0' "\${${name}-<unset>}"`).join('; ');
  const output = execFileSync(
    'bash',
    ['-c', `set -euo pipefail; set -o allexport; eval "$1"; set +o allexport; ${printer}`, 'bash', script],
    {
      env: { PATH: process.env.PATH },
    },
  ).toString('utf8');
  return Object.fromEntries(
    output
      .split('\0')
      .slice(0, names.length)
      .map((value, index) => [names[index], value]),
  );
}

describe('Function: buildEnvScript', () => {
  it('applies groups in upstream order: agent, env files (later win), git, secret files (pipeline wins)', () => {
    // Prepare
    const script = buildEnvScript(
      input({
        sshAgent: { socket: '/tmp/ssh-x/agent.1', pid: 42 },
        envFiles: [
          found('env', 'A=one\nB=two\nSHARED=global\n'),
          missing('environment'),
          missing('pipeline/env'),
          found('pipeline/environment', 'C=three\nSHARED=pipeline\n'),
        ],
        gitCredentials: [found('git-credentials', 'x'), found('pipeline/git-credentials', 'y')],
        secretFiles: [
          found('secret-files/ORG_SERVICE_TOKEN', 'org service token'),
          found('secret-files/DATABASE_SECRET', 'global db'),
          found('pipeline/secret-files/DATABASE_SECRET', 'pipeline db'),
        ],
      }),
    ).script;

    // Act
    const values = evaluate(script, [
      'SSH_AUTH_SOCK',
      'SSH_AGENT_PID',
      'S3SECRETS_SSH_AGENT_PID',
      'A',
      'B',
      'C',
      'SHARED',
      'ORG_SERVICE_TOKEN',
      'DATABASE_SECRET',
      'GIT_CONFIG_PARAMETERS',
    ]);

    // Assess
    expect(values).toEqual({
      SSH_AUTH_SOCK: '/tmp/ssh-x/agent.1',
      SSH_AGENT_PID: '42',
      S3SECRETS_SSH_AGENT_PID: '42',
      A: 'one',
      B: 'two',
      C: 'three',
      SHARED: 'pipeline',
      ORG_SERVICE_TOKEN: 'org service token',
      DATABASE_SECRET: 'pipeline db',
      GIT_CONFIG_PARAMETERS:
        "'credential.helper=!/usr/bin/node /opt/s3secrets/s3secrets.js git-credential bkt us-west-2 git-credentials' " +
        "'credential.helper=!/usr/bin/node /opt/s3secrets/s3secrets.js git-credential bkt us-west-2 pipeline/git-credentials'",
    });
    expect(script.indexOf('SSH_AUTH_SOCK')).toBeLessThan(script.indexOf('export A='));
    expect(script.indexOf('export C=')).toBeLessThan(script.indexOf('GIT_CONFIG_PARAMETERS'));
    expect(script.indexOf('GIT_CONFIG_PARAMETERS')).toBeLessThan(script.indexOf('ORG_SERVICE_TOKEN'));
  });

  it('never executes what a secret contains and keeps multi-line values intact', () => {
    // Prepare
    const hostile = '$(touch /tmp/s3secrets-pwned) `touch /tmp/s3secrets-pwned` $HOME \'quoted\' "double"';
    const script = buildEnvScript(
      input({
        envFiles: [found('env', `FROM_ENV_FILE='${hostile.replaceAll("'", "'\\''")}'\n`)],
        secretFiles: [found('secret-files/HOSTILE_TOKEN', hostile), found('secret-files/MULTI_SECRET', 'one\ntwo\n\n')],
      }),
    ).script;

    // Act
    const values = evaluate(script, ['HOSTILE_TOKEN', 'FROM_ENV_FILE', 'MULTI_SECRET']);

    // Assess
    expect(values).toEqual({ HOSTILE_TOKEN: hostile, FROM_ENV_FILE: hostile, MULTI_SECRET: 'one\ntwo\n\n' });
  });

  it('gives the job any secret-file value byte for byte, whatever it contains', () => {
    // Prepare: one bash run for many generated values (spawning bash per value would dominate the test)
    const samples = fc.sample(
      fc.string({ unit: 'binary', maxLength: 60 }).filter((value) => !value.includes('\0')),
      120,
    );
    const script = buildEnvScript(
      input({ secretFiles: samples.map((value, index) => found(`secret-files/S${index}_SECRET`, value)) }),
    ).script;

    // Act
    const values = evaluate(
      script,
      samples.map((_, index) => `S${index}_SECRET`),
    );

    // Assess
    expect(samples.map((_, index) => values[`S${index}_SECRET`])).toEqual(samples);
  });

  it('appends to a GIT_CONFIG_PARAMETERS the job already has', () => {
    // Prepare
    const script = buildEnvScript(input({ gitCredentials: [found('git-credentials', 'x')] })).script;

    // Act
    const output = execFileSync('bash', ['-c', 'eval "$1"; printf %s "$GIT_CONFIG_PARAMETERS"', 'bash', script], {
      env: { PATH: process.env.PATH, GIT_CONFIG_PARAMETERS: "'core.pager=cat'" },
    }).toString('utf8');

    // Assess
    expect(output).toMatch(/^'core\.pager=cat' 'credential\.helper=!/);
  });

  it('quotes helper arguments that need it, in git and shell quoting both', () => {
    // Prepare
    const script = buildEnvScript(
      input({ selfCommand: ["/opt/it's here/node"], gitCredentials: [found('git-credentials', 'x')] }),
    ).script;

    // Act
    const values = evaluate(script, ['GIT_CONFIG_PARAMETERS']);

    // Assess
    expect(values.GIT_CONFIG_PARAMETERS).toBe(
      `'credential.helper=!'\\''/opt/it'\\''\\'\\'''\\''s here/node'\\'' git-credential bkt us-west-2 git-credentials'`,
    );
  });

  it('skips a secret file whose name is not an identifier, with a warning, and keeps the rest', () => {
    // Act
    const result = buildEnvScript(
      input({ secretFiles: [found('secret-files/my-app_TOKEN', 'x'), found('secret-files/GOOD_TOKEN', 'good')] }),
    );

    // Assess
    expect(result.warnings.join('\n')).toMatch(
      /Skipping secret bkt\/secret-files\/my-app_TOKEN: "my-app_TOKEN" is not a valid variable name/,
    );
    expect(evaluate(result.script, ['GOOD_TOKEN'])).toEqual({ GOOD_TOKEN: 'good' });
  });

  it('skips a malformed env file naming its line, and still loads the others', () => {
    // Act
    const result = buildEnvScript(
      input({ envFiles: [found('env', 'A=1\nB=two words\n'), found('pipeline/env', 'C=3\n')] }),
    );

    // Assess
    expect(result.warnings).toEqual([
      '+++ :warning: Skipping env file bkt/env: line 2: unexpected text after the value; quote values that contain spaces (one assignment per line); the other files still load',
    ]);
    expect(evaluate(result.script, ['A', 'C'])).toEqual({ A: '<unset>', C: '3' });
  });

  it.each(ENV_FILE_ERROR_CASES)('skips an env file with $title without printing any of its text', ({ text, line }) => {
    // Act
    const result = buildEnvScript(input({ envFiles: [found('env', text), found('pipeline/env', 'C=3\n')] }));

    // Assess
    const printed = [result.script, ...result.info, ...result.warnings, ...result.redactions].join('\n');
    expect(printed).not.toContain(ENV_FILE_CANARY);
    expect(result.warnings.join('\n')).toContain(
      line === undefined
        ? 'Skipping env file bkt/env: it is not UTF-8 text'
        : `Skipping env file bkt/env: line ${line}: `,
    );
    expect(evaluate(result.script, ['C'])).toEqual({ C: '3' });
  });

  it('queues for redaction secret files and env variables whose names contain a suffix, trimmed and de-duplicated', () => {
    // Act
    const result = buildEnvScript(
      input({
        envFiles: [found('env', 'PLAIN=visible\nMY_TOKEN_FILE=" tok "\nDB_PASSWORD=pw\nEMPTY_SECRET=\n')],
        secretFiles: [found('secret-files/OTHER_PASSWORD', 'pw\n'), found('secret-files/API_TOKEN', 'api')],
      }),
    );

    // Assess
    expect(result.redactions).toEqual(['tok', 'pw', 'api']);
  });

  it('exports a non-UTF-8 secret safely but does not redact it, and never exports a NUL byte', () => {
    // Prepare
    const binary = Uint8Array.from([0xff, 0xfe, 0x41, 0x0a, 0x27]);

    // Act
    const result = buildEnvScript(
      input({
        secretFiles: [
          found('secret-files/BINARY_SECRET', binary),
          found('secret-files/NUL_SECRET', Uint8Array.from([0x41, 0x00, 0x42])),
          found('secret-files/HUGE_SECRET', 'x'.repeat(64 * 1024)),
        ],
      }),
    );
    const output = execFileSync('bash', ['-c', 'eval "$1"; printf %s "$BINARY_SECRET"', 'bash', result.script]);

    // Assess
    expect([...output]).toEqual([...binary]);
    expect(result.script).not.toContain('NUL_SECRET');
    expect(result.redactions).toEqual([]);
    expect(result.warnings.join('\n')).toMatch(/BINARY_SECRET is not UTF-8 text/);
    expect(result.warnings.join('\n')).toMatch(/NUL_SECRET: a shell variable cannot hold a NUL byte/);
    expect(result.warnings.join('\n')).toMatch(/HUGE_SECRET is 64 KiB or larger/);
  });

  describe('names the shell owns', () => {
    it('covers every variable bash makes read-only', () => {
      // Act
      const declared = execFileSync('bash', ['-c', 'readonly -p'], { env: { PATH: process.env.PATH } })
        .toString()
        .split('\n')
        .flatMap((line) => /^declare -\S+ ([A-Za-z_][A-Za-z0-9_]*)/.exec(line)?.[1] ?? []);

      // Assess
      expect(declared.length).toBeGreaterThan(0);
      expect(declared.filter((name) => !BASH_READONLY_NAMES.has(name))).toEqual([]);
    });

    it('skips them with a warning, and the hook eval survives and sets the rest', () => {
      // Prepare: what a compose .env file often holds, plus every other name bash owns.
      const owned = [...BASH_READONLY_NAMES, ...BASH_MANAGED_NAMES];
      const text = `BEFORE=one\n${owned.map((name) => `${name}=1000`).join('\n')}\nAFTER=two\n`;

      // Act
      const result = buildEnvScript(input({ envFiles: [found('env', text)] }));
      // As hooks/environment does it: errexit, nounset, allexport, then eval of the command's output.
      const output = execFileSync(
        'bash',
        [
          '-c',
          'set -euo pipefail; script="$(cat)"; set -o allexport; eval "$script"; set +o allexport; printf "%s %s %s" "$BEFORE" "$AFTER" "$UID"',
        ],
        { input: result.script, env: { PATH: process.env.PATH } },
      ).toString();

      // Assess
      expect(output).toBe(`one two ${process.getuid?.()}`);
      for (const name of owned) {
        expect(result.script).not.toMatch(new RegExp(`^export ${name}=`, 'm'));
        expect(result.warnings).toContainEqual(
          expect.stringMatching(new RegExp(`^\\+\\+\\+ :warning: Skipping ${name} from bkt/env: `)),
        );
      }
      expect(result.warnings.find((warning) => warning.includes(' UID '))).toBe(
        '+++ :warning: Skipping UID from bkt/env: UID is read-only in bash; assigning it would stop the environment hook',
      );
    });
  });

  describe('values the kernel cannot pass to a command', () => {
    // `NAME=value` and its NUL terminator: the longest value that still fits for a name.
    const longest = (name: string) => MAX_ENVIRONMENT_STRING_BYTES - name.length - 2;

    it('pins the bound to the kernel: one byte more and execve refuses the environment', () => {
      // Prepare
      const run = (value: string) => {
        try {
          execFileSync('/bin/true', [], { env: { BIG_TOKEN: value } });
          return 'ran';
        } catch (error) {
          return (error as NodeJS.ErrnoException).code;
        }
      };

      // Act / Assess
      expect(run('x'.repeat(longest('BIG_TOKEN')))).toBe('ran');
      expect(run('x'.repeat(longest('BIG_TOKEN') + 1))).toBe('E2BIG');
    });

    it('exports the longest value that fits, and the job can still run commands', () => {
      // Prepare
      const value = 'x'.repeat(longest('BIG_TOKEN'));

      // Act
      const result = buildEnvScript(input({ secretFiles: [found('secret-files/BIG_TOKEN', value)] }));
      // The script goes in on stdin: as an argument it would itself be too long for execve.
      const output = execFileSync('bash', ['-c', 'set -o allexport; eval "$(cat)"; /bin/echo ran'], {
        input: result.script,
      });

      // Assess
      expect(output.toString()).toBe('ran\n');
    });

    it.each([
      ['a secret file', { secretFiles: [found('secret-files/BIG_TOKEN', 'x'.repeat(longest('BIG_TOKEN') + 1))] }],
      [
        'an env-file value',
        { envFiles: [found('env', `SMALL=1\nBIG_TOKEN=${'é'.repeat(Math.ceil((longest('BIG_TOKEN') + 1) / 2))}\n`)] },
      ],
    ])('refuses %s one byte too long, naming the key', (_title, files) => {
      // Act
      const attempt = () => buildEnvScript(input(files));

      // Assess
      expect(attempt).toThrow(UnusableSecretError);
      expect(attempt).toThrow(/refusing BIG_TOKEN from bkt\/(secret-files\/BIG_TOKEN|env) \(\d+ bytes\)/);
      expect(attempt).toThrow(/at most 131072 bytes/);
    });
  });

  it('produces an empty script when nothing was found', () => {
    // Act
    const result = buildEnvScript(input({ envFiles: [missing('env')], gitCredentials: [missing('git-credentials')] }));

    // Assess
    expect(result.script).toBe('');
  });
});
