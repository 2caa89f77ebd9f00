import * as z from 'zod/mini';
import { ConfigurationError } from './errors';

export interface SuspenderConfig {
  region: string;
  /** Time kept back from the Lambda's remaining time to answer CloudFormation. */
  answerMarginMs: number;
}

const environmentSchema = z.object({
  AWS_REGION: z
    .string({ error: 'is required (Lambda sets it; locally export AWS_REGION=us-east-1)' })
    .check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1')),
  ANSWER_MARGIN_SECONDS: z._default(
    z.coerce
      .number({ error: 'must be a number of seconds' })
      .check(
        z.int({ error: 'must be a whole number of seconds' }),
        z.minimum(1, 'must be at least 1'),
        z.maximum(60, 'must be at most 60'),
      ),
    5,
  ),
});

export type ConfigResult = { ok: true; config: SuspenderConfig } | { ok: false; error: ConfigurationError };

/** Reads the environment once; the error names every bad variable and how to fix it. */
export function loadConfig(environment: Record<string, string | undefined>): ConfigResult {
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ');
    return { ok: false, error: new ConfigurationError(`invalid configuration: ${problems}`) };
  }
  return {
    ok: true,
    config: { region: parsed.data.AWS_REGION, answerMarginMs: parsed.data.ANSWER_MARGIN_SECONDS * 1_000 },
  };
}
