import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';

/**
 * Turns a private key file into the body of an ssh-agent `SSH2_AGENTC_ADD_IDENTITY` request (RFC draft
 * draft-miller-ssh-agent, section 3.2), so keys reach the agent over its socket without an `ssh-add` process per key.
 * Handles what `ssh-keygen` writes and what deploy-key guides tell people to upload: unencrypted OpenSSH keys and PEM
 * (PKCS#1, SEC1, PKCS#8) keys of type Ed25519, RSA and ECDSA. Anything else is `unsupported`, and the caller hands it
 * to `ssh-add`, which also gives the user its own error for an encrypted key.
 */
export type AgentIdentity =
  | { status: 'parsed'; keyType: string; body: Buffer }
  | { status: 'unsupported'; reason: string };

const OPENSSH_ARMOUR = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/;
const PEM_ARMOUR = /-----BEGIN (RSA |EC |)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/;
const AUTH_MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');
const CURVE_BY_JWK: Readonly<Record<string, string>> = {
  'P-256': 'nistp256',
  'P-384': 'nistp384',
  'P-521': 'nistp521',
};

/** The wire encoding of SSH `string` and `uint32` values (RFC 4251 section 5). */
function sshString(data: Buffer | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.byteLength);
  return Buffer.concat([length, bytes]);
}

