export {
  type AgentMetricsClient,
  type AgentMetricsClientOptions,
  createAgentMetricsClient,
  DEFAULT_AGENT_ENDPOINT,
  DEFAULT_USER_AGENT,
  MAX_REQUEST_TIMEOUT_MS,
  MAX_RESPONSE_BYTES,
  POLL_DURATION_HEADER,
  parseRetryAfter,
  type QueueMetricsResult,
  queueMetricsUrl,
} from './agent-metrics-client';
export {
  BuildkiteApiError,
  InvalidTokenError,
  MalformedResponseError,
  NetworkError,
  RateLimitedError,
  RequestTimeoutError,
  ServerError,
  TokenRejectedError,
  UnexpectedStatusError,
} from './errors';
export { type QueueMetricsResponse, queueMetricsResponseSchema } from './queue-metrics-schema';
export {
  DEFAULT_REPLAY_WINDOW_SEC,
  SIGNATURE_HEADER,
  signWebhookBody,
  TOKEN_HEADER,
  type VerifyWebhookInput,
  verifyWebhook,
  type WebhookRejection,
  type WebhookVerification,
  webhookSignatureHeader,
} from './webhook-verification';
