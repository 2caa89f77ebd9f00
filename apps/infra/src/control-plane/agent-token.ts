import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { AgentTokenOptions } from '../elastic-ci-stack-props';

/** Secrets Manager secrets are readable through Parameter Store under this prefix (GetParameter with decryption). */
export const SECRETS_MANAGER_REFERENCE_PREFIX = '/aws/reference/secretsmanager/';

/** Name of the NoEcho template parameter that carries the token at deploy time. */
export const AGENT_TOKEN_DEPLOY_PARAMETER = 'BuildkiteAgentToken';

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:(.+)-[A-Za-z0-9]{6}$/;
const PARAMETER_ARN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter(\/[a-zA-Z0-9_.\-/]+)$/;
// A path, as the instances' boot contract takes it (a bare name would pass SSM but fail every instance's boot).
const PARAMETER_PATH = /^\/[a-zA-Z0-9_.\-/]+$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[a-zA-Z0-9-]+$/;
const KEY_ID_SUFFIX = /:key\/[a-zA-Z0-9-]+$/;

/**
 * Why a value is not quoted: whoever puts the token itself where its location belongs must not see it printed in
 * CI logs, and a pasted token (letters and digits) is never a path or an ARN, so it is always refused.
 */
const notShown = (store: string) => `the value is not shown: if it is the token itself, store it in ${store}`;
const NOT_SHOWN = notShown("a SecureString and give that parameter's path");

/**
 * Problems with the token options, lowercase, each naming the option and what is allowed; unlike other options, the
 * bad value is never quoted ({@link NOT_SHOWN}). Empty when valid.
 */
export function agentTokenProblems(options: AgentTokenOptions): string[] {
  const problems: string[] = [];
  const sources = [
    options.agentTokenParameterName !== undefined && 'agentTokenParameterName',
    options.agentTokenSecretArn !== undefined && 'agentTokenSecretArn',
    options.agentTokenFromDeployParameter === true && 'agentTokenFromDeployParameter',
  ].filter((source): source is string => source !== false);
  if (sources.length === 0) {
    problems.push(
      'agent token: no source set; set one of agentTokenParameterName (an existing SSM SecureString), agentTokenSecretArn (an existing Secrets Manager secret) or agentTokenFromDeployParameter: true',
    );
  } else if (sources.length > 1) {
    problems.push(`agent token: set exactly one source, got ${sources.join(' and ')}`);
  }
  const { agentTokenParameterName: name, agentTokenSecretArn: secretArn, agentTokenParameterKmsKeyArn: key } = options;
  if (name !== undefined && !PARAMETER_PATH.test(name) && !PARAMETER_ARN.test(name)) {
    problems.push(
      `agentTokenParameterName must be an SSM parameter path starting with / (such as /buildkite/agent-token) or a parameter ARN (${NOT_SHOWN})`,
    );
  }
  if (secretArn !== undefined && !SECRET_ARN.test(secretArn)) {
    problems.push(
      `agentTokenSecretArn must be the full ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>) (${notShown('a secret and give its ARN')})`,
    );
  }
  if (key !== undefined) {
    if (name === undefined) problems.push('agentTokenParameterKmsKeyArn applies only with agentTokenParameterName');
    // A Buildkite file gives a key id, which becomes an ARN in the stack's own partition, region and account.
    const builtFromKeyId = cdk.Token.isUnresolved(key) && KEY_ID_SUFFIX.test(key);
    if (!KMS_KEY_ARN.test(key) && !builtFromKeyId) {
      problems.push(
        `agentTokenParameterKmsKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>) (${NOT_SHOWN})`,
      );
    }
  }
  return problems;
}

/**
 * Where the agent token lives, as the scaler and the instances read it: one SSM `GetParameter` (with decryption) on
 * {@link parameterName}, which is either the user's parameter or `/aws/reference/secretsmanager/<secret name>`.
 * The token itself never appears in the template.
 */
export class AgentToken extends Construct {
  /** What `GetParameter` is called with (name or ARN). */
  readonly parameterName: string;
  /** The secret holding the token, when it is in Secrets Manager. */
  readonly secret: secretsmanager.ISecret | secretsmanager.Secret | undefined;
  private readonly parameterArn: string;
  private readonly kmsKeyArn: string | undefined;

