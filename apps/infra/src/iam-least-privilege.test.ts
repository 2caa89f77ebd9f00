import { beforeAll, describe, expect, it } from 'vitest';
import { UNSCOPED_INSTANCE_ACTIONS } from './agent-fleet/fleet-instance-role';
import {
  MAXIMAL_PROPS,
  MINIMAL_PROPS,
  resourcesOfType,
  type SynthesizedStack,
  synthesizeStack,
  type TemplateValue,
} from './test-support/synthesize';

/**
 * Actions the control plane may grant on `*`, each because AWS has no resource-level permission for it. Adding one
 * here needs the same justification in code (the statement's cdk-nag acknowledgement).
 */
const UNSCOPED_CONTROL_PLANE_ACTIONS = [
  'autoscaling:DescribeAutoScalingGroups',
  'autoscaling:DescribeAutoScalingInstances',
  'autoscaling:DescribeScalingActivities',
  'autoscaling:DescribeWarmPool',
  'ec2:DescribeInstances',
  'ssm:ListCommandInvocations',
];
const ALLOWED_ON_STAR = new Set<string>([...UNSCOPED_CONTROL_PLANE_ACTIONS, ...UNSCOPED_INSTANCE_ACTIONS]);

interface Grant {
  policy: string;
  actions: string[];
  resources: unknown[];
}

function grantsOf(synthesized: SynthesizedStack): Grant[] {
  const grants: Grant[] = [];
  const collect = (policy: string, document: TemplateValue) => {
    for (const statement of document.Statement as TemplateValue[]) {
      if (statement.Effect !== 'Allow' || statement.Principal !== undefined) continue;
      grants.push({ policy, actions: [statement.Action].flat(), resources: [statement.Resource].flat() });
    }
  };
  for (const [id, policy] of Object.entries(resourcesOfType(synthesized.json, 'AWS::IAM::Policy'))) {
    collect(id, policy.Properties.PolicyDocument);
  }
  for (const [id, policy] of Object.entries(resourcesOfType(synthesized.json, 'AWS::IAM::ManagedPolicy'))) {
    collect(id, policy.Properties.PolicyDocument);
  }
  for (const [id, role] of Object.entries(resourcesOfType(synthesized.json, 'AWS::IAM::Role'))) {
    for (const inline of role.Properties.Policies ?? []) collect(`${id}/${inline.PolicyName}`, inline.PolicyDocument);
  }
  return grants;
}

describe.each<[string, () => SynthesizedStack]>([
  ['default', () => synthesizeStack(MINIMAL_PROPS)],
  ['maximal', () => synthesizeStack(MAXIMAL_PROPS)],
  ['elastic-ci profile', () => synthesizeStack({ ...MINIMAL_PROPS, scalingProfile: 'elastic-ci' })],
  ['no instance broker', () => synthesizeStack({ ...MINIMAL_PROPS, instanceBroker: false })],
])('least privilege (%s stack)', (_name, synthesize) => {
  let grants: Grant[];
  beforeAll(() => {
    grants = grantsOf(synthesize());
  }, 300_000);

  it('grants on "*" only actions AWS offers no resource-level permission for', () => {
    const offending = grants
      .filter((grant) => grant.resources.includes('*'))
      .flatMap((grant) =>
        grant.actions.filter((action) => !ALLOWED_ON_STAR.has(action)).map((action) => `${grant.policy}: ${action}`),
      );
    expect(offending).toEqual([]);
  });

  it('grants no service-wide action wildcard (e.g. "s3:*")', () => {
    const wildcards = grants.flatMap((grant) =>
      grant.actions.filter((action) => action.endsWith(':*') || action === '*'),
    );
    expect(wildcards).toEqual([]);
  });

  it('scopes every control-plane mutation to the stack’s own resources', () => {
    const mutations = [
      'autoscaling:SetDesiredCapacity',
      'autoscaling:TerminateInstanceInAutoScalingGroup',
      'autoscaling:CompleteLifecycleAction',
      'autoscaling:RecordLifecycleActionHeartbeat',
      'autoscaling:SetInstanceProtection',
      'autoscaling:SetInstanceHealth',
      'autoscaling:PutWarmPool',
      'autoscaling:SuspendProcesses',
      'autoscaling:UpdateAutoScalingGroup',
      'ssm:PutParameter',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
      'lambda:InvokeFunction',
    ];
    for (const grant of grants.filter((candidate) => candidate.actions.some((action) => mutations.includes(action)))) {
      for (const resource of grant.resources) {
        expect(resource, `${grant.policy} ${grant.actions.join(',')}`).not.toBe('*');
        // Group ARNs name the stack's group (Ref) or the stack's own name prefix.
        const text = JSON.stringify(resource);
        if (text.includes(':autoScalingGroup:')) {
          expect(text).toMatch(/autoScalingGroupName\/(",\{"Ref":"AgentFleetAutoScalingGroup|elastic-ci-test-\*)/);
        }
      }
    }
  });
});

describe('least privilege (agent token in a SecureString with its own KMS key)', () => {
  const tokenKeyArn = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
  let synthesized: SynthesizedStack;
  beforeAll(() => {
    synthesized = synthesizeStack({ ...MINIMAL_PROPS, agentTokenParameterKmsKeyArn: tokenKeyArn });
  }, 300_000);

  it('lets every reader decrypt with the key only through Parameter Store, and only the token parameter', () => {
    // A bare kms:Decrypt on the key lets a job on an instance decrypt any ciphertext made with that key, not just
    // the token: the key is the customer's and usually protects other parameters too.
    const decrypts = [
      ...Object.values(resourcesOfType(synthesized.json, 'AWS::IAM::Policy')).flatMap(
        (policy) => policy.Properties.PolicyDocument.Statement as TemplateValue[],
      ),
    ].filter((statement) => [statement.Action].flat().includes('kms:Decrypt'));
    // The instance role and the scheduled scaler's role.
    expect(decrypts).toHaveLength(2);
    for (const statement of decrypts) {
      expect(statement.Resource).toBe(tokenKeyArn);
      expect(statement.Condition).toEqual({
        StringEquals: {
          'kms:ViaService': { 'Fn::Join': ['', ['ssm.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
          'kms:EncryptionContext:PARAMETER_ARN': {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':ssm:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':parameter/buildkite/agent-token',
              ],
            ],
          },
        },
      });
    }
  });
});

describe.each<[string, () => SynthesizedStack]>([
  ['token from the deploy parameter, webhook on', () => synthesizeStack(MAXIMAL_PROPS)],
  [
    'token in an existing secret',
    () =>
      synthesizeStack({
        agentTokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:buildkite/agent-token-AbCdEf',
      }),
  ],
])('least privilege on secrets (%s)', (_name, synthesize) => {
  let grants: Grant[];
  beforeAll(() => {
    grants = grantsOf(synthesize());
  }, 300_000);

  it('grants only secretsmanager:GetSecretValue, the one call the Parameter Store reference and the instances make', () => {
    const secretActions = grants.flatMap((grant) =>
      grant.actions.filter((action) => action.startsWith('secretsmanager:')),
    );
    expect(secretActions.length).toBeGreaterThan(0);
    expect(new Set(secretActions)).toEqual(new Set(['secretsmanager:GetSecretValue']));
  });
});
