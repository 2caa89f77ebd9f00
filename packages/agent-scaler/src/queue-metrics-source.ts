import { type AgentMetricsClient, type QueueMetricsResult, TokenRejectedError } from '@elastic-ci/buildkite-api';
import type { CachedSecret } from './token-cache';

export interface QueueMetricsSource {
  read(): Promise<QueueMetricsResult>;
}

/**
 * Reads the queue's metrics with the cached agent token. On 401/403 it re-reads the token from SSM once: if the token
 * was rotated the request is retried with the new one; if SSM still holds the rejected token the error stands.
 */
export function createQueueMetricsSource(
  client: AgentMetricsClient,
  token: CachedSecret,
  queue: string,
): QueueMetricsSource {
  return {
    async read() {
      const firstToken = await token.get();
      try {
        return await client.getQueueMetrics(firstToken, queue);
      } catch (error) {
        if (!(error instanceof TokenRejectedError)) throw error;
        token.invalidate();
        const freshToken = await token.get();
        if (freshToken === firstToken) throw error;
        return client.getQueueMetrics(freshToken, queue);
      }
    },
  };
}
