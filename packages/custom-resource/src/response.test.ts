import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnswerAddress } from './request';
import { MAX_RESPONSE_BYTES, serializeResponse } from './response';

const address: AnswerAddress = {
  responseUrl: 'https://example.invalid/x',
  stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/s/1',
  requestId: 'request-1',
  logicalResourceId: 'Resource',
  physicalResourceId: 'physical-1',
  requestType: 'Update',
};
const logPointer = 'log group /aws/lambda/f, stream 2026/11/23/[$LATEST]abc';

describe('Function: serializeResponse', () => {
  it('writes every documented field', () => {
    const { body } = serializeResponse({
      address,
      status: 'SUCCESS',
      reason: 'done',
      physicalResourceId: 'physical-1',
      logPointer,
      data: { Drained: true },
    });

    expect(JSON.parse(body)).toEqual({
      Status: 'SUCCESS',
      Reason: `done (details: ${logPointer})`,
      PhysicalResourceId: 'physical-1',
      StackId: address.stackId,
      RequestId: 'request-1',
      LogicalResourceId: 'Resource',
      NoEcho: false,
      Data: { Drained: true },
    });
  });

  it('cuts a long reason to fit 4 KB and keeps the log pointer', () => {
    const { body, response } = serializeResponse({
      address,
      status: 'FAILED',
      reason: 'x'.repeat(10_000),
      physicalResourceId: 'physical-1',
      logPointer,
    });

    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(response.Reason).toMatch(/^x+… \(details: log group/);
  });

  it('turns an answer whose Data cannot fit into FAILED saying why', () => {
    const data = Object.fromEntries(Array.from({ length: 200 }, (_, index) => [`Key${index}`, 'v'.repeat(40)]));

    const { body, response } = serializeResponse({
      address,
      status: 'SUCCESS',
      reason: 'done',
      physicalResourceId: 'physical-1',
      logPointer,
      data,
    });

    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(response.Status).toBe('FAILED');
    expect(response.Data).toEqual({});
    expect(response.Reason).toMatch(/Data is \d+ bytes; CloudFormation accepts at most 4096/);
  });

  it('keeps a Delete SUCCESS whose Data cannot fit, without the Data (a FAILED Delete blocks the stack)', () => {
    const data = Object.fromEntries(Array.from({ length: 200 }, (_, index) => [`Key${index}`, 'v'.repeat(40)]));

    const { body, response } = serializeResponse({
      address: { ...address, requestType: 'Delete' },
      status: 'SUCCESS',
      reason: 'deleted',
      physicalResourceId: 'physical-1',
      logPointer,
      data,
    });

    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'physical-1', Data: {} });
    expect(response.Reason).toMatch(/^deleted; its Data was left out: \d+ bytes; CloudFormation accepts at most 4096/);
    expect(response.Reason.endsWith(`(details: ${logPointer})`)).toBe(true);
  });

  it('always produces parseable JSON within 4 KB that keeps status when Data fits', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 3_000 }),
        fc.dictionary(
          fc.string({ maxLength: 20 }),
          fc.oneof(fc.string({ maxLength: 50 }), fc.integer(), fc.boolean()),
          {
            maxKeys: 10,
          },
        ),
        fc.constantFrom<'SUCCESS' | 'FAILED'>('SUCCESS', 'FAILED'),
        (reason, data, status) => {
          const { body } = serializeResponse({ address, status, reason, physicalResourceId: 'p', logPointer, data });

          const parsed = JSON.parse(body) as { Status: string; Reason: string; Data: unknown };
          expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
          expect(parsed.Status).toBe(status);
          expect(parsed.Data).toEqual(data);
          expect(parsed.Reason.endsWith(`(details: ${logPointer})`)).toBe(true);
        },
      ),
    );
  });
});
