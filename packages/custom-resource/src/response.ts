import type { AnswerAddress } from './request';

/** CloudFormation rejects response bodies larger than this many bytes. */
export const MAX_RESPONSE_BYTES = 4_096;

export type ResponseData = Record<string, string | number | boolean>;

/** The documented response object, field for field. */
export interface CustomResourceResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  NoEcho: boolean;
  Data: ResponseData;
}

export interface AnswerInput {
  address: AnswerAddress;
  status: 'SUCCESS' | 'FAILED';
  /** Why; the log pointer is appended and always survives truncation. */
  reason: string;
  physicalResourceId: string;
  /** Where the details are, e.g. `log group /aws/lambda/x, stream 2026/...`. */
  logPointer: string;
  data?: ResponseData;
  noEcho?: boolean;
}

const ELLIPSIS = '…';

/**
 * Serialises the answer so it always fits CloudFormation's 4 KB limit: the reason is cut first (keeping the log
 * pointer); if Data alone is too large the answer becomes FAILED, because a SUCCESS without its Data would let
 * `Fn::GetAtt` read values that are not there. A Delete keeps its status and loses only the Data.
 */
export function serializeResponse(input: AnswerInput): { body: string; response: CustomResourceResponse } {
  const pointer = ` (details: ${input.logPointer})`;
  const response: CustomResourceResponse = {
    Status: input.status,
    Reason: `${input.reason}${pointer}`,
    PhysicalResourceId: input.physicalResourceId,
    StackId: input.address.stackId,
    RequestId: input.address.requestId,
    LogicalResourceId: input.address.logicalResourceId,
    NoEcho: input.noEcho ?? false,
    Data: input.data ?? {},
  };
  const fitted = fitReason(response, input.reason, pointer);
  if (fitted) return fitted;
  const dataBytes = byteLength(JSON.stringify(response.Data));
  const tooLarge = `${dataBytes} bytes; CloudFormation accepts at most ${MAX_RESPONSE_BYTES} bytes for the whole answer`;
  if (input.address.requestType === 'Delete') {
    // Nothing can read a deleted resource's attributes, and a FAILED Delete blocks the stack: drop the Data instead.
    const withoutData: CustomResourceResponse = { ...response, Data: {}, NoEcho: false };
    const dropped = fitReason(withoutData, `${input.reason}; its Data was left out: ${tooLarge}`, pointer);
    if (dropped) return dropped;
  }
  const failed: CustomResourceResponse = { ...response, Status: 'FAILED', Data: {}, NoEcho: false };
  const reason = `the response Data is ${tooLarge}`;
  const fittedFailure = fitReason(failed, reason, pointer) ?? fitReason(failed, reason, '');
  if (fittedFailure) return fittedFailure;
  // Unreachable with ids capped by the request schema; kept so the limit holds for any input.
  const minimal = { ...failed, Reason: '', PhysicalResourceId: failed.PhysicalResourceId.slice(0, 256) };
  return { body: JSON.stringify(minimal), response: minimal };
}

function fitReason(
  response: CustomResourceResponse,
  reason: string,
  pointer: string,
): { body: string; response: CustomResourceResponse } | undefined {
  const whole = { ...response, Reason: `${reason}${pointer}` };
  const wholeBody = JSON.stringify(whole);
  if (byteLength(wholeBody) <= MAX_RESPONSE_BYTES) return { body: wholeBody, response: whole };
  const withoutReason = JSON.stringify({ ...response, Reason: `${ELLIPSIS}${pointer}` });
  const spare = MAX_RESPONSE_BYTES - byteLength(withoutReason);
  if (spare < 0) return undefined;
  // JSON escaping can grow a character to 6 bytes; shrink until the serialised form fits.
  let keep = Math.min(reason.length, spare);
  for (;;) {
    const cut = `${truncateCodePoints(reason, keep)}${ELLIPSIS}${pointer}`;
    const candidate = { ...response, Reason: cut };
    const body = JSON.stringify(candidate);
    if (byteLength(body) <= MAX_RESPONSE_BYTES) return { body, response: candidate };
    keep = Math.floor(keep * 0.8);
  }
}

function truncateCodePoints(text: string, maxUnits: number): string {
  if (text.length <= maxUnits) return text;
  let cut = text.slice(0, maxUnits);
  // Never leave half of a surrogate pair: it serialises as an escaped lone surrogate.
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return cut;
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
