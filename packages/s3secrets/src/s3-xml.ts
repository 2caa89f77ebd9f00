import type { ListPage } from './secret-store';

/**
 * The two S3 XML documents the per-job path reads: a ListObjectsV2 page and an error body. S3 writes them in a fixed,
 * flat shape, so the elements are found by name; anything else is reported as malformed rather than guessed at.
 */

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML character data to text: the five named entities and numeric character references. */
export function decodeXmlText(text: string): string {
  return text.replace(/&(?:#x([0-9a-fA-F]{1,6})|#(\d{1,7})|(amp|lt|gt|quot|apos));/g, (_match, hex, decimal, name) => {
    if (name) return ENTITIES[name] ?? '';
    const codePoint = Number.parseInt(hex ?? decimal, hex ? 16 : 10);
    return codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : '\uFFFD';
  });
}

function elementText(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return match?.[1] === undefined ? undefined : decodeXmlText(match[1]);
}

/** Thrown for a response body that is not the XML document it should be; the message never quotes the body. */
export class MalformedResponseError extends Error {
  override name = 'MalformedResponseError';
}

/**
 * The keys of one ListObjectsV2 page, in S3's order.
 * @throws MalformedResponseError when the body is not a ListBucketResult, or says it is truncated without a token
 */
export function parseListObjectsV2(xml: string): ListPage {
  if (!/<ListBucketResult[\s>]/.test(xml)) {
    throw new MalformedResponseError(`ListObjectsV2 answered ${xml.length} bytes that are not a ListBucketResult`);
  }
  const keys: string[] = [];
  for (const [, contents = ''] of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
    const key = elementText(contents, 'Key');
    if (key === undefined) throw new MalformedResponseError('ListObjectsV2 answered a <Contents> without a <Key>');
    keys.push(key);
  }
  const truncated = elementText(xml, 'IsTruncated') === 'true';
  const nextContinuationToken = truncated ? elementText(xml, 'NextContinuationToken') : undefined;
  if (truncated && !nextContinuationToken) {
    throw new MalformedResponseError('ListObjectsV2 answered IsTruncated without a NextContinuationToken');
  }
  return { keys, nextContinuationToken };
}

/** `<Error><Code>…</Code><Message>…</Message></Error>`; empty when the body is not one (HEAD answers have none). */
export function parseErrorXml(xml: string): { code?: string; message?: string } {
  const code = elementText(xml, 'Code');
  const message = elementText(xml, 'Message');
  return { ...(code ? { code } : {}), ...(message ? { message } : {}) };
}
