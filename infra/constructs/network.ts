/**
 * The network: a VPC of isolated subnets only (no NAT, no internet gateway), the functions' security
 * group, and an interface endpoint for each AWS API a function in the VPC calls. Nothing in the VPC
 * reaches anything else.
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionPlacement } from './echo-function.ts';

export interface NetworkProps {
  stage: string;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
  /** Add the Bedrock Runtime endpoint (the agents call a model). */
  bedrock: boolean;
}

export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  /** Every function of the system in the VPC has this group; the cache and the endpoints admit it. */
  readonly functionsSecurityGroup: ec2.SecurityGroup;
  readonly endpointsSecurityGroup: ec2.SecurityGroup;
  readonly isolatedSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      vpcName: `echo-${props.stage}`,
      ipAddresses: ec2.IpAddresses.cidr('10.40.0.0/16'),
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 22 }],
      restrictDefaultSecurityGroup: true,
    });
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      logGroupName: `/echo/${props.stage}/vpc-flow-logs`,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });

    this.functionsSecurityGroup = new ec2.SecurityGroup(this, 'Functions', {
      vpc: this.vpc,
      securityGroupName: `echo-${props.stage}-functions`,
      description: 'ECHO Lambda functions',
      allowAllOutbound: true,
    });
    this.endpointsSecurityGroup = new ec2.SecurityGroup(this, 'Endpoints', {
      vpc: this.vpc,
      securityGroupName: `echo-${props.stage}-endpoints`,
      description: 'ECHO interface endpoints: HTTPS from the functions only',
      allowAllOutbound: false,
    });
    this.endpointsSecurityGroup.addIngressRule(
      this.functionsSecurityGroup,
      ec2.Port.tcp(443),
      'ECHO functions to AWS APIs',
    );

    const endpoint = (id: string, service: ec2.IInterfaceVpcEndpointService) =>
      this.vpc.addInterfaceEndpoint(id, {
        service,
        subnets: this.isolatedSubnets,
        securityGroups: [this.endpointsSecurityGroup],
        open: false,
        privateDnsEnabled: true,
      });
    // The relay's PutEvents.
    endpoint('Events', ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE);
    // Every statement of the SQL port (Aurora through the Data API).
    endpoint('RdsData', ec2.InterfaceVpcEndpointAwsService.RDS_DATA);
    // The database secret's rotation function runs in these subnets.
    endpoint('SecretsManager', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER);
    // The agents' model calls.
    if (props.bedrock) endpoint('BedrockRuntime', ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME);
    // The traces of every function (active tracing; the subsegments of lambdas/adapters/xray.ts).
    endpoint('XRay', ec2.InterfaceVpcEndpointAwsService.XRAY);
  }

  /** Where a function that must be in the VPC goes. */
  get placement(): FunctionPlacement {
    return { vpc: this.vpc, subnets: this.isolatedSubnets, securityGroup: this.functionsSecurityGroup };
  }
}
