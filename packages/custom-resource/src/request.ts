import { en } from 'zod/locales';
import * as z from 'zod/mini';

// zod/mini keeps Lambda bundles small (the classic API is ~86 KB minified, all locales ~270 KB); it ships no
// messages, so the English ones are loaded once here for every schema in the process.
z.config(en());

/**
 * CloudFormation custom-resource request events, as documented in "Custom resource request objects".
 * Lengths are capped at CloudFormation's own limits so an answer built from them always fits in 4 KB.
 */
const MAX_ID_LENGTH = 1_024;

/** The pre-signed S3 URL. Plain http is accepted only on loopback, where tests stand in for S3. */
export const responseUrlSchema = z
  .string()
  .check(
    z.maxLength(8_192),
    z.refine(isAcceptableResponseUrl, { error: 'must be an https URL (http only on loopback)' }),
  );

function isAcceptableResponseUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

const resourceProperties = z.record(z.string(), z.unknown());
const identifier = z.string().check(z.minLength(1), z.maxLength(MAX_ID_LENGTH));

const commonFields = {
  // Sent by CloudFormation in practice but not among the documented request fields: accepted, never required.
  ServiceToken: z.optional(identifier),
  ResponseURL: responseUrlSchema,
  StackId: identifier,
  RequestId: identifier,
  ResourceType: z.string().check(z.minLength(1), z.maxLength(255)),
  LogicalResourceId: z.string().check(z.minLength(1), z.maxLength(255)),
  ResourceProperties: resourceProperties,
};

export const createRequestSchema = z.object({ RequestType: z.literal('Create'), ...commonFields });
export const updateRequestSchema = z.object({
  RequestType: z.literal('Update'),
  ...commonFields,
  PhysicalResourceId: identifier,
  OldResourceProperties: resourceProperties,
});
export const deleteRequestSchema = z.object({
  RequestType: z.literal('Delete'),
  ...commonFields,
  PhysicalResourceId: identifier,
});

export const customResourceRequestSchema = z.discriminatedUnion('RequestType', [
  createRequestSchema,
  updateRequestSchema,
  deleteRequestSchema,
]);

export type CreateRequest = z.infer<typeof createRequestSchema>;
export type UpdateRequest = z.infer<typeof updateRequestSchema>;
export type DeleteRequest = z.infer<typeof deleteRequestSchema>;
export type CustomResourceRequest = z.infer<typeof customResourceRequestSchema>;

/** What is needed to answer CloudFormation even when the rest of the event is unusable. */
export interface AnswerAddress {
  responseUrl: string;
  stackId: string;
  requestId: string;
  logicalResourceId: string;
  /** Present on Update and Delete; a failed Create has none yet. */
  physicalResourceId: string | undefined;
  requestType: string | undefined;
}

const truncatedString = (maxLength: number) =>
  z.optional(
    z.pipe(
      z.unknown(),
      z.transform((value) => (typeof value === 'string' ? value.slice(0, maxLength) : undefined)),
    ),
  );

const answerAddressSchema = z.looseObject({
  ResponseURL: responseUrlSchema,
  StackId: truncatedString(MAX_ID_LENGTH),
  RequestId: truncatedString(MAX_ID_LENGTH),
  LogicalResourceId: truncatedString(255),
  PhysicalResourceId: truncatedString(MAX_ID_LENGTH),
  RequestType: truncatedString(32),
});

export type ParsedRequest =
  | { ok: true; request: CustomResourceRequest; address: AnswerAddress }
  | { ok: false; problem: string; address: AnswerAddress }
  | { ok: false; problem: string; address: undefined };

/**
 * Validates an event. A malformed event still yields an address to send FAILED to whenever it carries a usable
 * ResponseURL; only without one is CloudFormation unreachable (`address: undefined`).
 */
export function parseCustomResourceRequest(event: unknown): ParsedRequest {
  const parsed = customResourceRequestSchema.safeParse(event);
  if (parsed.success) {
    const request = parsed.data;
    return {
      ok: true,
      request,
      address: {
        responseUrl: request.ResponseURL,
        stackId: request.StackId,
        requestId: request.RequestId,
        logicalResourceId: request.LogicalResourceId,
        physicalResourceId: request.RequestType === 'Create' ? undefined : request.PhysicalResourceId,
        requestType: request.RequestType,
      },
    };
  }
  const problem = `malformed CloudFormation custom-resource event: ${describeIssues(parsed.error)}`;
  const salvaged = answerAddressSchema.safeParse(event);
  if (!salvaged.success) return { ok: false, problem, address: undefined };
  const fields = salvaged.data;
  return {
    ok: false,
    problem,
    address: {
      responseUrl: fields.ResponseURL,
      stackId: fields.StackId ?? '',
      requestId: fields.RequestId ?? '',
      logicalResourceId: fields.LogicalResourceId ?? '',
      physicalResourceId: fields.PhysicalResourceId,
      requestType: fields.RequestType,
    },
  };
}

/** One line naming every bad field: `ResponseURL: must be ...; RequestType: expected ...`. */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(event)'}: ${issue.message}`)
    .join('; ');
}
