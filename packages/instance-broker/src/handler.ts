import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import type { BrokerAutoScalingPort } from './auto-scaling-port';
import { classifyAutoScalingError } from './aws-error-classification';
import {
  BROKER_STATUS,
  type BrokerFailure,
  type BrokerRequest,
  type BrokerSuccess,
  brokerRequestSchema,
} from './broker-protocol';
import { callerIdentity } from './caller-identity';
import { type ConfigResult, FLEET_TAG_KEY } from './config';

/** The one log record per request: Powertools' `Logger` fits, as does a recording logger in tests. */
export interface BrokerLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

export interface BrokerHandlerDependencies {
  config: ConfigResult;
  autoScaling: BrokerAutoScalingPort;
  logger: BrokerLogger;
  /** Milliseconds since the epoch: request durations and the group cache's age. @default Date.now */
  now?: () => number;
  /**
   * How long a warm container trusts that a group carries this fleet's tag. Every job start and end of every instance
   * is a broker call, and DescribeAutoScalingGroups has a per-account rate limit shared with the scaler: without the
   * cache a busy fleet would throttle the scaler. Only a positive answer is kept (a newly tagged group works at once);
   * a group untagged from the fleet loses access within this time. 0 disables the cache. @default 60_000
   */
  groupCacheTtlMs?: number;
}

/** Largest body accepted: a request is a few hundred bytes; more is no broker request. */
export const MAX_BODY_BYTES = 4 * 1024;

type Answer = { status: number; body: BrokerSuccess | BrokerFailure };

/** What the log record says about a request beyond its answer; never the body, a header or a credential. */
interface RequestFacts {
  action?: BrokerRequest['action'];
  instanceId?: string;
  autoScalingGroupName?: string;
}

/**
 * The function URL handler: method, caller identity (403), body (400), the group's fleet tag (403), then one Auto
 * Scaling call with `InstanceId` = the caller. Every path answers with the protocol's JSON and logs one record.
 */
export function createBrokerHandler(
  dependencies: BrokerHandlerDependencies,
): (event: LambdaFunctionURLEvent) => Promise<LambdaFunctionURLResult> {
  const { config, autoScaling, logger } = dependencies;
  const now = dependencies.now ?? Date.now;
  const groupCacheTtlMs = dependencies.groupCacheTtlMs ?? 60_000;
  const fleetGroupsSeenAt = new Map<string, number>();

  async function isFleetGroup(autoScalingGroupName: string, fleetId: string): Promise<boolean> {
    const seenAt = fleetGroupsSeenAt.get(autoScalingGroupName);
    if (seenAt !== undefined && now() - seenAt < groupCacheTtlMs) return true;
    fleetGroupsSeenAt.delete(autoScalingGroupName);
    const tags = await autoScaling.groupTags(autoScalingGroupName);
    const member = tags?.get(FLEET_TAG_KEY) === fleetId;
    if (member && groupCacheTtlMs > 0) fleetGroupsSeenAt.set(autoScalingGroupName, now());
    return member;
  }

  async function decide(event: LambdaFunctionURLEvent, facts: RequestFacts): Promise<Answer> {
    if (!config.ok) return failure(BROKER_STATUS.misconfigured, config.error.message);
    const method = (event.requestContext as { http?: { method?: unknown } } | undefined)?.http?.method;
    if (method !== 'POST') return failure(BROKER_STATUS.methodNotAllowed, 'the broker answers POST requests only');

    // Who calls comes first: a caller that is no fleet instance learns nothing about the protocol.
    const caller = callerIdentity(event.requestContext, config.config.instanceRoleName);
    if (!caller.ok) return failure(BROKER_STATUS.forbidden, caller.reason);
    facts.instanceId = caller.instanceId;

    const body = readBody(event);
    if (!body.ok) return failure(BROKER_STATUS.badRequest, body.error);
    const parsed = brokerRequestSchema.safeParse(body.json);
    if (!parsed.success)
      return failure(BROKER_STATUS.badRequest, `invalid request: ${describeIssues(parsed.error.issues)}`);
    const request = parsed.data;
    facts.action = request.action;
    facts.autoScalingGroupName = request.autoScalingGroupName;

    const lifecycleCall =
      request.action === 'record-lifecycle-action-heartbeat' || request.action === 'complete-lifecycle-action';
    try {
      if (!(await isFleetGroup(request.autoScalingGroupName, config.config.fleetId))) {
        return failure(
          BROKER_STATUS.forbidden,
          `the group is not one of this fleet's (it carries no ${FLEET_TAG_KEY} tag with this fleet's id)`,
        );
      }
    } catch (error) {
      return awsFailure(error, 'DescribeAutoScalingGroups', false);
    }

    try {
      await act(autoScaling, request, caller.instanceId);
    } catch (error) {
      const classified = classifyAutoScalingError(error, lifecycleCall);
      if (classified.kind === 'no-pending-action') {
        return { status: BROKER_STATUS.ok, body: { outcome: 'no-pending-action', instanceId: caller.instanceId } };
      }
      return awsFailure(error, AUTO_SCALING_OPERATION[request.action], lifecycleCall);
    }
    return { status: BROKER_STATUS.ok, body: { outcome: 'done', instanceId: caller.instanceId } };
  }

  return async (event) => {
    const startedAt = now();
    const facts: RequestFacts = {};
    let answer: Answer;
    try {
      answer = await decide(event, facts);
    } catch (error) {
      // Unreachable by design (every call above is guarded); answered rather than thrown so the caller gets JSON.
      answer = failure(
        500,
        `the broker failed unexpectedly (${error instanceof Error ? error.name : 'unknown error'})`,
        true,
      );
    }
    const record = {
      ...facts,
      status: answer.status,
      ...('outcome' in answer.body
        ? { outcome: answer.body.outcome }
        : {
            outcome: 'refused',
            reason: answer.body.error,
            retryable: answer.body.retryable,
            ...(answer.body.awsErrorName === undefined ? {} : { awsErrorName: answer.body.awsErrorName }),
          }),
      durationMs: now() - startedAt,
    };
    if (answer.status < 400) logger.info('instance broker request', record);
    else if (answer.status < 500) logger.warn('instance broker request', record);
    else logger.error('instance broker request', record);
    return {
      statusCode: answer.status,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(answer.body),
    };
  };
}

