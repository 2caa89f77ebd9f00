import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { LambdaArchitectureName } from '../elastic-ci-stack-props';
import { type LambdaBundleRole, resolveLambdaBundle } from './lambda-bundles';

/** Tag naming the package a function's code comes from; the contract test picks each package's parser by it. */
export const PACKAGE_TAG = 'elastic-ci:package';

export interface ControlPlaneFunctionProps {
  readonly bundle: LambdaBundleRole;
  readonly description: string;
  readonly environment: Record<string, string>;
  readonly timeout: cdk.Duration;
  readonly memorySizeMb?: number | undefined;
  readonly reservedConcurrentExecutions?: number | undefined;
  readonly architecture: LambdaArchitectureName;
  readonly logRetentionDays: number;
  readonly permissionsBoundaryArn?: string | undefined;
  readonly managedPolicyArns?: readonly string[] | undefined;
}

/**
 * One control-plane Lambda: the package's landed bundle as code (`dist/lambda`, source maps left out), nodejs22.x,
 * its own role (no AWS managed policy: it may write only its own log group) and its own log group with retention.
 */
export class ControlPlaneFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ControlPlaneFunctionProps) {
    super(scope, id);
    const bundle = resolveLambdaBundle(props.bundle);
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: cdk.RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (elastic-ci ${cdk.Stack.of(this).stackName})`,
      ...(props.permissionsBoundaryArn !== undefined
        ? {
            permissionsBoundary: iam.ManagedPolicy.fromManagedPolicyArn(this, 'Boundary', props.permissionsBoundaryArn),
          }
        : {}),
      managedPolicies: (props.managedPolicyArns ?? []).map((arn, index) =>
        iam.ManagedPolicy.fromManagedPolicyArn(this, `ManagedPolicy${index}`, arn),
      ),
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new lambda.Function(this, 'Function', {
      description: props.description,
      code: lambda.Code.fromAsset(bundle.assetDirectory, { exclude: ['*.map'] }),
      handler: bundle.handler,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: props.architecture === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64,
      memorySize: props.memorySizeMb ?? 256,
      timeout: props.timeout,
      environment: props.environment,
      role: this.role,
      logGroup: this.logGroup,
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
    });
    cdk.Tags.of(this.function).add(PACKAGE_TAG, bundle.packageName);
  }
}
