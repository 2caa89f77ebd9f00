import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnsafeUploadError, UsageError } from '../errors';
import { keyForUpload, validateUpload } from './put';

describe('Function: keyForUpload', () => {
  it('maps each kind to the key the hooks read, pipeline-level or global', () => {
    // Act / Assess
    expect(keyForUpload('env', 'web', undefined)).toBe('web/env');
    expect(keyForUpload('env', undefined, undefined)).toBe('env');
    expect(keyForUpload('ssh-key', 'web', undefined)).toBe('web/private_ssh_key');
    expect(keyForUpload('git-credentials', undefined, undefined)).toBe('git-credentials');
    expect(keyForUpload('secret-file', 'web', 'NPM_TOKEN')).toBe('web/secret-files/NPM_TOKEN');
  });

  it('refuses a secret-file name the hooks would never export', () => {
    // Act / Assess
    expect(() => keyForUpload('secret-file', 'web', 'npm-token')).toThrow(UsageError);
    expect(() => keyForUpload('secret-file', 'web', 'NPM_TOKENS')).toThrow(/ending in one of _SECRET/);
    expect(() => keyForUpload('secret-file', 'web', undefined)).toThrow(/--name/);
  });
});

describe('Function: validateUpload', () => {
  const bytes = (text: string) => Buffer.from(text);

  it('names the bad line of an env file without echoing it', () => {
    // Act / Assess
    expect(() => validateUpload('env', bytes('A=1\nB=secret value\n'), 'env.txt')).toThrow(
      new UnsafeUploadError(
        'env.txt line 2: unexpected text after the value; quote values that contain spaces (one assignment per line)',
      ),
    );
  });

  it('accepts an unencrypted private key and refuses anything else', () => {
    // Act / Assess
    expect(() => validateUpload('ssh-key', bytes('-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n'), 'k')).not.toThrow();
    expect(() => validateUpload('ssh-key', bytes('ssh-ed25519 AAAA public'), 'k')).toThrow(
      /not a PEM\/OpenSSH private key/,
    );
    expect(() =>
      validateUpload('ssh-key', bytes('-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n'), 'k'),
    ).toThrow(/passphrase-protected/);
  });

  it('refuses a passphrase-protected key in the OpenSSH format, whose armour does not say ENCRYPTED', () => {
    // Prepare: ssh-keygen's default format keeps the cipher name inside the base64 blob.
    const directory = mkdtempSync(join(tmpdir(), 's3secrets-put-'));
    try {
      const file = join(directory, 'id_ed25519');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'canary-passphrase', '-f', file]);
      const plain = join(directory, 'plain');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', plain]);

      // Act / Assess
      expect(() => validateUpload('ssh-key', readFileSync(file), 'id_ed25519')).toThrow(
        new UnsafeUploadError('id_ed25519 is passphrase-protected; ssh-agent cannot load it without a terminal'),
      );
      expect(() => validateUpload('ssh-key', readFileSync(plain), 'plain')).not.toThrow();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('requires every git-credentials line to be a credential URL', () => {
    // Act / Assess
    expect(() => validateUpload('git-credentials', bytes('https://u:p@github.com\n'), 'g')).not.toThrow();
    expect(() => validateUpload('git-credentials', bytes('https://u:p@github.com\nnope\n'), 'g')).toThrow(
      /bad lines: 2/,
    );
    expect(() => validateUpload('git-credentials', bytes('\n'), 'g')).toThrow(/no credentials found/);
  });

  it('refuses what the hooks would refuse: objects over 1 MiB and values too long for one variable', () => {
    // Act / Assess
    expect(() => validateUpload('git-credentials', bytes('x'.repeat(1024 * 1024 + 1)), 'g')).toThrow(
      /g is 1048577 bytes; the hooks read objects of at most 1048576 bytes/,
    );
    expect(() => validateUpload('secret-file', bytes('x'.repeat(131_062)), 'f', 'NPM_TOKEN')).toThrow(
      /too long for one environment variable NPM_TOKEN/,
    );
    expect(() => validateUpload('secret-file', bytes('x'.repeat(131_061)), 'f', 'NPM_TOKEN')).not.toThrow();
    expect(() => validateUpload('env', bytes(`A=1\nNPM_TOKEN=${'x'.repeat(131_062)}\n`), 'e')).toThrow(
      /e line 2: the value of NPM_TOKEN is too long/,
    );
  });
});
