import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, type IDependable } from 'constructs';
import type { InstanceBrokerEndpoint, InstanceBrokerFleet } from '../agent-fleet/agent-fleet';
import { INSTANCE_AUTO_SCALING_WRITE_ACTIONS, ownAutoScalingGroupScope } from '../agent-fleet/fleet-instance-role';
import type { LambdaArchitectureName } from '../elastic-ci-stack-props';
import { ControlPlaneFunction } from './control-plane-function';
import { allowWithWildcard } from './nag-acknowledgements';

/**
 * The broker's Lambda timeout: one DescribeAutoScalingGroups and one Auto Scaling write. Short, so a hung call ends
 * while the instance's own retry (lifecycled's heartbeat, the job hook's protection) still has time to try again.
 */
export const INSTANCE_BROKER_TIMEOUT_SEC = 15;

export interface InstanceBrokerProps {
  readonly architecture: LambdaArchitectureName;
  readonly logRetentionDays: number;
  readonly permissionsBoundaryArn: string | undefined;
}

/**
 * The instance broker (`@elastic-ci/instance-broker`): a Lambda behind a function URL with `AuthType: AWS_IAM` that
 * makes an instance's Auto Scaling writes for that instance only (the caller's session name is its instance id). Its
 * role may make them on the fleet's own group, scoped exactly as the instance role's were; only the fleet's instance
 * role may call the URL. Serves one fleet ({@link serveFleet}); synthesis fails if it serves none.
 */
export class InstanceBroker extends Construct implements InstanceBrokerEndpoint {
  readonly function: ControlPlaneFunction;
  readonly functionUrl: lambda.FunctionUrl;
  /** The function URL (`https://<id>.lambda-url.<region>.on.aws/`), a deploy-time value. */
  readonly url: string;
  private servedFleet: InstanceBrokerFleet | undefined;

  constructor(scope: Construct, id: string, props: InstanceBrokerProps) {
    super(scope, id);
    this.function = new ControlPlaneFunction(this, 'InstanceBroker', {
      bundle: 'instanceBroker',
      description: "Instance broker: an agent instance's Auto Scaling calls, for that instance only",
      // INSTANCE_ROLE_NAME and FLEET_ID come with the fleet (serveFleet): the fleet's role is made after this URL,
      // which the fleet's boot contract carries.
      environment: {},
      timeout: cdk.Duration.seconds(INSTANCE_BROKER_TIMEOUT_SEC),
      architecture: props.architecture,
      logRetentionDays: props.logRetentionDays,
      permissionsBoundaryArn: props.permissionsBoundaryArn,
    });
    this.functionUrl = this.function.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    this.url = this.functionUrl.url;
    this.node.addValidation({
      validate: () =>
        this.servedFleet === undefined
          ? ['the instance broker serves no fleet: pass it to AgentFleet as instanceBrokerEndpoint']
          : [],
    });
  }

  serveFleet(fleet: InstanceBrokerFleet): IDependable {
    if (this.servedFleet !== undefined) {
      throw new Error('the instance broker already serves a fleet; give each fleet a broker of its own');
    }
    this.servedFleet = fleet;
    const fn = this.function.function;
    // What @elastic-ci/instance-broker's loadConfig reads (the lambda-environment contract test holds both sides).
    fn.addEnvironment('INSTANCE_ROLE_NAME', fleet.instanceRoleName);
    fn.addEnvironment('FLEET_ID', fleet.fleetId);

    const role = this.function.role;
    const ownGroup = ownAutoScalingGroupScope(this, fleet.fleetId);
    allowWithWildcard(role, {
      actions: [...INSTANCE_AUTO_SCALING_WRITE_ACTIONS],
      resources: ownGroup.resources,
      conditions: ownGroup.conditions,
      reason:
        "The fleet's groups only, scoped as the instance role's were: CloudFormation names them `<stack name>-…` (a replaced group's instances still drain through the broker, so no Ref), and the elastic-ci:fleet and aws:cloudformation:stack-id tag conditions pin the fleet. The broker acts on the calling instance only.",
    });
    allowWithWildcard(role, {
      actions: ['autoscaling:DescribeAutoScalingGroups'],
      resources: ['*'],
      reason:
        "DescribeAutoScalingGroups has no resource-level permissions: `*` is the only resource IAM accepts. The broker reads the requested group's fleet tag with it.",
    });

    // Resource-based, not the role's policy: an imported role is immutable (grantInvokeUrl would silently add
    // nothing to it), and the function's own policy lets exactly this role's sessions in, whoever owns the role.
    // Function URLs need both: InvokeFunctionUrl (for this auth type) and InvokeFunction when invoked through a URL.
    const instanceRole = new iam.ArnPrincipal(fleet.instanceRoleArn);
    fn.addPermission('InstanceRoleInvokeUrl', {
      principal: instanceRole,
      action: 'lambda:InvokeFunctionUrl',
      functionUrlAuthType: lambda.FunctionUrlAuthType.AWS_IAM,
    });
    fn.addPermission('InstanceRoleInvokeThroughUrl', {
      principal: instanceRole,
      action: 'lambda:InvokeFunction',
      invokedViaFunctionUrl: true,
    });
    return this;
  }
}
