import * as z from 'zod/mini';
import { ConfigurationError } from './errors';

/** The tag every Auto Scaling group of a fleet carries; its value is the fleet's id (`FLEET_ID`). */
export const FLEET_TAG_KEY = 'elastic-ci:fleet';

export interface BrokerConfig {
  region: string;
  /** The fleet instance role's name: only sessions of this role may call the broker. */
  instanceRoleName: string;
  /** The value of the `elastic-ci:fleet` tag the caller's group must carry. */
  fleetId: string;
}

const environmentSchema = z.object({
  AWS_REGION: z
    .string({ error: 'is required (Lambda sets it; locally export AWS_REGION=us-east-1)' })
    .check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1')),
  INSTANCE_ROLE_NAME: z
    .string({ error: "is required: set it to the name (not the ARN) of the fleet's agent instance role" })
    .check(
      z.regex(
        /^[\w+=,.@-]{1,64}$/,
        'must be an IAM role name (1–64 of A-Z a-z 0-9 + = , . @ _ -), not an ARN or a path: set the role name only',
      ),
    ),
  FLEET_ID: z
    .string({
      error: `is required: set it to the value of the ${FLEET_TAG_KEY} tag on the fleet's Auto Scaling groups`,
    })
    .check(
      z.regex(
        /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u,
        `must be a tag value (1–256 letters, digits, spaces and _ . : / = + - @): the ${FLEET_TAG_KEY} tag of the fleet's groups`,
      ),
    ),
});

export type ConfigResult = { ok: true; config: BrokerConfig } | { ok: false; error: ConfigurationError };

/** Reads the environment once; the error names every bad variable and how to fix it. */
export function loadConfig(environment: Record<string, string | undefined>): ConfigResult {
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ');
    return { ok: false, error: new ConfigurationError(`invalid configuration: ${problems}`) };
  }
  return {
    ok: true,
    config: {
      region: parsed.data.AWS_REGION,
      instanceRoleName: parsed.data.INSTANCE_ROLE_NAME,
      fleetId: parsed.data.FLEET_ID,
    },
  };
}
