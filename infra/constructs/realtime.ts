/**
 * The real-time channel: ElastiCache (Valkey, the Redis-compatible engine) in the isolated subnets,
 * TLS in transit and encryption at rest, reachable from the functions' security group only.
 */
import { Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import { Construct } from 'constructs';
import type { Binding, EchoFunction } from './echo-function.ts';
import type { Network } from './network.ts';

/** Not 6379, for the same reason as the database's port. */
export const CACHE_PORT = 6390;

export interface CacheRealtimeProps {
  stage: string;
  network: Network;
  nodeType: string;
  /** 0: a single node; more: Multi-AZ with automatic failover. */
  replicas: number;
}

export class CacheRealtime extends Construct implements Binding {
  readonly replicationGroup: elasticache.CfnReplicationGroup;
  readonly securityGroup: ec2.SecurityGroup;
  /** rediss://host:port (TLS). */
  readonly url: string;
  /** The member clusters' ids (`<group>-001`, ...): the CacheClusterId dimension of their metrics. */
  readonly nodeIds: string[];

  constructor(scope: Construct, id: string, props: CacheRealtimeProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.network.vpc,
      securityGroupName: `echo-${props.stage}-cache`,
      description: 'ECHO real-time channel: the functions only',
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(
      props.network.functionsSecurityGroup,
      ec2.Port.tcp(CACHE_PORT),
      'ECHO functions',
    );
    const subnets = new elasticache.CfnSubnetGroup(this, 'Subnets', {
      cacheSubnetGroupName: `echo-${props.stage}`,
      description: 'ECHO real-time channel: isolated subnets',
      subnetIds: props.network.vpc.selectSubnets(props.network.isolatedSubnets).subnetIds,
    });
    const multiAz = props.replicas > 0;
    const replicationGroupId = `echo-${props.stage}`;
    // ElastiCache names the member clusters of a replication group <group id>-001, -002, ...
    this.nodeIds = Array.from(
      { length: 1 + props.replicas },
      (_, i) => `${replicationGroupId}-${String(i + 1).padStart(3, '0')}`,
    );
    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'Cache', {
      replicationGroupId,
      replicationGroupDescription: `ECHO ${props.stage}: real-time channel (pub/sub)`,
      engine: 'valkey',
      engineVersion: '8.0',
      cacheNodeType: props.nodeType,
      numCacheClusters: 1 + props.replicas,
      automaticFailoverEnabled: multiAz,
      multiAzEnabled: multiAz,
      port: CACHE_PORT,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      atRestEncryptionEnabled: true,
      cacheSubnetGroupName: subnets.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
      autoMinorVersionUpgrade: true,
    });
    if (!multiAz) {
      Validations.of(this.replicationGroup).acknowledge({
        id: 'AwsSolutions-AEC4',
        reason: `Stage ${props.stage} runs one cache node (context cacheReplicas=0, the dev default): Redis is a hint, never the record, and subscribers catch up from Postgres after a failover or a restart. Other stages default to a replica with Multi-AZ failover.`,
      });
    }
    Validations.of(this.replicationGroup).acknowledge({
      id: 'AwsSolutions-AEC6',
      reason:
        'No AUTH token: the functions find the cache by REDIS_URL, and a token in that variable would be readable by anyone who can read the function configuration. Access is by network instead: isolated subnets, a security group admitting only the functions, TLS required in transit. IAM authentication for ElastiCache needs the Redis adapter to sign its AUTH: a follow-up in lambdas/adapters/realtime.',
    });
    this.url = `rediss://${this.replicationGroup.attrPrimaryEndPointAddress}:${this.replicationGroup.attrPrimaryEndPointPort}`;
  }

  /**
   * Sets REDIS_URL (rediss://, TLS) and opens the cache's port to the function's security group.
   * The function must be in the VPC.
   */
  bindTo(target: EchoFunction): void {
    if (!target.placement)
      throw new Error(`${target.functionName}: the real-time channel needs a function in the VPC`);
    this.securityGroup.addIngressRule(
      target.placement.securityGroup,
      ec2.Port.tcp(CACHE_PORT),
      'ECHO functions',
    );
    target.addEnvironment('REDIS_URL', this.url);
  }
}

/** The LocalStack variant: the docker-compose Redis sidecar. */
export class SidecarRealtime implements Binding {
  constructor(private readonly url: string) {}

  /** Sets REDIS_URL; there is nothing to grant. */
  bindTo(target: EchoFunction): void {
    target.addEnvironment('REDIS_URL', this.url);
  }
}
