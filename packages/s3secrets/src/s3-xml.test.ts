import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeXmlText, MalformedResponseError, parseErrorXml, parseListObjectsV2 } from './s3-xml';

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const listing = (keys: string[], tail = '<IsTruncated>false</IsTruncated>') =>
  '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
  `<Name>b</Name><Prefix>web/</Prefix>${tail}` +
  keys
    .map(
      (key) =>
        `<Contents><Key>${escapeXml(key)}</Key><LastModified>2026-12-06T00:00:00.000Z</LastModified>` +
        '<ETag>&quot;abc&quot;</ETag><Size>3</Size><StorageClass>STANDARD</StorageClass></Contents>',
    )
    .join('') +
  '</ListBucketResult>';

describe('Function: parseListObjectsV2', () => {
  it("returns the page's keys in S3's order, entities decoded", () => {
    // Act
    const page = parseListObjectsV2(listing(['web/secret-files/A_TOKEN', 'web/secret-files/B & <C>_SECRET']));

    // Assess
    expect(page).toEqual({
      keys: ['web/secret-files/A_TOKEN', 'web/secret-files/B & <C>_SECRET'],
      nextContinuationToken: undefined,
    });
  });

  it('returns the continuation token of a truncated page', () => {
    // Act
    const page = parseListObjectsV2(
      listing(
        ['a'],
        '<IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>',
      ),
    );

    // Assess
    expect(page.nextContinuationToken).toBe('1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=');
  });

  it('reads back any key S3 could list (property)', () => {
    // Act / Assess
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), { maxLength: 8 }), (keys) => {
        expect(parseListObjectsV2(listing(keys)).keys).toEqual(keys);
      }),
    );
  });

  it('refuses a body that is not a listing, without quoting it', () => {
    // Act / Assess
    expect(() => parseListObjectsV2('<html>proxy login secret-ish</html>')).toThrow(MalformedResponseError);
    expect(() => parseListObjectsV2('<html>proxy login secret-ish</html>')).toThrow(/^ListObjectsV2 answered 35 bytes/);
    expect(() => parseListObjectsV2(listing([], '<IsTruncated>true</IsTruncated>'))).toThrow(/NextContinuationToken/);
    expect(() =>
      parseListObjectsV2('<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>'),
    ).toThrow(/without a <Key>/);
  });
});

describe('Function: parseErrorXml', () => {
  it("reads S3's error code and message, and nothing from an empty body", () => {
    // Act / Assess
    expect(
      parseErrorXml('<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>'),
    ).toEqual({ code: 'SlowDown', message: 'Please reduce your request rate.' });
    expect(parseErrorXml('')).toEqual({});
  });
});

describe('Function: decodeXmlText', () => {
  it('decodes named and numeric references', () => {
    // Act / Assess
    expect(decodeXmlText('a&amp;b&lt;&gt;&quot;&apos;&#65;&#x1F600;&#x110000;')).toBe('a&b<>"\'A😀\uFFFD');
  });
});
