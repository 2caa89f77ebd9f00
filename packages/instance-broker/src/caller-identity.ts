/**
 * Who called the broker, from the IAM identity the function URL (`AuthType: AWS_IAM`) verified. An EC2 instance
 * profile's role session is named after the instance, so the session name of the fleet instance role IS the caller's
 * instance id: the only instance the broker will ever act on for this request.
 */
export type CallerIdentity = { ok: true; instanceId: string } | { ok: false; reason: string };

/** `arn:<partition>:sts::<account>:assumed-role/<role name>/<session name>`; role names hold no `/`. */
const ASSUMED_ROLE_ARN = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/([^/]+)$/;
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

/**
 * Reads `requestContext.authorizer.iam.userArn` (typed `unknown`: the event is JSON from outside this code) and
 * accepts only a session of `instanceRoleName` whose session name is an instance id. Refusal reasons name the
 * problem, never the caller's keys (the authorizer block also holds the caller's access key id).
 */
export function callerIdentity(requestContext: unknown, instanceRoleName: string): CallerIdentity {
  const iam = property(property(requestContext, 'authorizer'), 'iam');
  if (iam === undefined) {
    // AuthType NONE (a misdeploy) delivers no IAM identity: refuse rather than act for an unauthenticated caller.
    return { ok: false, reason: 'the request carries no IAM identity (the function URL must use AuthType AWS_IAM)' };
  }
  const userArn = property(iam, 'userArn');
  if (typeof userArn !== 'string') return { ok: false, reason: 'the IAM identity has no caller ARN' };
  const match = ASSUMED_ROLE_ARN.exec(userArn);
  if (!match) return { ok: false, reason: 'the caller is not an assumed-role session (only fleet instances may call)' };
  const [, , , roleName, sessionName] = match;
  if (roleName !== instanceRoleName) {
    return { ok: false, reason: "the caller's role is not the fleet's instance role" };
  }
  if (sessionName === undefined || !INSTANCE_ID.test(sessionName)) {
    return { ok: false, reason: "the caller's role session is not named after an instance (not an instance profile)" };
  }
  return { ok: true, instanceId: sessionName };
}

function property(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  return (value as Record<string, unknown>)[key] ?? undefined;
}
