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
