import * as z from 'zod/mini';
import { ConfigurationError } from './errors';

export type AgentPlatform = 'linux' | 'windows';

export interface StopAgentsConfig {
  region: string;
  /** How long a drain may take in total, across continuations. */
  drainTimeoutMs: number;
  /** Time between two looks at the old group. */
  pollIntervalMs: number;
  platform: AgentPlatform;
  /** The agent's service (systemd unit on Linux, Windows service name). */
  agentServiceName: string;
  /** What to answer when instances are still draining at the deadline. */
  onDrainTimeout: 'fail' | 'succeed';
  /** Time kept back from each invocation to answer CloudFormation or queue the continuation. */
  answerMarginMs: number;
}

const seconds = (fallback: number, minimum: number, maximum: number) =>
  z._default(
    z.coerce
      .number({ error: 'must be a number of seconds' })
      .check(
        z.int({ error: 'must be a whole number of seconds' }),
        z.minimum(minimum, `must be at least ${minimum}`),
        z.maximum(maximum, `must be at most ${maximum}`),
      ),
    fallback,
  );

const environmentSchema = z.object({
  AWS_REGION: z
    .string({ error: 'is required (Lambda sets it; locally export AWS_REGION=us-east-1)' })
    .check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1')),
  // CloudFormation waits at most one hour for a custom resource (ServiceTimeout ≤ 3600 s): stay under it.
  DRAIN_TIMEOUT_SECONDS: seconds(3_000, 60, 3_540),
  POLL_INTERVAL_SECONDS: seconds(15, 5, 300),
  AGENT_PLATFORM: z._default(z.enum(['linux', 'windows'], { error: 'must be linux or windows' }), 'linux'),
  // Goes into a shell command line: only characters a unit or service name needs, nothing a shell interprets.
  AGENT_SERVICE_NAME: z._default(
    z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9@._-]{0,63}$/, 'must be a service name ([A-Za-z0-9@._-], ≤ 64)')),
    'buildkite-agent',
  ),
  ON_DRAIN_TIMEOUT: z._default(z.enum(['fail', 'succeed'], { error: 'must be fail or succeed' }), 'fail'),
  ANSWER_MARGIN_SECONDS: seconds(15, 5, 120),
});

export type ConfigResult = { ok: true; config: StopAgentsConfig } | { ok: false; error: ConfigurationError };

/** Reads the environment once; the error names every bad variable and how to fix it. */
export function loadConfig(environment: Record<string, string | undefined>): ConfigResult {
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ');
    return { ok: false, error: new ConfigurationError(`invalid configuration: ${problems}`) };
  }
  const values = parsed.data;
  return {
    ok: true,
    config: {
      region: values.AWS_REGION,
      drainTimeoutMs: values.DRAIN_TIMEOUT_SECONDS * 1_000,
      pollIntervalMs: values.POLL_INTERVAL_SECONDS * 1_000,
      platform: values.AGENT_PLATFORM,
      agentServiceName: values.AGENT_SERVICE_NAME,
      onDrainTimeout: values.ON_DRAIN_TIMEOUT,
      answerMarginMs: values.ANSWER_MARGIN_SECONDS * 1_000,
    },
  };
}
