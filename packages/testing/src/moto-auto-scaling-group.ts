import { AutoScalingClient, CreateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, DescribeLaunchTemplatesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { awsClientConfig } from './aws-client-config';

export interface MotoAutoScalingGroupOptions {
  name: string;
  /** @default 0 */
  minSize?: number;
  /** @default 10 */
  maxSize?: number;
  /** @default 0 */
  desiredCapacity?: number;
  /** @default ['us-east-1a'] */
  availabilityZones?: string[];
  /** Launch new instances with scale-in protection, as agents running jobs hold it. @default false */
  newInstancesProtectedFromScaleIn?: boolean;
}

/** Launch template every test group uses; moto only needs it to exist. */
export const MOTO_LAUNCH_TEMPLATE_NAME = 'elastic-ci-agents';

async function ensureLaunchTemplate(ec2: EC2Client): Promise<void> {
  const existing = await ec2
    .send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: [MOTO_LAUNCH_TEMPLATE_NAME] }))
    .catch(() => undefined);
  if (existing?.LaunchTemplates?.length) return;
  await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: MOTO_LAUNCH_TEMPLATE_NAME,
      LaunchTemplateData: { ImageId: 'ami-12c6146b', InstanceType: 't3.small' },
    }),
  );
}

/**
 * Creates an Auto Scaling group in the test run's moto (and the launch template it needs, once per reset), so
 * integration tests state only the sizes that matter to them. Returns the group name.
 */
export async function createMotoAutoScalingGroup(options: MotoAutoScalingGroupOptions): Promise<string> {
  await ensureLaunchTemplate(new EC2Client(awsClientConfig()));
  await new AutoScalingClient(awsClientConfig()).send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: options.name,
      LaunchTemplate: { LaunchTemplateName: MOTO_LAUNCH_TEMPLATE_NAME, Version: '$Latest' },
      MinSize: options.minSize ?? 0,
      MaxSize: options.maxSize ?? 10,
      DesiredCapacity: options.desiredCapacity ?? 0,
      AvailabilityZones: options.availabilityZones ?? ['us-east-1a'],
      NewInstancesProtectedFromScaleIn: options.newInstancesProtectedFromScaleIn ?? false,
    }),
  );
  return options.name;
}
