import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SshAgentExports } from './env-script';
import { SshAgentError } from './errors';
import { addKeys, parseSshAgentOutput, startSshAgent, stopSshAgent } from './ssh-agent';
import { requireCommands } from './test-support/cli-harness';

describe('Function: parseSshAgentOutput', () => {
  it('reads the socket and pid from `ssh-agent -s` output', () => {
    // Prepare
    const output =
      'SSH_AUTH_SOCK=/path/to/socket; export SSH_AUTH_SOCK;\nSSH_AGENT_PID=42; export SSH_AGENT_PID;\necho Agent pid 42;\n';

    // Act / Assess
    expect(parseSshAgentOutput(output)).toEqual({ socket: '/path/to/socket', pid: 42 });
  });

  it('returns undefined for anything else', () => {
    // Act / Assess
    expect(parseSshAgentOutput('setenv SSH_AUTH_SOCK /x;\n')).toBeUndefined();
    expect(
      parseSshAgentOutput('SSH_AUTH_SOCK=/x; export SSH_AUTH_SOCK;\nSSH_AGENT_PID=abc; export SSH_AGENT_PID;'),
    ).toBeUndefined();
  });
});

describe('Function: addKeys (a real ssh-agent)', () => {
  const directory = mkdtempSync(join(tmpdir(), 's3secrets-agent-'));
  let agent: SshAgentExports | undefined;

  beforeAll(() => requireCommands(['ssh-agent', 'ssh-add', 'ssh-keygen']));
  afterEach(() => {
    if (agent) stopSshAgent(agent);
    agent = undefined;
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  /** A key file from ssh-keygen and its fingerprint as ssh-keygen computes it from the public half. */
  function keyPair(name: string, args: string[]): { body: Buffer; fingerprint: string } {
    const file = join(directory, name);
    execFileSync('ssh-keygen', ['-q', '-N', '', '-C', name, '-f', file, ...args]);
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`])
      .toString()
      .split(' ')[1];
    return { body: readFileSync(file), fingerprint: fingerprint ?? '' };
  }

  function listedKeys(socket: string): string[] {
    return execFileSync('ssh-add', ['-l', '-E', 'sha256'], { env: { PATH: process.env.PATH, SSH_AUTH_SOCK: socket } })
      .toString()
      .trim()
      .split('\n');
  }

  it('loads OpenSSH, PKCS#1, SEC1 and PKCS#8 keys of every supported type over the socket', async () => {
    // Prepare
    const keys = {
      'ed25519-openssh': keyPair('ed25519-openssh', ['-t', 'ed25519']),
      'rsa-openssh': keyPair('rsa-openssh', ['-t', 'rsa', '-b', '2048']),
      'rsa-pkcs1': keyPair('rsa-pkcs1', ['-t', 'rsa', '-b', '2048', '-m', 'PEM']),
      'rsa-pkcs8': keyPair('rsa-pkcs8', ['-t', 'rsa', '-b', '2048', '-m', 'PKCS8']),
      'ecdsa256-openssh': keyPair('ecdsa256-openssh', ['-t', 'ecdsa', '-b', '256']),
      'ecdsa384-sec1': keyPair('ecdsa384-sec1', ['-t', 'ecdsa', '-b', '384', '-m', 'PEM']),
      'ecdsa521-pkcs8': keyPair('ecdsa521-pkcs8', ['-t', 'ecdsa', '-b', '521', '-m', 'PKCS8']),
    };
    agent = await startSshAgent();

    // Act
    await addKeys(
      agent,
      Object.entries(keys).map(([name, { body }]) => ({ label: `bucket/${name}`, body })),
    );

    // Assess
    const listed = listedKeys(agent.socket);
    expect(listed).toHaveLength(Object.keys(keys).length);
    for (const [name, { fingerprint }] of Object.entries(keys)) {
      expect(listed.find((line) => line.includes(`bucket/${name} `))).toContain(fingerprint);
    }
  });

  it('loads a PKCS#8 Ed25519 key with its public half derived from the private one', async () => {
    // Prepare
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const rawPublic = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
    const blob = Buffer.concat([
      Buffer.from([0, 0, 0, 11]),
      Buffer.from('ssh-ed25519'),
      Buffer.from([0, 0, 0, 32]),
      rawPublic,
    ]);
    agent = await startSshAgent();

    // Act
    await addKeys(agent, [
      { label: 'bucket/pkcs8', body: Buffer.from(privateKey.export({ format: 'pem', type: 'pkcs8' })) },
    ]);

    // Assess
    const publicLines = execFileSync('ssh-add', ['-L'], {
      env: { PATH: process.env.PATH, SSH_AUTH_SOCK: agent.socket },
    })
      .toString()
      .trim();
    expect(publicLines).toBe(`ssh-ed25519 ${blob.toString('base64')} bucket/pkcs8`);
  });

  it('hands keys it cannot read to ssh-add, which refuses a malformed key by name', async () => {
    // Prepare: armour around bytes that are no key (a passphrase-protected key is refused before ssh-add, below).
    const malformed = Buffer.from(
      '-----BEGIN OPENSSH PRIVATE KEY-----\nbm90IGEga2V5\n-----END OPENSSH PRIVATE KEY-----\n',
    );
    const good = keyPair('good', ['-t', 'ed25519']);
    agent = await startSshAgent();

    // Act
    const loading = addKeys(agent, [
      { label: 'bucket/good', body: good.body },
      { label: 'bucket/malformed', body: malformed },
    ]);

    // Assess
    await expect(loading).rejects.toThrow(SshAgentError);
    await expect(loading).rejects.toThrow(/ssh-add refused bucket\/malformed/);
    expect(listedKeys(agent.socket).join('\n')).toContain(good.fingerprint);
  });

  it('says a key is passphrase-protected, for the OpenSSH and every PEM format', async () => {
    // Prepare: ssh-add run without a terminal prints nothing for these, so the reason must come from us.
    const formats = [[], ['-m', 'PEM'], ['-m', 'PKCS8']].map((format, index) => {
      const file = join(directory, `protected-${index}`);
      execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', ...format, '-N', 'passphrase', '-f', file]);
      return readFileSync(file);
    });
    agent = await startSshAgent();

    for (const body of formats) {
      // Act
      const loading = addKeys(agent, [{ label: 'bucket/protected', body }]);

      // Assess
      await expect(loading).rejects.toThrow(
        new SshAgentError(
          'bucket/protected is protected by a passphrase, which s3secrets cannot enter: upload the key without one ' +
            "(s3secrets put refuses such a key; remove the passphrase with ssh-keygen -p -N '' -f FILE)",
        ),
      );
    }
    const listing = spawnSync('ssh-add', ['-l'], { env: { PATH: process.env.PATH, SSH_AUTH_SOCK: agent.socket } });
    expect(listing.stdout.toString()).toContain('The agent has no identities.');
  });

  it('fails with the socket named when the agent is gone', async () => {
    // Prepare
    const good = keyPair('orphan', ['-t', 'ed25519']);

    // Act
    const loading = addKeys({ socket: join(directory, 'no-agent.sock'), pid: 1 }, [
      { label: 'bucket/k', body: good.body },
    ]);

    // Assess
    await expect(loading).rejects.toThrow(/cannot load keys into ssh-agent at .*no-agent\.sock/);
  });
});
