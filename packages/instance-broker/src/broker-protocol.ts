import * as z from 'zod';

/**
 * The instance broker's wire contract, defined once: the Lambda parses requests with it and the instance-side client
 * builds them from it. A request never names an instance: the broker acts for the caller only, whose instance id it
 * takes from the caller's signed identity (the instance profile's role session is named after the instance), so a
 * job holding the instance's credentials cannot reach another instance of its fleet.
 *
 * Version 1. A field added later is optional; a removed or renamed one is a new version (the `version` field), so an
 * image and a stack of different releases fail loudly instead of misreading each other.
 */
export const BROKER_PROTOCOL_VERSION = 1;

/** Auto Scaling's limits: a hook name is 1–255 of `A-Za-z0-9-_/`, a group name 1–255 printable characters. */
const LIFECYCLE_HOOK_NAME = /^[A-Za-z0-9\-_/]{1,255}$/;
const GROUP_NAME = /^[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]{1,255}$/u;
const LIFECYCLE_ACTION_TOKEN = /^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$/i;

const groupName = z
  .string()
  .regex(GROUP_NAME, 'must be an Auto Scaling group name (1–255 characters)')
  .describe("The caller's Auto Scaling group (the instance knows it; the broker checks it belongs to its fleet).");
const lifecycleHookName = z
  .string()
  .regex(LIFECYCLE_HOOK_NAME, 'must be a lifecycle hook name (1–255 of A-Z a-z 0-9 - _ /)');
const lifecycleActionToken = z
  .string()
  .regex(LIFECYCLE_ACTION_TOKEN, 'must be a lifecycle action token (a UUID)')
  .optional();

const common = {
  version: z.literal(BROKER_PROTOCOL_VERSION, { error: `must be ${BROKER_PROTOCOL_VERSION}` }),
  autoScalingGroupName: groupName,
};

export const brokerRequestSchema = z.discriminatedUnion(
  'action',
  [
    z
      .object({
        ...common,
        action: z.literal('set-instance-protection'),
        protectedFromScaleIn: z.boolean(),
      })
      .strict(),
    z.object({ ...common, action: z.literal('set-instance-unhealthy') }).strict(),
    z
      .object({
        ...common,
        action: z.literal('terminate-instance'),
        decrementDesiredCapacity: z.boolean(),
      })
      .strict(),
    z
      .object({
        ...common,
        action: z.literal('record-lifecycle-action-heartbeat'),
        lifecycleHookName,
        lifecycleActionToken,
      })
      .strict(),
    z
      .object({
        ...common,
        action: z.literal('complete-lifecycle-action'),
        lifecycleHookName,
        lifecycleActionResult: z.enum(['CONTINUE', 'ABANDON']),
        lifecycleActionToken,
      })
      .strict(),
  ],
  {
    error:
      'must be one of set-instance-protection, set-instance-unhealthy, terminate-instance, record-lifecycle-action-heartbeat, complete-lifecycle-action',
  },
);

export type BrokerRequest = z.infer<typeof brokerRequestSchema>;
export type BrokerAction = BrokerRequest['action'];
/** A request as a caller builds it: the version is added by the client. */
export type BrokerCall = BrokerRequest extends infer Request
  ? Request extends BrokerRequest
    ? Omit<Request, 'version'>
    : never
  : never;

/**
 * 200: the call was made (`done`), or there was nothing to do: the instance waits in no lifecycle action of that
 * hook (`no-pending-action`: a reboot, a completed or timed-out action — no failure, as with the direct call).
 */
export const brokerSuccessSchema = z
  .object({ outcome: z.enum(['done', 'no-pending-action']), instanceId: z.string() })
  .strict();
export type BrokerSuccess = z.infer<typeof brokerSuccessSchema>;

/**
 * Any other status: what went wrong, and whether the same request may succeed later (`retryable`: throttling, a 5xx
 * of Auto Scaling, a timeout). `awsErrorName` is Auto Scaling's error name when the call itself failed, so callers
 * classify it as they classify the SDK's errors. Never holds a credential or a request body.
 */
export const brokerFailureSchema = z
  .object({
    error: z.string(),
    retryable: z.boolean(),
    awsErrorName: z.string().optional(),
  })
  .strict();
export type BrokerFailure = z.infer<typeof brokerFailureSchema>;

/** HTTP statuses the broker answers with, by meaning. */
export const BROKER_STATUS = {
  ok: 200,
  /** The body is no valid request (names the field). Not retryable. */
  badRequest: 400,
  /** The caller is no instance of this fleet, or the group is not the fleet's. Not retryable. */
  forbidden: 403,
  /** Not a POST (the only method the broker answers). Not retryable. */
  methodNotAllowed: 405,
  /** Auto Scaling refused the call (`awsErrorName`, `retryable` as classified). */
  awsFailure: 502,
  /** The broker's own configuration is invalid (names the variable). Not retryable until redeployed. */
  misconfigured: 500,
} as const;
