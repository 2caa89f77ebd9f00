import { createHash, createHmac } from 'node:crypto';
import { encodeRfc3986 } from './s3-address';

/**
 * AWS Signature Version 4 for S3 requests without a body (GET, HEAD), as specified in "Authenticating Requests (AWS
 * Signature Version 4)" of the S3 API reference. Its own small implementation because the per-job path signs 17
 * requests per run and the SDK's signer brings module initialisation that costs more than all of them; it is checked
 * against the SDK's signer (property test) and against botocore through moto with authentication on.
 */

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface RequestToSign {
  method: string;
  /** The `Host` header value. */
  host: string;
  /** Percent-encoded once, exactly as sent (S3 signs the path without normalising or re-encoding it). */
  path: string;
  query: Readonly<Record<string, string>>;
  region: string;
  /** hex SHA-256 of the payload, sent as `x-amz-content-sha256`. */
  payloadHash: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SERVICE = 's3';

/** SHA-256 of an empty payload: every request the per-job path sends is a GET or HEAD without a body. */
export const EMPTY_PAYLOAD_SHA256 = createHash('sha256').update('').digest('hex');

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** The last derived key, by secret, day and region: a run signs every request with the same one. */
let lastSigningKey: { scope: string; key: Buffer } | undefined;

function signingKey(secretAccessKey: string, day: string, region: string): Buffer {
  const scope = `${day}/${region}/${secretAccessKey}`;
  if (lastSigningKey?.scope !== scope) {
    lastSigningKey = {
      scope,
      key: hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, day), region), SERVICE), 'aws4_request'),
    };
  }
  return lastSigningKey.key;
}

/** `20261206T112301Z` for a date. */
export function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * The headers that sign `request` at `date`: `host`, `x-amz-date`, `x-amz-content-sha256`, the session token when there
 * is one, and `authorization`. The secret key never appears in them.
 */
export function signRequest(request: RequestToSign, credentials: AwsCredentials, date: Date): Record<string, string> {
  const timestamp = amzDate(date);
  const day = timestamp.slice(0, 8);
  const headers: Record<string, string> = {
    host: request.host,
    'x-amz-content-sha256': request.payloadHash,
    'x-amz-date': timestamp,
    ...(credentials.sessionToken ? { 'x-amz-security-token': credentials.sessionToken } : {}),
  };
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  const canonicalQuery = Object.entries(request.query)
    .map(([name, value]) => [encodeRfc3986(name), encodeRfc3986(value)] as const)
    .sort(([nameA, valueA], [nameB, valueB]) =>
      nameA < nameB ? -1 : nameA > nameB ? 1 : valueA < valueB ? -1 : valueA > valueB ? 1 : 0,
    )
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalRequest = [
    request.method,
    request.path,
    canonicalQuery,
    ...names.map((name) => `${name}:${(headers[name] ?? '').trim().replace(/\s+/g, ' ')}`),
    '',
    signedHeaders,
    request.payloadHash,
  ].join('\n');
  const scope = `${day}/${request.region}/${SERVICE}/aws4_request`;
  const stringToSign = [ALGORITHM, timestamp, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join(
    '\n',
  );
  const signature = createHmac('sha256', signingKey(credentials.secretAccessKey, day, request.region))
    .update(stringToSign)
    .digest('hex');
  return {
    ...headers,
    authorization: `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}
