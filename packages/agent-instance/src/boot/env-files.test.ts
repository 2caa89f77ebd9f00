import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBootContract } from '../boot-contract.js';
import { renderLifecycledEnv, renderSsmEnvFile } from './env-files.js';

const scratch = mkdtempSync(join(tmpdir(), 'env-files-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The value of `name` after bash sources `text` (as the hooks read agent.env). */
function sourcedByBash(text: string, name: string): string {
  const file = join(scratch, 'env');
  writeFileSync(file, text);
  // set -a exports what the file sets; printenv ends the value with one line break of its own.
  const result = spawnSync('bash', ['-c', 'set -a; source "$1"; printenv "$2"', 'bash', file, name], {
    encoding: 'utf8',
  });
  expect(result.stderr).toBe('');
  expect(result.stdout.endsWith('\n')).toBe(true);
  return result.stdout.slice(0, -1);
}

describe('renderSsmEnvFile', () => {
  it('keeps a multi-line value (a certificate, a key) whole', () => {
    const certificate = '-----BEGIN CERTIFICATE-----\nMIIB\nAAAA\n-----END CERTIFICATE-----';
    const text = renderSsmEnvFile([{ name: '/ci/env/ca-cert', value: certificate }]);
    expect(sourcedByBash(text, 'CA_CERT')).toBe(certificate);
  });

  it('gives back every value as it was, whatever characters it holds', () => {
    const character = fc.constantFrom(
      'a',
      'Z',
      '0',
      ' ',
      '\t',
      '\n',
      '"',
      "'",
      '$',
      '`',
      '\\',
      '!',
      '#',
      '{',
      '}',
      '=',
      'é',
    );
    fc.assert(
      fc.property(
        fc.array(character, { maxLength: 24 }).map((characters) => characters.join('')),
        (value) => {
          expect(sourcedByBash(renderSsmEnvFile([{ name: '/ci/env/value', value }]), 'VALUE')).toBe(value);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('renderLifecycledEnv', () => {
  const contractWith = (cancelGracePeriodSeconds?: number) =>
    parseBootContract(
      JSON.stringify({
        version: 1,
        stack: { name: 'ci', region: 'eu-west-1', version: '1.0.0' },
        agent: {
          token: { kind: 'ssm-parameter', name: '/ci/token' },
          ...(cancelGracePeriodSeconds === undefined ? {} : { cancelGracePeriodSeconds }),
        },
      }),
    );

  it("sends the spot SIGQUIT early enough for the job's cancel grace period to run out before the deadline", () => {
    // The default lead (20 s) cut a cancelled job's 60 s grace after a third: the instance was gone mid-cleanup.
    expect(renderLifecycledEnv(contractWith(), 'i-0123456789abcdef0')).toContain('STOP_AGENT_SIGQUIT_LEAD="70s"');
    expect(renderLifecycledEnv(contractWith(5), 'i-0123456789abcdef0')).toContain('STOP_AGENT_SIGQUIT_LEAD="15s"');
  });

  it('never asks for more than the two minutes of a spot notice can give', () => {
    expect(renderLifecycledEnv(contractWith(3600), 'i-0123456789abcdef0')).toContain('STOP_AGENT_SIGQUIT_LEAD="110s"');
  });
});

describe('renderLifecycledEnv and the instance broker', () => {
  const contractWith = (lifecycle: object) =>
    parseBootContract(
      JSON.stringify({
        version: 1,
        stack: { name: 'ci', region: 'eu-west-1', version: '1.0.0', autoScalingGroupName: 'ci-agents' },
        agent: { token: { kind: 'ssm-parameter', name: '/ci/token' } },
        lifecycle,
      }),
    );

  it("hands lifecycled the contract's broker URL, so its heartbeats and completion go through the broker", () => {
    // Prepare
    const url = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/';

    // Act
    const text = renderLifecycledEnv(contractWith({ instanceBrokerUrl: url }), 'i-0123456789abcdef0');

    // Assess
    expect(sourcedByBash(text, 'LIFECYCLED_INSTANCE_BROKER_URL')).toBe(url);
  });

  it('leaves the variable out without a broker: lifecycled calls Auto Scaling itself', () => {
    expect(renderLifecycledEnv(contractWith({}), 'i-0123456789abcdef0')).not.toContain(
      'LIFECYCLED_INSTANCE_BROKER_URL',
    );
  });
});
