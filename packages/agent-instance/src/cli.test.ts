import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';

function io(env: NodeJS.ProcessEnv = {}) {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      env,
      stderr: (text: string) => {
        out.stderr += text;
      },
      stdout: (text: string) => {
        out.stdout += text;
      },
    },
  };
}

describe('elastic-ci-instance CLI', () => {
  it('exits 2 with the usage on stderr when no command is given', async () => {
    const { out, io: cliIo } = io();
    expect(await runCli([], cliIo)).toBe(2);
    expect(out.stderr).toMatch(/^elastic-ci-instance: no command given\nusage: elastic-ci-instance/);
    expect(out.stderr).toContain('boot');
    expect(out.stdout).toBe('');
  });

  it('exits 2 for an unknown command and does not echo an argument that is not a plain word', async () => {
    const { out, io: cliIo } = io();
    expect(await runCli(['bkua_canary-secret-value_0123456789abcdef'], cliIo)).toBe(2);
    expect(out.stderr).toContain('unknown command "…"');
    expect(out.stderr).not.toContain('canary');
    const second = io();
    expect(await runCli(['frobnicate'], second.io)).toBe(2);
    expect(second.out.stderr).toContain('unknown command "frobnicate"');
  });

  it('exits 2 when --root has no value', async () => {
    const { out, io: cliIo } = io();
    expect(await runCli(['boot', '--root'], cliIo)).toBe(2);
    expect(out.stderr).toContain('--root needs a directory');
  });

  it('prints the usage on stdout and exits 0 for --help', async () => {
    const { out, io: cliIo } = io();
    expect(await runCli(['--help'], cliIo)).toBe(0);
    expect(out.stdout).toContain('start-agent-when-in-service');
  });
});

describe('process warnings', () => {
  it('go through the logger as one JSON line each; the SDK Node-version notice is dropped', async () => {
    const { EventEmitter } = await import('node:events');
    const emitter = new EventEmitter();
    const printed: Error[] = [];
    emitter.on('warning', (warning: Error) => printed.push(warning));
    const out = { stderr: '' };
    const root = await mkdtemp(join(tmpdir(), 'cli-warnings-'));
    // Nothing booted under this root: the waiter returns at once, touching nothing.
    const status = await runCli(['--json', '--root', root, 'start-agent-when-in-service'], {
      env: {},
      stderr: (text) => {
        out.stderr += text;
      },
      stdout: () => {},
      warnings: emitter,
    });
    expect(status).toBe(0);
    expect(emitter.listenerCount('warning')).toBe(1);
    const sdk = new Error('NodeVersionSupportWarning: The AWS SDK\nneeds node >=22');
    const other = Object.assign(new Error('something\nodd'), { name: 'DeprecationWarning' });
    emitter.emit('warning', sdk);
    emitter.emit('warning', other);
    expect(printed).toEqual([]);
    const lines = out.stderr.split('\n').filter((line) => line.includes('node warning'));
    expect(lines.map((line) => (JSON.parse(line) as { message: string }).message)).toEqual([
      'node warning: DeprecationWarning: something odd',
    ]);
    expect(out.stderr).not.toContain('NodeVersionSupportWarning');
  });
});
