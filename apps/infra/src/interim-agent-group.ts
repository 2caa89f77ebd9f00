import * as cdk from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

/**
 * Stand-in for the fleet construct (`agent-fleet/`) until it lands: only a group for the control plane to point at.
 * Not a usable fleet.
 */
export class InterimAgentGroup extends Construct {
  readonly autoScalingGroupName: string;

  constructor(scope: Construct, id: string, props: { minSize: number; maxSize: number }) {
    super(scope, id);
    const template = new ec2.CfnLaunchTemplate(this, 'LaunchTemplate', {
      launchTemplateData: {
        imageId: '{{resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64}}',
        instanceType: 't3.large',
        metadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 1 },
      },
    });
    const group = new autoscaling.CfnAutoScalingGroup(this, 'Group', {
      minSize: String(props.minSize),
      maxSize: String(props.maxSize),
      availabilityZones: cdk.Fn.getAzs(),
      launchTemplate: { launchTemplateId: template.ref, version: template.attrLatestVersionNumber },
    });
    this.autoScalingGroupName = group.ref;
  }
}
