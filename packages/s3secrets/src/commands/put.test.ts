import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnsafeUploadError, UsageError } from '../errors';
import { createLogger } from '../logger';
import type { CommandContext } from './context';
import { keyForUpload, runPutCommand, validateUpload } from './put';

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

  it('refuses an empty object, which would replace the secret at its key with nothing', () => {
    // Act / Assess
    for (const kind of ['env', 'ssh-key', 'git-credentials'] as const) {
      expect(() => validateUpload(kind, bytes(''), 'stdin')).toThrow(
        new UnsafeUploadError('stdin is empty: there is nothing to upload, and the secret at its key would be lost'),
      );
    }
    expect(() => validateUpload('secret-file', bytes(''), 'stdin', 'NPM_TOKEN')).toThrow(/stdin is empty/);
  });

  it('refuses a secret file with a NUL byte, which env would skip (no shell variable holds one)', () => {
    // Act / Assess
    expect(() => validateUpload('secret-file', Buffer.from([0x61, 0x00, 0x62]), 'f', 'NPM_TOKEN')).toThrow(
      new UnsafeUploadError('f holds a NUL byte, which no environment variable can hold: env would skip NPM_TOKEN'),
    );
    expect(() => validateUpload('secret-file', Buffer.from([0xff, 0xfe, 0x01]), 'f', 'NPM_TOKEN')).not.toThrow();
  });
});

describe('Function: runPutCommand', () => {
  /** A context whose stdin is `stdin`; nothing here reaches S3 (the case fails before the upload). */
  function context(stdin: { bytes?: Uint8Array; terminal?: boolean }): CommandContext & { stderr: string[] } {
    const stderr: string[] = [];
    return {
      environment: { BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: 'secrets', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' },
      writeStdout: () => undefined,
      readStdin: async () => new TextDecoder().decode(stdin.bytes ?? new Uint8Array()),
      readStdinBytes: async () => stdin.bytes ?? new Uint8Array(),
      stdinIsTerminal: stdin.terminal ?? false,
      logger: createLogger((text) => stderr.push(text)),
      selfCommand: ['node', 's3secrets'],
      stderr,
    };
  }

  it('refuses to read a secret from a terminal, where it would not wait for one and upload nothing', async () => {
    // Act
    const reading = runPutCommand(['--kind', 'env', '--pipeline', 'web', '-'], context({ terminal: true }));

    // Assess
    await expect(reading).rejects.toThrow(
      new UsageError(
        'stdin is a terminal: pipe the secret in (s3secrets put … - < FILE) or name the file instead of -',
      ),
    );
  });

  it('refuses a FILE it cannot read as a bad argument (exit 2), naming it, for every kind', async () => {
    for (const kind of ['env', 'ssh-key', 'git-credentials', 'secret-file']) {
      // Act
      const reading = runPutCommand(
        ['--kind', kind, '--pipeline', 'web', '--name', 'NPM_TOKEN', '/nonexistent/secret'],
        context({}),
      );

      // Assess
      await expect(reading).rejects.toThrow(new UsageError('cannot read /nonexistent/secret: no such file (ENOENT)'));
    }
  });
});
