/** One line of a git-credentials file (`https://user:password@host[:port][/path]`), percent-decoded. */
export interface StoredCredential {
  protocol: string;
  /** Host name with `:port` when the URL has one, as git sends it in `host=`. */
  host: string;
  /** Path without the leading slash, or undefined when the URL has none. */
  path: string | undefined;
  username: string;
  password: string;
}

/** What git asks for on the helper's stdin (`key=value` lines). */
export interface CredentialRequest {
  protocol?: string;
  host?: string;
  path?: string;
  username?: string;
}

export interface ParsedCredentials {
  credentials: StoredCredential[];
  /** 1-based numbers of lines that are not credential URLs (never their text: it holds passwords). */
  invalidLines: number[];
}

/** Parses a git-credentials file; a last line without a newline counts, blank lines and `#` comments are ignored. */
export function parseGitCredentials(text: string): ParsedCredentials {
  const credentials: StoredCredential[] = [];
  const invalidLines: number[] = [];
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const credential = parseCredentialUrl(line);
    if (credential) credentials.push(credential);
    else invalidLines.push(index + 1);
  });
  return { credentials, invalidLines };
}

function parseCredentialUrl(line: string): StoredCredential | undefined {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^@/]*)@([^/?#]+)(\/[^?#]*)?$/.exec(line);
  if (!match?.[1] || match[2] === undefined || !match[3]) return undefined;
  const userInfo = match[2];
  const separator = userInfo.indexOf(':');
  const rawUser = separator === -1 ? userInfo : userInfo.slice(0, separator);
  const rawPassword = separator === -1 ? '' : userInfo.slice(separator + 1);
  const username = percentDecode(rawUser);
  const password = percentDecode(rawPassword);
  const host = percentDecode(match[3])?.toLowerCase();
  if (username === undefined || password === undefined || !host || rawUser === '') return undefined;
  const rawPath = match[4]?.replace(/^\//, '');
  const path = rawPath ? percentDecode(rawPath) : undefined;
  if (rawPath && path === undefined) return undefined;
  return { protocol: match[1].toLowerCase(), host, path, username, password };
}

function percentDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** Parses git's `key=value` request lines; unknown keys are ignored as git's protocol requires. */
export function parseCredentialRequest(text: string): CredentialRequest {
  const request: CredentialRequest = {};
  for (const line of text.split(/\r?\n/)) {
    const separator = line.indexOf('=');
    if (separator <= 0) continue;
    const key = line.slice(0, separator);
    const value = line.slice(separator + 1);
    if (key === 'protocol') request.protocol = value.toLowerCase();
    else if (key === 'host') request.host = value.toLowerCase();
    else if (key === 'path') request.path = value.replace(/^\//, '');
    else if (key === 'username') request.username = value;
  }
  return request;
}

/**
 * The first stored credential that answers the request, with git-credential-store's rule: every attribute git sent
 * must equal the stored one (a port is part of the host; the path only counts when git sends it, i.e. with
 * `credential.useHttpPath`). A request without a host matches nothing: credentials never go to an unknown server.
 */
export function findCredential(
  credentials: readonly StoredCredential[],
  request: CredentialRequest,
): StoredCredential | undefined {
  if (!request.host) return undefined;
  return credentials.find(
    (credential) =>
      credential.host === request.host &&
      (request.protocol === undefined || credential.protocol === request.protocol) &&
      (request.username === undefined || credential.username === request.username) &&
      (request.path === undefined || credential.path === undefined || credential.path === request.path),
  );
}

/** The helper's answer to `get`: only the attributes git needs, each value free of newlines by construction. */
export function formatCredentialResponse(credential: StoredCredential): string {
  const safe = (value: string) => value.replace(/[\r\n\0]/g, '');
  return `username=${safe(credential.username)}\npassword=${safe(credential.password)}\n`;
}
