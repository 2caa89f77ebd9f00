import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callerIdentity } from './caller-identity';

const ROLE = 'elastic-ci-agents-InstanceRole';
const iamContext = (userArn: unknown) => ({ authorizer: { iam: { userArn, accessKey: 'ASIA0000', accountId: '1' } } });

const REFUSALS = [
  'the caller is not an assumed-role session (only fleet instances may call)',
  "the caller's role is not the fleet's instance role",
  "the caller's role session is not named after an instance (not an instance profile)",
];

const partition = fc.constantFrom('aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b');
const account = fc.stringMatching(/^\d{12}$/);
const instanceId = fc.stringMatching(/^i-[0-9a-f]{8,17}$/);
const roleName = fc.stringMatching(/^[\w+=,.@-]{1,64}$/);

describe('Function: callerIdentity', () => {
  it('takes the instance id from a session of the fleet instance role, in any partition and account (property)', () => {
    fc.assert(
      fc.property(partition, account, instanceId, (part, acct, id) => {
        const identity = callerIdentity(iamContext(`arn:${part}:sts::${acct}:assumed-role/${ROLE}/${id}`), ROLE);

        expect(identity).toEqual({ ok: true, instanceId: id });
      }),
    );
  });

  it('never accepts a session of another role (property)', () => {
    fc.assert(
      fc.property(
        roleName.filter((name) => name !== ROLE),
        instanceId,
        (other, id) => {
          const identity = callerIdentity(iamContext(`arn:aws:sts::123456789012:assumed-role/${other}/${id}`), ROLE);

          expect(identity).toEqual({ ok: false, reason: "the caller's role is not the fleet's instance role" });
        },
      ),
    );
  });

  it('never accepts a session name that is not exactly an instance id (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }).filter((session) => !/^i-[0-9a-f]{8,17}$/.test(session)),
        (session) => {
          const identity = callerIdentity(
            iamContext(`arn:aws:sts::123456789012:assumed-role/${ROLE}/${session}`),
            ROLE,
          );

          expect(identity.ok).toBe(false);
        },
      ),
    );
  });

  it('accepts no identity for any ARN a fleet instance session cannot have (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (arn) => {
        const identity = callerIdentity(iamContext(arn), ROLE);

        // Whatever it is, an accepted ARN is exactly the fleet role's session named after an instance.
        if (identity.ok) {
          expect(arn).toMatch(new RegExp(`^arn:aws[a-z-]*:sts::\\d{12}:assumed-role/${ROLE}/i-[0-9a-f]{8,17}$`));
        } else {
          // A refusal is one of a few fixed sentences: it never echoes the caller's ARN.
          expect(REFUSALS).toContain(identity.reason);
        }
      }),
    );
  });

  it.each([
    ['an IAM user', 'arn:aws:iam::123456789012:user/alice'],
    ['the role itself (not a session)', `arn:aws:iam::123456789012:role/${ROLE}`],
    [
      'a role whose name only starts like the fleet role',
      `arn:aws:sts::123456789012:assumed-role/${ROLE}x/i-0123456789abcdef0`,
    ],
    [
      'a session name with an instance id inside',
      `arn:aws:sts::123456789012:assumed-role/${ROLE}/xi-0123456789abcdef0`,
    ],
    ['an upper-case instance id', `arn:aws:sts::123456789012:assumed-role/${ROLE}/i-0123456789ABCDEF0`],
    ['an extra path segment', `arn:aws:sts::123456789012:assumed-role/${ROLE}/i-0123456789abcdef0/extra`],
    ['a too-short instance id', `arn:aws:sts::123456789012:assumed-role/${ROLE}/i-0123456`],
    ['a too-long instance id', `arn:aws:sts::123456789012:assumed-role/${ROLE}/i-0123456789abcdef01`],
    ['a non-STS service', `arn:aws:iam::123456789012:assumed-role/${ROLE}/i-0123456789abcdef0`],
  ])('refuses %s', (_, arn) => {
    expect(callerIdentity(iamContext(arn), ROLE).ok).toBe(false);
  });

  it.each([
    ['no authorizer (AuthType NONE)', { http: { method: 'POST' } }],
    ['no request context', undefined],
    ['an authorizer without iam', { authorizer: { jwt: {} } }],
  ])('refuses a request with %s', (_, requestContext) => {
    expect(callerIdentity(requestContext, ROLE)).toEqual({
      ok: false,
      reason: 'the request carries no IAM identity (the function URL must use AuthType AWS_IAM)',
    });
  });

  it('refuses an IAM identity without a caller ARN', () => {
    expect(callerIdentity({ authorizer: { iam: { userArn: 42 } } }, ROLE)).toEqual({
      ok: false,
      reason: 'the IAM identity has no caller ARN',
    });
  });
});
