/**
 * The record: Aurora Serverless v2 PostgreSQL, reached only through the RDS Data API (no function
 * connects to it over the network), its generated secret (rotated), storage encrypted.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { Binding, EchoFunction } from './echo-function.ts';
import type { Network } from './network.ts';

export const DATABASE_NAME = 'echo';
/** Not 5432: nothing but the rotation function connects, and a scan of the default port finds nothing. */
export const DATABASE_PORT = 5438;

/** The Data API calls the SQL port makes (statements and transactions). */
export const DATA_API_ACTIONS = [
  'rds-data:ExecuteStatement',
  'rds-data:BatchExecuteStatement',
  'rds-data:BeginTransaction',
  'rds-data:CommitTransaction',
  'rds-data:RollbackTransaction',
];

export interface AuroraDatabaseProps {
  stage: string;
  network: Network;
  minCapacity: number;
  maxCapacity: number;
  deletionProtection: boolean;
  retainData: boolean;
  /** A reader instance in another Availability Zone: a failover target, scaled with the writer. */
  reader: boolean;
  logRetention: logs.RetentionDays;
}

export class AuroraDatabase extends Construct implements Binding {
  readonly cluster: rds.DatabaseCluster;
  readonly clusterArn: string;
  /** `echo-<stage>`: the DBClusterIdentifier dimension of its metrics. */
  readonly clusterIdentifier: string;
  readonly secretArn: string;
  readonly maxCapacity: number;

  constructor(scope: Construct, id: string, props: AuroraDatabaseProps) {
    super(scope, id);
    const clusterIdentifier = `echo-${props.stage}`;
    this.maxCapacity = props.maxCapacity;
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.network.vpc,
      securityGroupName: `echo-${props.stage}-database`,
      description: 'ECHO Aurora: only the secret rotation connects; the functions use the Data API',
      allowAllOutbound: false,
    });
    // Created here with its retention, so the cluster's log export does not create one that never expires.
    const postgresLogs = new logs.LogGroup(this, 'PostgresLogs', {
      logGroupName: `/aws/rds/cluster/${clusterIdentifier}/postgresql`,
      retention: props.logRetention,
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      clusterIdentifier,
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_9 }),
      writer: rds.ClusterInstance.serverlessV2('writer', { autoMinorVersionUpgrade: true }),
      // The Data API always uses the writer; a reader is what a failover promotes (in seconds, not
      // the minutes of replacing a lone writer), so it scales with the writer to take its load.
      ...(props.reader
        ? {
            readers: [
              rds.ClusterInstance.serverlessV2('reader', {
                autoMinorVersionUpgrade: true,
                scaleWithWriter: true,
              }),
            ],
          }
        : {}),
      serverlessV2MinCapacity: props.minCapacity,
      serverlessV2MaxCapacity: props.maxCapacity,
      vpc: props.network.vpc,
      vpcSubnets: props.network.isolatedSubnets,
      securityGroups: [securityGroup],
      port: DATABASE_PORT,
      credentials: rds.Credentials.fromGeneratedSecret('echo_admin', {
        secretName: `echo/${props.stage}/database`,
      }),
      defaultDatabaseName: DATABASE_NAME,
      enableDataApi: true,
      storageEncrypted: true,
      iamAuthentication: true,
      deletionProtection: props.deletionProtection,
      backup: { retention: Duration.days(props.retainData ? 14 : 1) },
      cloudwatchLogsExports: ['postgresql'],
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.SNAPSHOT,
    });
    this.cluster.node.addDependency(postgresLogs);
    // The rotation function (from the Serverless Application Repository) runs in the isolated
    // subnets: it reaches the database on its port and Secrets Manager through the endpoint, whose
    // private DNS name is the service's own, so the function needs no endpoint URL.
    const rotation = new ec2.SecurityGroup(this, 'RotationSecurityGroup', {
      vpc: props.network.vpc,
      securityGroupName: `echo-${props.stage}-secret-rotation`,
      description: 'ECHO database secret rotation function',
      allowAllOutbound: true,
    });
    props.network.endpointsSecurityGroup.addIngressRule(rotation, ec2.Port.tcp(443), 'Secret rotation');
    this.cluster.addRotationSingleUser({
      automaticallyAfter: Duration.days(30),
      vpcSubnets: props.network.isolatedSubnets,
      securityGroup: rotation,
    });

    this.clusterArn = this.cluster.clusterArn;
    this.clusterIdentifier = clusterIdentifier;
    this.secretArn = this.cluster.secret!.secretArn;
    // The cluster is retained with its data; so is the only credential it has. (The CDK leaves the
    // generated secret at DeletionPolicy Delete whatever the cluster's.)
    // (cluster.secret is the attachment; the secret itself is the cluster's child `Secret`.)
    if (props.retainData) {
      (this.cluster.node.findChild('Secret') as secretsmanager.Secret).applyRemovalPolicy(
        RemovalPolicy.RETAIN,
      );
    }

    if (!props.deletionProtection) {
      Validations.of(this.cluster).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason: `Stage ${props.stage} turns deletion protection off (context deletionProtection=false, the default of the dev stage) so that "cdk destroy" removes it; every other stage has it on by default.`,
      });
    }
  }

  /**
   * Sets ECHO_DB_CLUSTER_ARN, ECHO_DB_SECRET_ARN and ECHO_DB_NAME, and grants the Data API calls on
   * this cluster and the read of its secret (the Data API reads it with the caller's permission).
   */
  bindTo(target: EchoFunction): void {
    target.addEnvironment('ECHO_DB_CLUSTER_ARN', this.clusterArn);
    target.addEnvironment('ECHO_DB_SECRET_ARN', this.secretArn);
    target.addEnvironment('ECHO_DB_NAME', DATABASE_NAME);
    target.allow(
      new iam.PolicyStatement({ sid: 'DataApi', actions: DATA_API_ACTIONS, resources: [this.clusterArn] }),
    );
    target.allow(
      new iam.PolicyStatement({
        sid: 'DatabaseSecret',
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [this.secretArn],
      }),
    );
  }
}

/** The LocalStack variant: the docker-compose Postgres sidecar, through node-postgres. */
export class SidecarDatabase implements Binding {
  constructor(private readonly url: string) {}

  /** Sets DATABASE_URL; there is nothing to grant. */
  bindTo(target: EchoFunction): void {
    target.addEnvironment('DATABASE_URL', this.url);
  }
}
