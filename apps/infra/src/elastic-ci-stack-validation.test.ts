import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ElasticCiStack, ElasticCiStackOptionsError, validateElasticCiStackProps } from './elastic-ci-stack';
import type { ElasticCiStackProps } from './elastic-ci-stack-props';

function constructionError(props: ElasticCiStackProps): ElasticCiStackOptionsError {
  const app = new cdk.App();
  try {
    new ElasticCiStack(app, 'bad', props);
  } catch (error) {
    expect(error).toBeInstanceOf(ElasticCiStackOptionsError);
    // Nothing was built: the stack was refused before any resource existed.
    expect(app.node.findAll().filter((construct) => construct instanceof cdk.CfnResource)).toEqual([]);
    return error as ElasticCiStackOptionsError;
  }
  throw new Error('the stack accepted invalid props');
}

describe('ElasticCiStack validation', () => {
  it('refuses conflicting options with ONE error listing every problem, each naming the bad value', () => {
    const error = constructionError({
      minSize: 5,
      maxSize: 2,
      instanceTypes: ['m7g.large', 'c5.xlarge', 'q9.huge'],
      agentSigningJwksSsmParameterName: '/ci/jwks',
      pipelineSigningKmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      scheduledScalingActions: [
        { name: 'morning', schedule: '0 25 * * MON-FRI', timeZone: 'Mars/Olympus', minSize: 1 },
      ],
      scaleOutFactor: 0,
      logRetentionDays: 42,
      scalerScheduleIntervalSec: 90,
    });
    expect(error.name).toBe('ElasticCiStackOptionsError');
    const message = error.message;
    expect(message).toMatch(/^invalid elastic-ci stack options \(\d+ problems\):/);
    expect(message).toContain('agent token: no source set'); // no token source
    expect(message).toMatch(/minSize 5 is greater than maxSize 2/); // min > max
    expect(message).toContain('q9.huge'); // unknown instance type
    expect(message).toMatch(/m7g\.large[\s\S]*c5\.xlarge|c5\.xlarge[\s\S]*m7g\.large/); // mixed architectures
    expect(message).toContain('schedule hour "25"'); // bad cron
    expect(message).toContain('Mars/Olympus'); // bad time zone
    expect(message).toMatch(/agentSigningJwksSsmParameterName|pipelineSigningKmsKeyId/); // signing key and JWKS
    expect(message).toContain('scaleOutFactor is 0');
    expect(message).toContain('logRetentionDays is 42');
    expect(message).toContain('scalerScheduleIntervalSec is 90');
    for (const problem of error.problems) expect(problem[0]).toBe(problem[0]?.toLowerCase());
  });

  it('refuses a webhookReservedConcurrency outside 1–1000 or without the webhook', () => {
    // Prepare: 0 would throttle every webhook request; a fraction or a huge reservation is a typo
    const cases: [ElasticCiStackProps, string][] = [
      [
        { agentTokenParameterName: '/ci/token', webhookEnabled: true, webhookReservedConcurrency: 0 },
        'webhookReservedConcurrency is 0; it must be a whole number from 1 to 1000',
      ],
      [
        { agentTokenParameterName: '/ci/token', webhookEnabled: true, webhookReservedConcurrency: 2.5 },
        'webhookReservedConcurrency is 2.5',
      ],
      [
        { agentTokenParameterName: '/ci/token', webhookEnabled: true, webhookReservedConcurrency: 5000 },
        'webhookReservedConcurrency is 5000',
      ],
      [
        { agentTokenParameterName: '/ci/token', webhookReservedConcurrency: 10 },
        'webhookReservedConcurrency has no effect without webhookEnabled: true',
      ],
    ];

    for (const [props, expected] of cases) {
      // Act
      const error = constructionError(props);

      // Assess
      expect(error.problems).toEqual([expect.stringContaining(expected)]);
    }
  });

  it('refuses stack tag keys EC2 refuses on instances with tags in instance metadata (stack tags reach the instances)', () => {
    // Prepare: StackProps.tags go on every resource, the group included, which propagates them at launch
    const props: ElasticCiStackProps = { agentTokenParameterName: '/ci/token', tags: { 'cost center': 'ci' } };
    const stack = new ElasticCiStack(new cdk.App(), 'premise', { ...props, instanceMetadataTags: false });
    const groups = Template.fromStack(stack).findResources('AWS::AutoScaling::AutoScalingGroup');
    const [group] = Object.values(groups) as { Properties: { Tags: unknown[] } }[];
    expect(group?.Properties.Tags).toContainEqual({ Key: 'cost center', Value: 'ci', PropagateAtLaunch: true });

    // Act + Assess: with tags in instance metadata (the default) every launch would fail
    expect(validateElasticCiStackProps(props)).toEqual([
      'tags key "cost center" reaches the instances, whose tags are in instance metadata: use only letters, digits and + - = . , _ : @ (no spaces or /), or set instanceMetadataTags: false',
    ]);
    expect(validateElasticCiStackProps({ ...props, instanceMetadataTags: false })).toEqual([]);
  });

  it('never echoes a value given where the token belongs: the token pasted there is refused, not built into the template', () => {
    // Prepare: Buildkite agent tokens are plain letters and digits, a valid bare SSM parameter name
    const canary = 'bkua_CANARY_pasted_token_0123456789abcdef';
    const cases: ElasticCiStackProps[] = [
      { agentTokenParameterName: canary },
      { agentTokenSecretArn: canary },
      { agentTokenParameterName: '/buildkite/agent-token', agentTokenParameterKmsKeyArn: canary },
      { agentTokenParameterName: '/buildkite/agent-token', webhookEnabled: true, webhookSecretParameterName: canary },
    ];

    for (const props of cases) {
      // Act
      const problems = validateElasticCiStackProps(props);

      // Assess
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/value is not shown/);
      expect(problems.join('\n')).not.toContain(canary);
    }
  });

  it('refuses a bare SSM name for the token, which the instances cannot read (their boot takes a path or an ARN)', () => {
    expect(validateElasticCiStackProps({ agentTokenParameterName: 'buildkite-agent-token' })).toEqual([
      "agentTokenParameterName must be an SSM parameter path starting with / (such as /buildkite/agent-token) or a parameter ARN (the value is not shown: if it is the token itself, store it in a SecureString and give that parameter's path)",
    ]);
    const app = new cdk.App();
    expect(() => new ElasticCiStack(app, 'bare', { agentTokenParameterName: 'buildkite-agent-token' })).toThrow(
      ElasticCiStackOptionsError,
    );
  });

  it('refuses an instanceBroker that is not a boolean (untyped JavaScript: "false" would deploy the broker)', () => {
    const error = constructionError({
      agentTokenParameterName: '/ci/token',
      instanceBroker: 'false' as unknown as boolean,
    });
    expect(error.problems).toEqual(['instanceBroker is "false"; it must be true or false']);
  });

  it('accepts the minimal props', () => {
    expect(validateElasticCiStackProps({ agentTokenParameterName: '/buildkite/agent-token' })).toEqual([]);
  });

  it("accepts the zombie check at agent-scaler's bounds", () => {
    for (const [zombieGracePeriod, zombieMaxInstancesPerPass] of [
      [cdk.Duration.minutes(5), 1],
      [cdk.Duration.hours(24), 20],
    ] as const) {
      expect(
        validateElasticCiStackProps({
          agentTokenParameterName: '/a',
          zombieCheckEnabled: true,
          zombieGracePeriod,
          zombieMaxInstancesPerPass,
        }),
      ).toEqual([]);
    }
  });

  it.each<[string, ElasticCiStackProps, string]>([
    [
      'two token sources',
      { agentTokenParameterName: '/a', agentTokenFromDeployParameter: true },
      'set exactly one source, got agentTokenParameterName and agentTokenFromDeployParameter',
    ],
    [
      'a secret name instead of its ARN',
      { agentTokenSecretArn: 'ci/token' },
      'agentTokenSecretArn must be the full ARN',
    ],
    [
      'a key without a parameter',
      {
        agentTokenFromDeployParameter: true,
        agentTokenParameterKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/abc',
      },
      'agentTokenParameterKmsKeyArn applies only with agentTokenParameterName',
    ],
    [
      'plain http endpoint',
      { agentTokenParameterName: '/a', agentEndpoint: 'http://agent.example' },
      'agentEndpoint is "http://agent.example"',
    ],
    [
      'drain without scale-in',
      { agentTokenParameterName: '/a', scaleInStrategy: 'drain' },
      'scaleInStrategy "drain" needs disableScaleIn: false',
    ],
    [
      'scaler-managed warm pool without a warm pool',
      { agentTokenParameterName: '/a', warmPoolScalerManaged: true },
      'warmPoolScalerManaged needs warmPoolEnabled: true',
    ],
    [
      'webhook settings without the webhook',
      { agentTokenParameterName: '/a', webhookSecretParameterName: '/ci/webhook' },
      'webhookSecretParameterName has no effect without webhookEnabled: true',
    ],
    [
      'unknown scaler policy',
      { agentTokenParameterName: '/a', scalerPolicies: { overprovision: {} } },
      'scalerPolicies has unknown key "overprovision"',
    ],
    [
      'drain timeout beyond CloudFormation’s hour',
      { agentTokenParameterName: '/a', stopAgentsDrainTimeoutSec: 3600 },
      'stopAgentsDrainTimeoutSec is 3600; it must be a whole number from 60 to 3540',
    ],
    [
      'lease shorter than the scaler allows',
      { agentTokenParameterName: '/a', scalerLeaseTtlSec: 5 },
      'scalerLeaseTtlSec is 5; it must be a whole number from 10 to 900',
    ],
    [
      'zombie grace period shorter than boot',
      { agentTokenParameterName: '/a', zombieCheckEnabled: true, zombieGracePeriod: cdk.Duration.minutes(2) },
      'zombieGracePeriod is 120 s; it must be whole seconds from 300',
    ],
    [
      'zombie grace period beyond a day',
      { agentTokenParameterName: '/a', zombieCheckEnabled: true, zombieGracePeriod: cdk.Duration.hours(25) },
      'zombieGracePeriod is 90000 s',
    ],
    [
      'too many zombies per pass',
      { agentTokenParameterName: '/a', zombieCheckEnabled: true, zombieMaxInstancesPerPass: 21 },
      'zombieMaxInstancesPerPass is 21; it must be a whole number from 1 to 20',
    ],
    [
      'zombie settings without the zombie check',
      { agentTokenParameterName: '/a', zombieGracePeriod: cdk.Duration.minutes(30) },
      'zombieGracePeriod has no effect without zombieCheckEnabled: true',
    ],
    [
      'zombie check on a fixed-size fleet (no scaler)',
      { agentTokenParameterName: '/a', zombieCheckEnabled: true, minSize: 3, maxSize: 3 },
      'zombieCheckEnabled needs the scaler',
    ],
    [
      // The stack deployed no webhook and no WebhookUrl output, without a word
      'webhook on a fixed-size fleet (no scaler)',
      { agentTokenParameterName: '/a', webhookEnabled: true, minSize: 2, maxSize: 2 },
      'webhookEnabled needs the scaler, which a fixed-size fleet (minSize equal to maxSize) does not deploy',
    ],
    [
      'not a policy ARN',
      { agentTokenParameterName: '/a', rolePermissionsBoundaryArn: 'ci-boundary' },
      'rolePermissionsBoundaryArn is "ci-boundary"',
    ],
  ])('%s', (_name, props, expected) => {
    expect(validateElasticCiStackProps(props).join('\n')).toContain(expected);
  });
});
