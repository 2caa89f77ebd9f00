import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { AGENT_FLEET_DEFAULTS } from './agent-fleet-defaults.js';
import type { AgentFleetOptions, VpcInterfaceEndpointService } from './agent-fleet-options.js';
import { cdkUpcast } from './cdk-upcast.js';

const GATEWAY_ENDPOINTS = {
  s3: ec2.GatewayVpcEndpointAwsService.S3,
  dynamodb: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
} as const;

const INTERFACE_ENDPOINTS: Record<VpcInterfaceEndpointService, ec2.InterfaceVpcEndpointAwsService> = {
  'ecr.api': ec2.InterfaceVpcEndpointAwsService.ECR,
  'ecr.dkr': ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
  ssm: ec2.InterfaceVpcEndpointAwsService.SSM,
  ssmmessages: ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES,
  ec2messages: ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES,
  secretsmanager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  kms: ec2.InterfaceVpcEndpointAwsService.KMS,
  logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
};

/**
 * Where the agents run: the VPC and subnets (created, or brought as a CDK `IVpc` or as ids), and their security
 * groups (created with egress only, or given).
 */
export class FleetNetwork extends Construct {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroups: readonly ec2.ISecurityGroup[];
  /** The VPC the fleet created, if it created one. */
  readonly createdVpc: ec2.Vpc | undefined;
  /** Security groups of the created interface endpoints. */
  readonly interfaceEndpointSecurityGroups: ec2.ISecurityGroup[] = [];
  /** The created security group, when the fleet made one. */
  readonly createdSecurityGroup: ec2.SecurityGroup | undefined;

  constructor(scope: Construct, id: string, options: AgentFleetOptions) {
    super(scope, id);
    this.createdVpc = options.vpc === undefined && options.vpcId === undefined ? this.createVpc(options) : undefined;
    this.vpc = this.createdVpc !== undefined ? cdkUpcast<ec2.IVpc>(this.createdVpc) : this.bringVpc(options);
    this.subnets =
      options.vpcId !== undefined
        ? { subnets: this.vpc.publicSubnets }
        : options.subnetIds !== undefined
          ? {
              subnets: options.subnetIds.map((subnetId, index) =>
                ec2.Subnet.fromSubnetId(this, `Subnet${index}`, subnetId),
              ),
            }
          : {
              // Private subnets only make sense without public IPs (they reach the internet through a NAT).
              subnetType:
                options.associatePublicIpAddress === false ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC,
            };

    if (options.securityGroups !== undefined) {
      this.securityGroups = options.securityGroups;
      this.createdSecurityGroup = undefined;
    } else if (options.securityGroupIds !== undefined) {
      this.securityGroups = options.securityGroupIds.map((groupId, index) =>
        ec2.SecurityGroup.fromSecurityGroupId(this, `SecurityGroup${index}`, groupId, { mutable: false }),
      );
      this.createdSecurityGroup = undefined;
    } else {
      // No ingress: Session Manager needs none, and SSH is opt-in per CIDR (Buildkite opened 22 to 0.0.0.0/0).
      const group = new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc: this.vpc,
        description: 'elastic-ci agents: all egress, no ingress unless sshIngressCidrs is set',
        allowAllOutbound: true,
      });
      for (const cidr of options.sshIngressCidrs ?? []) {
        group.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(22), `SSH from ${cidr}`);
      }
      this.securityGroups = [group];
      this.createdSecurityGroup = group;
    }
  }

  private bringVpc(options: AgentFleetOptions): ec2.IVpc {
    if (options.vpc !== undefined) return options.vpc;
    // Vpc.fromLookup would need an account at synth; the ids are enough to launch into the subnets.
    return ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: options.vpcId ?? '',
      availabilityZones: [...(options.availabilityZones ?? [])],
      publicSubnetIds: [...(options.subnetIds ?? [])],
    });
  }

  private createVpc(options: AgentFleetOptions): ec2.Vpc {
    const subnetCount = options.publicSubnetCount ?? AGENT_FLEET_DEFAULTS.publicSubnetCount;
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(options.vpcCidr ?? AGENT_FLEET_DEFAULTS.vpcCidr),
      // An environment-agnostic stack knows only two zones (Fn::GetAZs); give the stack an env for more.
      ...(options.availabilityZones !== undefined
        ? { availabilityZones: [...options.availabilityZones] }
        : { maxAzs: subnetCount }),
      natGateways: 0,
      subnetConfiguration: [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
      // Nothing uses the default group (the fleet has its own); restricting it would cost a custom-resource Lambda.
      restrictDefaultSecurityGroup: false,
    });
    for (const service of options.vpcGatewayEndpoints ?? []) {
      vpc.addGatewayEndpoint(`${service === 's3' ? 'S3' : 'DynamoDb'}Endpoint`, {
        service: GATEWAY_ENDPOINTS[service],
      });
    }
    for (const service of options.vpcInterfaceEndpoints ?? []) {
      const id = `${service
        .split('.')
        .map((part) => part[0]?.toUpperCase() + part.slice(1))
        .join('')}Endpoint`;
      const endpoint = vpc.addInterfaceEndpoint(id, {
        service: INTERFACE_ENDPOINTS[service],
        privateDnsEnabled: true,
        open: true,
      });
      this.interfaceEndpointSecurityGroups.push(...endpoint.connections.securityGroups);
    }
    return vpc;
  }
}
