export { type Clock, systemClock } from './clock';
export { type DeadlineOutcome, runWithDeadline } from './deadline';
export { ContinuationError, CustomResourceError, ResponseDeliveryError } from './errors';
export {
  CONTINUATION_KEY,
  CREATE_FAILED_PHYSICAL_ID_PREFIX,
  type CustomResourceHandlerOptions,
  type CustomResourceInvocation,
  type CustomResourceOutcome,
  createCustomResourceHandler,
  type InvocationContext,
  type RunnerLogger,
  type SelfInvoker,
} from './handler';
export {
  type AnswerAddress,
  type CreateRequest,
  type CustomResourceRequest,
  customResourceRequestSchema,
  type DeleteRequest,
  describeIssues,
  type ParsedRequest,
  parseCustomResourceRequest,
  type UpdateRequest,
} from './request';
export { createHttpResponder, type HttpResponderOptions, type Responder, redactUrl } from './responder';
export {
  type AnswerInput,
  type CustomResourceResponse,
  MAX_RESPONSE_BYTES,
  type ResponseData,
  serializeResponse,
} from './response';