const AUTO_SCALING_OPERATION: Record<BrokerRequest['action'], string> = {
  'set-instance-protection': 'SetInstanceProtection',
  'set-instance-unhealthy': 'SetInstanceHealth',
  'terminate-instance': 'TerminateInstanceInAutoScalingGroup',
  'record-lifecycle-action-heartbeat': 'RecordLifecycleActionHeartbeat',
  'complete-lifecycle-action': 'CompleteLifecycleAction',
};

/** The Auto Scaling call, always for `instanceId` (the caller's); the request names no instance. */
async function act(autoScaling: BrokerAutoScalingPort, request: BrokerRequest, instanceId: string): Promise<void> {
  switch (request.action) {
    case 'set-instance-protection':
      return autoScaling.setInstanceProtection(request.autoScalingGroupName, instanceId, request.protectedFromScaleIn);
    case 'set-instance-unhealthy':
      return autoScaling.setInstanceUnhealthy(instanceId);
    case 'terminate-instance':
      return autoScaling.terminateInstance(instanceId, request.decrementDesiredCapacity);
    case 'record-lifecycle-action-heartbeat':
      // The token is never forwarded: Auto Scaling would act on the token's instance (see LifecycleActionCall).
      return autoScaling.recordLifecycleActionHeartbeat({
        autoScalingGroupName: request.autoScalingGroupName,
        lifecycleHookName: request.lifecycleHookName,
        instanceId,
      });
    case 'complete-lifecycle-action':
      return autoScaling.completeLifecycleAction({
        autoScalingGroupName: request.autoScalingGroupName,
        lifecycleHookName: request.lifecycleHookName,
        instanceId,
        lifecycleActionResult: request.lifecycleActionResult,
      });
  }
}

function failure(status: number, error: string, retryable = false): Answer {
  return { status, body: { error, retryable } };
}

function awsFailure(error: unknown, operation: string, lifecycleCall: boolean): Answer {
  const classified = classifyAutoScalingError(error, lifecycleCall);
  if (classified.kind === 'no-pending-action') {
    // Only lifecycle calls classify so, and they answer 200 before coming here.
    return failure(BROKER_STATUS.awsFailure, `${operation} failed`, false);
  }
  return {
    status: BROKER_STATUS.awsFailure,
    body: {
      error: `Auto Scaling refused ${operation}: ${classified.awsErrorName}${classified.message ? `: ${classified.message}` : ''}`,
      retryable: classified.retryable,
      awsErrorName: classified.awsErrorName,
    },
  };
}

function readBody(event: LambdaFunctionURLEvent): { ok: true; json: unknown } | { ok: false; error: string } {
  const raw = event.body;
  if (raw === undefined || raw === null || raw === '')
    return { ok: false, error: 'the body is empty: send a JSON broker request' };
  // Checked before decoding too: base64 of MAX_BODY_BYTES is at most 4/3 of it, rounded up to a 4-character block.
  if (raw.length > Math.ceil(MAX_BODY_BYTES / 3) * 4) return tooLarge();
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) return tooLarge();
  try {
    return { ok: true, json: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) };
  } catch {
    return { ok: false, error: 'the body is not JSON (UTF-8): send a JSON broker request' };
  }
}

function tooLarge(): { ok: false; error: string } {
  return { ok: false, error: `the body is larger than ${MAX_BODY_BYTES} bytes: no broker request is` };
}

/**
 * Names each bad field and what it must be. Unknown fields are counted, not named: their names come from the
 * request, which is never echoed.
 */
function describeIssues(issues: readonly { code: string; path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .map((issue) =>
      issue.code === 'unrecognized_keys'
        ? `${issue.path.length ? `${issue.path.join('.')}: ` : ''}has fields this protocol version does not know (a newer client than broker?)`
        : `${issue.path.length ? issue.path.join('.') : 'request'} ${issue.message}`,
    )
    .join('; ');
}
