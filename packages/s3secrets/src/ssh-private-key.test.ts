import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addIdentityMessage, agentIdentityFor } from './ssh-private-key';

const directory = mkdtempSync(join(tmpdir(), 's3secrets-keys-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function sshKeygen(name: string, args: string[]): Buffer {
  const file = join(directory, name);
  execFileSync('ssh-keygen', ['-q', '-N', '', '-C', 'from-file', '-f', file, ...args]);
  return readFileSync(file);
}

describe('Function: agentIdentityFor', () => {
  it('reads an unencrypted OpenSSH key and replaces its comment with the given one', () => {
    // Prepare
    const key = sshKeygen('ed25519', ['-t', 'ed25519']);

    // Act
    const identity = agentIdentityFor(key, 'bucket/web/private_ssh_key');

    // Assess
    expect(identity).toMatchObject({ status: 'parsed', keyType: 'ssh-ed25519' });
    const body = identity.status === 'parsed' ? identity.body : Buffer.alloc(0);
    expect(body.subarray(body.byteLength - 'bucket/web/private_ssh_key'.length).toString()).toBe(
      'bucket/web/private_ssh_key',
    );
    expect(body.includes(Buffer.from('from-file'))).toBe(false);
  });

  it('names why a key cannot be read, without any key material', () => {
    // Prepare
    const encrypted = join(directory, 'encrypted');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'passphrase', '-f', encrypted]);
    const encryptedPem = join(directory, 'encrypted-pem');
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', 'passphrase', '-f', encryptedPem]);
    const openSsh = sshKeygen('truncated', ['-t', 'ed25519']).toString('latin1');
    const truncated = openSsh.replace(/(-----BEGIN OPENSSH PRIVATE KEY-----\n.{40}).*?(-----END)/s, '$1\n$2');

    // Act / Assess
    expect(agentIdentityFor(readFileSync(encrypted), 'k')).toEqual({
      status: 'unsupported',
      reason: 'the key is encrypted',
    });
    expect(agentIdentityFor(readFileSync(encryptedPem), 'k')).toEqual({
      status: 'unsupported',
      reason: 'the PEM key is encrypted or malformed',
    });
    expect(agentIdentityFor(Buffer.from(truncated, 'latin1'), 'k')).toEqual({
      status: 'unsupported',
      reason: 'the key file is truncated',
    });
    expect(agentIdentityFor(Buffer.from('not a key at all'), 'k')).toEqual({
      status: 'unsupported',
      reason: 'not an OpenSSH or PEM private key',
    });
    const dsa = generateKeyPairSync('dsa', { modulusLength: 1024, divisorLength: 160 }).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    });
    expect(agentIdentityFor(Buffer.from(dsa), 'k')).toEqual({ status: 'unsupported', reason: 'key type dsa' });
  });

  it('encodes an RSA key whose integers have the top bit set as positive mpints', () => {
    // Prepare: RSA moduli always have the top bit set, so n needs the leading zero byte.
    const pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs1' });

    // Act
    const identity = agentIdentityFor(Buffer.from(pem), 'k');

    // Assess
    const body = identity.status === 'parsed' ? identity.body : Buffer.alloc(0);
    const typeLength = body.readUInt32BE(0);
    expect(body.subarray(4, 4 + typeLength).toString()).toBe('ssh-rsa');
    const modulusLength = body.readUInt32BE(4 + typeLength);
    expect(modulusLength).toBe(129);
    expect(body[4 + typeLength + 4]).toBe(0);
  });
});

describe('Function: addIdentityMessage', () => {
  it('frames the body as SSH2_AGENTC_ADD_IDENTITY', () => {
    // Act
    const message = addIdentityMessage(Buffer.from([1, 2, 3]));

    // Assess
    expect([...message]).toEqual([0, 0, 0, 4, 17, 1, 2, 3]);
  });
});
