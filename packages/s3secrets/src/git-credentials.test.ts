import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  findCredential,
  formatCredentialResponse,
  parseCredentialRequest,
  parseGitCredentials,
} from './git-credentials';

describe('Function: parseGitCredentials', () => {
  it('keeps port and path, percent-decodes user and password, and reads a last line without newline', () => {
    // Prepare
    const text = 'https://bob:s%40cret%2Fx@github.com\n# comment\n\nhttps://ci:pw@git.example.com:8443/team/repo.git';

    // Act
    const parsed = parseGitCredentials(text);

    // Assess
    expect(parsed.invalidLines).toEqual([]);
    expect(parsed.credentials).toEqual([
      { protocol: 'https', host: 'github.com', path: undefined, username: 'bob', password: 's@cret/x' },
      { protocol: 'https', host: 'git.example.com:8443', path: 'team/repo.git', username: 'ci', password: 'pw' },
    ]);
  });

  it('reports bad lines by number only, never their text', () => {
    // Act
    const parsed = parseGitCredentials('https://ok:pw@host\nnot a url with secret-pw\nhttps://host-without-user\n');

    // Assess
    expect(parsed.invalidLines).toEqual([2, 3]);
    expect(parsed.credentials).toHaveLength(1);
  });

  it('round-trips any username and password through percent-encoding', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 20 }), (username, password) => {
        // Prepare
        const line = `https://${encodeURIComponent(username)}:${encodeURIComponent(password)}@example.com`;

        // Act
        const [credential] = parseGitCredentials(line).credentials;

        // Assess
        expect(credential?.username).toBe(username);
        expect(credential?.password).toBe(password);
      }),
    );
  });
});

describe('Function: findCredential', () => {
  const { credentials } = parseGitCredentials(
    [
      'https://global:g@github.com',
      'https://team:t@git.example.com:8443/team/repo.git',
      'https://other:o@git.example.com',
      'http://plain:p@insecure.example.com',
    ].join('\n'),
  );

  it('answers only for the requested host, port included', () => {
    // Act / Assess
    expect(findCredential(credentials, { protocol: 'https', host: 'github.com' })?.username).toBe('global');
    expect(findCredential(credentials, { protocol: 'https', host: 'git.example.com:8443' })?.username).toBe('team');
    expect(findCredential(credentials, { protocol: 'https', host: 'git.example.com' })?.username).toBe('other');
    expect(findCredential(credentials, { protocol: 'https', host: 'gitlab.com' })).toBeUndefined();
    expect(findCredential(credentials, { protocol: 'https' })).toBeUndefined();
  });

  it('matches the path only when git sends one, and the protocol when given', () => {
    // Act / Assess
    expect(
      findCredential(credentials, { protocol: 'https', host: 'git.example.com:8443', path: 'team/other.git' }),
    ).toBeUndefined();
    expect(
      findCredential(credentials, { protocol: 'https', host: 'git.example.com:8443', path: 'team/repo.git' })?.username,
    ).toBe('team');
    expect(findCredential(credentials, { protocol: 'https', host: 'insecure.example.com' })).toBeUndefined();
  });
});

describe('Function: parseCredentialRequest', () => {
  it('reads git key=value lines and ignores unknown keys', () => {
    // Act
    const request = parseCredentialRequest('protocol=https\nhost=Git.Example.com:8443\npath=/a/b.git\nwwwauth[]=x\n\n');

    // Assess
    expect(request).toEqual({ protocol: 'https', host: 'git.example.com:8443', path: 'a/b.git' });
  });
});

describe('Function: formatCredentialResponse', () => {
  it('writes username and password lines with no newline injected from a value', () => {
    // Act
    const response = formatCredentialResponse({
      protocol: 'https',
      host: 'h',
      path: undefined,
      username: 'u\nhost=evil',
      password: 'p',
    });

    // Assess
    expect(response).toBe('username=uhost=evil\npassword=p\n');
  });
});
