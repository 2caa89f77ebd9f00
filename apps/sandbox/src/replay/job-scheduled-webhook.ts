/** What Buildkite sends for `job.scheduled`, reduced to the fields a receiver reads; the queue is an agent query rule. */
export function jobScheduledWebhookBody(job: { id: string; queue: string }): string {
  return JSON.stringify({
    event: 'job.scheduled',
    job: { id: job.id, type: 'script', state: 'scheduled', agent_query_rules: [`queue=${job.queue}`] },
    sender: { id: 'elastic-ci-sandbox', name: 'elastic-ci sandbox replay' },
  });
}

/**
 * What Buildkite sends as `ping` when a webhook notification service is saved, reduced to the fields a receiver
 * reads.
 */
export function pingWebhookBody(): string {
  return JSON.stringify({
    event: 'ping',
    service: { id: 'elastic-ci-sandbox', provider: 'webhook' },
    sender: { id: 'elastic-ci-sandbox', name: 'elastic-ci sandbox replay' },
  });
}

/**
 * The signer of the STAND-IN engineer (`signBuildkiteWebhook`): headers as Buildkite sends them, `X-Buildkite-Event`
 * `job.scheduled` unless `event` names another.
 */
export type SignWebhook = (input: {
  body: string;
  secret: string;
  timestamp: number;
  event?: string;
}) => Record<string, string>;

/** The sandbox's webhook entry: invokes the `webhook` bundle as a Lambda function URL would. */
export type DeliverWebhook = (request: { body: string; headers: Record<string, string> }) => Promise<{
  statusCode: number;
  /** How the function ended when it gave no answer of its own (`timed-out`, `init-failed`, `failed`, `killed`, …). */
  functionOutcome?: string;
}>;

export interface WebhookForwarderOptions {
  readonly queue: string;
  readonly secret: string;
  readonly sign: SignWebhook;
  readonly deliver: DeliverWebhook;
  /** Real epoch seconds for the signature timestamp: the handler checks it against its own (real) clock. */
  readonly nowEpochSec: () => number;
  /** Buildkite's delivery latency (the policy's `control.webhook.latencySec`), already in REAL milliseconds. */
  readonly latencyMs: number;
  readonly delay: (ms: number) => Promise<void>;
}

export interface WebhookTally {
  sent: number;
  /** Answers other than 2xx, and deliveries that threw: the scheduled poll still covers those jobs. */
  failed: number;
  lastFailure?: string;
}

/**
 * One signed `job.scheduled` per job of the queue that becomes scheduled, delivered after the latency. Deliveries run
 * concurrently, as Buildkite's do; `settled()` waits for all of them.
 */
export function createWebhookForwarder(options: WebhookForwarderOptions) {
  const tally: WebhookTally = { sent: 0, failed: 0 };
  const inFlight = new Set<Promise<void>>();

  const deliverOne = async (job: { id: string; queue: string }) => {
    await options.delay(options.latencyMs);
    const body = jobScheduledWebhookBody(job);
    const headers = options.sign({ body, secret: options.secret, timestamp: Math.floor(options.nowEpochSec()) });
    try {
      const { statusCode, functionOutcome } = await options.deliver({ body, headers });
      tally.sent += 1;
      if (statusCode < 200 || statusCode >= 300) {
        tally.failed += 1;
        // A function URL's 502 covers a timeout, a failed start and a crash alike: the report says which it was.
        tally.lastFailure = `HTTP ${statusCode}${functionOutcome === undefined ? '' : ` (the function ${functionOutcome})`}`;
      }
    } catch (error) {
      tally.failed += 1;
      tally.lastFailure = error instanceof Error ? error.message : String(error);
    }
  };

  return {
    tally,
    jobScheduled(job: { id: string; queue: string }): void {
      if (job.queue !== options.queue) return;
      const delivery = deliverOne(job).finally(() => inFlight.delete(delivery));
      inFlight.add(delivery);
    },
    async settled(): Promise<void> {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}