  constructor(scope: Construct, id: string, options: AgentTokenOptions) {
    super(scope, id);
    const stack = cdk.Stack.of(this);
    if (options.agentTokenParameterName !== undefined) {
      const name = options.agentTokenParameterName;
      this.parameterName = name;
      this.parameterArn = PARAMETER_ARN.test(name) ? name : parameterArnFor(stack, name);
      this.kmsKeyArn = options.agentTokenParameterKmsKeyArn;
      this.secret = undefined;
      return;
    }
    let secretName: string;
    if (options.agentTokenSecretArn !== undefined) {
      const match = SECRET_ARN.exec(options.agentTokenSecretArn);
      secretName = match?.[1] ?? options.agentTokenSecretArn;
      this.secret = secretsmanager.Secret.fromSecretCompleteArn(this, 'Secret', options.agentTokenSecretArn);
    } else {
      const tokenParameter = new cdk.CfnParameter(stack, AGENT_TOKEN_DEPLOY_PARAMETER, {
        type: 'String',
        noEcho: true,
        minLength: 1,
        description: 'Buildkite agent registration token (stored in Secrets Manager, never echoed)',
      });
      secretName = stackScopedSecretName(stack, 'agent-token');
      this.secret = new secretsmanager.Secret(this, 'Secret', {
        secretName,
        description: 'Buildkite agent registration token of this elastic-ci stack',
        secretStringValue: cdk.SecretValue.cfnParameter(tokenParameter),
      });
      cdk.Validations.of(this.secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'A Buildkite agent token is issued by Buildkite, not generated here: rotate it in Buildkite and update the secret (or redeploy with the new BuildkiteAgentToken).',
      });
    }
    this.parameterName = `${SECRETS_MANAGER_REFERENCE_PREFIX}${secretName}`;
    this.parameterArn = parameterArnFor(stack, this.parameterName);
    this.kmsKeyArn = undefined;
  }

  /** `ssm:GetParameter` on the token (and `secretsmanager:GetSecretValue` / `kms:Decrypt` where it lives there). */
  grantRead(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [this.parameterArn] }),
    );
    if (this.secret !== undefined) grantGetSecretValue(grantee, this.secret.secretArn);
    if (this.kmsKeyArn !== undefined) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        // Only as Parameter Store decrypting this very parameter: the key is the customer's and may protect other
        // data, which a bare kms:Decrypt would let a job on an instance decrypt directly.
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [this.kmsKeyArn],
          conditions: {
            StringEquals: {
              'kms:ViaService': `ssm.${cdk.Aws.REGION}.amazonaws.com`,
              'kms:EncryptionContext:PARAMETER_ARN': this.parameterArn,
            },
          },
        }),
      );
    }
  }
}

/**
 * `secretsmanager:GetSecretValue` on the secret, the one call that reading it makes (the Parameter Store reference or
 * the SDK): `Secret.grantRead` adds `DescribeSecret`, which nothing here calls.
 */
export function grantGetSecretValue(grantee: iam.IGrantable, secretArn: string): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secretArn] }),
  );
}

/**
 * A secret name of this stack: the Parameter Store reference needs the plain name (a generated one only shows up
 * with its random suffix), so it is derived from the stack name (stacks side by side never clash) and the stack's
 * id (a deleted secret keeps its name reserved for its recovery window, so a re-created stack needs a new one).
 */
export function stackScopedSecretName(stack: cdk.Stack, purpose: string): string {
  const stackUuid = cdk.Fn.select(2, cdk.Fn.split('/', stack.stackId));
  return `elastic-ci/${stack.stackName}/${purpose}-${stackUuid}`;
}

/** `arn:…:ssm:<region>:<account>:parameter/<name without its leading slash>`. */
export function parameterArnFor(stack: cdk.Stack, name: string): string {
  return stack.formatArn({
    service: 'ssm',
    resource: 'parameter',
    resourceName: name.startsWith('/') ? name.slice(1) : name,
  });
}
