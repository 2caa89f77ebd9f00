import * as z from 'zod';
import type { Parsed } from './metadata-parsers';

/** The lifecycle-hook notification Auto Scaling publishes to SNS (and SNS wraps in an envelope for SQS). */
export interface LifecycleHookMessage {
  autoScalingGroupName: string | undefined;
  instanceId: string | undefined;
  lifecycleActionToken: string | undefined;
  lifecycleTransition: string | undefined;
  lifecycleHookName: string | undefined;
  /** RFC 3339 time the lifecycle action started, when given. */
  time: string | undefined;
}

const envelopeSchema = z.object({ Type: z.string().optional(), Message: z.string() });
const lifecycleSchema = z.object({
  Time: z.string().optional(),
  AutoScalingGroupName: z.string().optional(),
  EC2InstanceId: z.string().optional(),
  LifecycleActionToken: z.string().optional(),
  LifecycleTransition: z.string().optional(),
  LifecycleHookName: z.string().optional(),
  Event: z.string().optional(),
});

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Reads an SQS message body: an SNS envelope whose `Message` is the lifecycle notification, or (raw message delivery)
 * the notification itself. Test notifications parse too; the decision step skips them (no instance ID).
 */
export function parseLifecycleHookBody(body: string): Parsed<LifecycleHookMessage> {
  const outer = parseJson(body);
  if (outer === undefined) return { ok: false, reason: 'SQS message body is not JSON' };
  const envelope = envelopeSchema.safeParse(outer);
  const inner = envelope.success ? parseJson(envelope.data.Message) : outer;
  const message = lifecycleSchema.safeParse(inner);
  if (!message.success || inner === undefined) {
    return { ok: false, reason: 'SQS message is not an Auto Scaling lifecycle notification' };
  }
  return {
    ok: true,
    value: {
      autoScalingGroupName: message.data.AutoScalingGroupName,
      instanceId: message.data.EC2InstanceId,
      lifecycleActionToken: message.data.LifecycleActionToken,
      lifecycleTransition: message.data.LifecycleTransition ?? message.data.Event,
      lifecycleHookName: message.data.LifecycleHookName,
      time: message.data.Time,
    },
  };
}