/** An unsigned big-endian integer as an SSH `mpint`: no leading zero bytes, one added when the top bit is set. */
function sshMpint(unsigned: Buffer): Buffer {
  let start = 0;
  while (start < unsigned.byteLength && unsigned[start] === 0) start += 1;
  const trimmed = unsigned.subarray(start);
  const topBitSet = trimmed.byteLength > 0 && ((trimmed[0] ?? 0) & 0x80) !== 0;
  return sshString(topBitSet ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** Reads SSH wire values from a buffer; `undefined` past the end instead of throwing. */
class WireReader {
  offset = 0;
  constructor(private readonly buffer: Buffer) {}
  uint32(): number | undefined {
    if (this.offset + 4 > this.buffer.byteLength) return undefined;
    const value = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }
  string(): Buffer | undefined {
    const length = this.uint32();
    if (length === undefined || this.offset + length > this.buffer.byteLength) return undefined;
    const value = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
}

/** How many `string`/`mpint` fields follow the key type in an OpenSSH private key, by key type. */
const PRIVATE_FIELD_COUNT: Readonly<Record<string, number>> = {
  'ssh-ed25519': 2,
  'ssh-rsa': 6,
  'ecdsa-sha2-nistp256': 3,
  'ecdsa-sha2-nistp384': 3,
  'ecdsa-sha2-nistp521': 3,
};

function fromOpenSsh(base64: string, comment: string): AgentIdentity {
  const blob = Buffer.from(base64.replace(/\s+/g, ''), 'base64');
  if (!blob.subarray(0, AUTH_MAGIC.byteLength).equals(AUTH_MAGIC)) {
    return { status: 'unsupported', reason: 'not an openssh-key-v1 key' };
  }
  const reader = new WireReader(blob);
  reader.offset = AUTH_MAGIC.byteLength;
  const cipher = reader.string()?.toString('latin1');
  reader.string(); // KDF name
  reader.string(); // KDF options
  const keyCount = reader.uint32();
  if (cipher === undefined || keyCount === undefined)
    return { status: 'unsupported', reason: 'the key file is truncated' };
  if (cipher !== 'none') return { status: 'unsupported', reason: 'the key is encrypted' };
  if (keyCount !== 1) return { status: 'unsupported', reason: `the file holds ${keyCount} keys` };
  reader.string(); // public key
  const privateSection = reader.string();
  if (!privateSection) return { status: 'unsupported', reason: 'the key file is truncated' };
  const section = new WireReader(privateSection);
  const check = [section.uint32(), section.uint32()];
  if (check[0] === undefined || check[0] !== check[1]) {
    return { status: 'unsupported', reason: 'the key file is corrupt (check values differ)' };
  }
  const keyStart = section.offset;
  const keyType = section.string()?.toString('latin1') ?? '';
  const fieldCount = PRIVATE_FIELD_COUNT[keyType];
  if (fieldCount === undefined) return { status: 'unsupported', reason: `key type ${keyType || 'unknown'}` };
  for (let field = 0; field < fieldCount; field += 1) {
    if (!section.string()) return { status: 'unsupported', reason: 'the key file is truncated' };
  }
  // The key fields are already in the agent's layout; only the comment is ours (where the key came from).
  return {
    status: 'parsed',
    keyType,
    body: Buffer.concat([privateSection.subarray(keyStart, section.offset), sshString(comment)]),
  };
}

const fromBase64Url = (value: string | undefined): Buffer => Buffer.from(value ?? '', 'base64url');

function fromJwk(jwk: JsonWebKey, comment: string): AgentIdentity {
  if (jwk.kty === 'RSA' && jwk.n && jwk.e && jwk.d && jwk.p && jwk.q && jwk.qi) {
    const fields = [jwk.n, jwk.e, jwk.d, jwk.qi, jwk.p, jwk.q].map((value) => sshMpint(fromBase64Url(value)));
    return {
      status: 'parsed',
      keyType: 'ssh-rsa',
      body: Buffer.concat([sshString('ssh-rsa'), ...fields, sshString(comment)]),
    };
  }
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && jwk.d && jwk.x) {
    const publicKey = fromBase64Url(jwk.x);
    return {
      status: 'parsed',
      keyType: 'ssh-ed25519',
      body: Buffer.concat([
        sshString('ssh-ed25519'),
        sshString(publicKey),
        sshString(Buffer.concat([fromBase64Url(jwk.d), publicKey])),
        sshString(comment),
      ]),
    };
  }
  const curve = jwk.kty === 'EC' && jwk.crv ? CURVE_BY_JWK[jwk.crv] : undefined;
  if (curve && jwk.x && jwk.y && jwk.d) {
    const keyType = `ecdsa-sha2-${curve}`;
    const point = Buffer.concat([Buffer.from([4]), fromBase64Url(jwk.x), fromBase64Url(jwk.y)]);
    return {
      status: 'parsed',
      keyType,
      body: Buffer.concat([
        sshString(keyType),
        sshString(curve),
        sshString(point),
        sshMpint(fromBase64Url(jwk.d)),
        sshString(comment),
      ]),
    };
  }
  return { status: 'unsupported', reason: `key type ${jwk.kty ?? 'unknown'}${jwk.crv ? ` ${jwk.crv}` : ''}` };
}

/**
 * The `SSH2_AGENTC_ADD_IDENTITY` body for a private key file, with `comment` as the key's comment in the agent
 * (`ssh-add -l` shows it). Never throws and never puts key material in a reason.
 */
export function agentIdentityFor(keyFile: Uint8Array, comment: string): AgentIdentity {
  const text = Buffer.from(keyFile).toString('latin1');
  const openSsh = OPENSSH_ARMOUR.exec(text);
  if (openSsh) return fromOpenSsh(openSsh[1] ?? '', comment);
  const pem = PEM_ARMOUR.exec(text);
  if (!pem) return { status: 'unsupported', reason: 'not an OpenSSH or PEM private key' };
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem[0], format: 'pem' });
  } catch {
    // Encrypted or malformed: ssh-add says which, in its own words.
    return { status: 'unsupported', reason: 'the PEM key is encrypted or malformed' };
  }
  if (!['rsa', 'ed25519', 'ec'].includes(key.asymmetricKeyType ?? '')) {
    return { status: 'unsupported', reason: `key type ${key.asymmetricKeyType ?? 'unknown'}` };
  }
  return fromJwk(key.export({ format: 'jwk' }), comment);
}

/**
 * Whether a private key file needs a passphrase: an OpenSSH key names its cipher inside the base64 blob (its armour
 * looks the same either way), a PEM key says so in its armour or its `Proc-Type` header.
 */
export function isPassphraseProtected(keyFile: Uint8Array): boolean {
  const text = Buffer.from(keyFile).toString('latin1');
  const openSsh = OPENSSH_ARMOUR.exec(text);
  if (openSsh) {
    const blob = Buffer.from((openSsh[1] ?? '').replace(/\s+/g, ''), 'base64');
    if (!blob.subarray(0, AUTH_MAGIC.byteLength).equals(AUTH_MAGIC)) return false;
    const reader = new WireReader(blob);
    reader.offset = AUTH_MAGIC.byteLength;
    const cipher = reader.string()?.toString('latin1');
    return cipher !== undefined && cipher !== 'none';
  }
  return /-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(text) || /^Proc-Type:\s*4,ENCRYPTED\s*$/m.test(text);
}

/** The framed `SSH2_AGENTC_ADD_IDENTITY` (17) message for a parsed identity. */
export function addIdentityMessage(body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(body.byteLength + 1);
  header[4] = 17;
  return Buffer.concat([header, body]);
}
