import * as z from 'zod';

const count = z.number().int().nonnegative();

/**
 * The part of `GET /metrics/queue` the scaler uses. Every count is required: a body without them is malformed, never
 * "zero jobs" (which would read as permission to scale in).
 */
export const queueMetricsResponseSchema = z.object({
  organization: z.object({ slug: z.string().min(1) }),
  agents: z.object({ idle: count, busy: count, total: count }),
  jobs: z.object({ scheduled: count, running: count, waiting: count }),
});

export type QueueMetricsResponse = z.infer<typeof queueMetricsResponseSchema>;
