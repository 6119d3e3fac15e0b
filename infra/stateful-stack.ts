/**
 * What keeps data: the network, Aurora, the cache and the event bus. Deployed rarely; the stateless
 * stack binds its functions to what this one exposes. With `localstack`, the database and the cache
 * are the docker-compose sidecars and there is no VPC: only the bus is made here.
 */
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EchoInfraConfig } from './config.ts';
import { EchoBus } from './constructs/bus.ts';
import { AuroraDatabase, SidecarDatabase } from './constructs/database.ts';
import type { Binding } from './constructs/echo-function.ts';
import { Network } from './constructs/network.ts';
import { CacheRealtime, SidecarRealtime } from './constructs/realtime.ts';
import { retention } from './retention.ts';

export interface StatefulStackProps extends StackProps {
  config: EchoInfraConfig;
}

export class StatefulStack extends Stack {
  readonly network: Network | undefined;
  readonly database: Binding;
  readonly realtime: Binding;
  readonly bus: EchoBus;
  /** Set when the database is Aurora (not the LocalStack sidecar). */
  readonly aurora: AuroraDatabase | undefined;
  readonly cache: CacheRealtime | undefined;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.bus = new EchoBus(this, 'Bus', {
      stage: config.stage,
      archiveDays: config.localstack ? 0 : config.retainData ? 365 : 30,
    });

    if (config.localstack) {
      this.database = new SidecarDatabase(config.sidecars.databaseUrl);
      this.realtime = new SidecarRealtime(config.sidecars.redisUrl);
      return;
    }
    this.network = new Network(this, 'Network', {
      stage: config.stage,
      logRetention: retention(config.logRetentionDays),
      removalPolicy,
      bedrock: config.bedrockModels.length > 0,
    });
    this.aurora = new AuroraDatabase(this, 'Database', {
      stage: config.stage,
      network: this.network,
      minCapacity: config.database.minCapacity,
      maxCapacity: config.database.maxCapacity,
      deletionProtection: config.deletionProtection,
      retainData: config.retainData,
      reader: config.database.reader,
      logRetention: retention(config.logRetentionDays),
    });
    this.database = this.aurora;
    this.cache = new CacheRealtime(this, 'Realtime', {
      stage: config.stage,
      network: this.network,
      nodeType: config.cache.nodeType,
      replicas: config.cache.replicas,
    });
    this.realtime = this.cache;
  }
}
