/**
 * What runs: the nine agents, ingest, the relay sweeper, the deadlines of collaborative decisions,
 * the workflow coordinator, the HTTP API and the schema migration,
 * the rules generated from the role registry, the schedules, the failure queues, alarms and the
 * dashboard. Redeployable at will: everything that keeps data is in the stateful stack.
 */
import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ROLES, type Role } from '../lambdas/core/roles.ts';
import { dashed, type EchoInfraConfig } from './config.ts';
import { EchoFunction, type EchoFunctionProps } from './constructs/echo-function.ts';
import { FailureQueues } from './constructs/failure-queues.ts';
import { EchoHttpApi } from './constructs/http-api.ts';
import { MIGRATIONS_DIR, SchemaMigration } from './constructs/migration.ts';
import { BedrockModels } from './constructs/models.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { EventRouting, type TargetRetry } from './constructs/routing.ts';
import { Schedules } from './constructs/schedules.ts';
import { retention } from './retention.ts';
import type { StatefulStack } from './stateful-stack.ts';

export interface StatelessStackProps extends StackProps {
  config: EchoInfraConfig;
  stateful: StatefulStack;
}

/** EventBridge's attempts to hand an event to a target, and for how long. */
export const TARGET_RETRY_ATTEMPTS = 8;
export const TARGET_MAX_EVENT_AGE = Duration.hours(2);
/** Lambda's own retries of a failed asynchronous invocation (at most 2), and for how long. */
export const ASYNC_RETRY_ATTEMPTS = 2;
export const ASYNC_MAX_EVENT_AGE = Duration.hours(1);

export class StatelessStack extends Stack {
  readonly agents = new Map<Role, EchoFunction>();
  readonly ingest: EchoFunction;
  readonly sweeper: EchoFunction;
  readonly deadlines: EchoFunction;
  readonly workflows: EchoFunction;
  readonly api: EchoFunction;
  readonly migrate: EchoFunction;
  readonly queues: FailureQueues;
  readonly routing: EventRouting;
  readonly schedules: Schedules;
  readonly httpApi: EchoHttpApi;
  readonly migration: SchemaMigration;
  readonly monitoring: Monitoring;

  /** Every function of the stage (the CDK Provider's own framework function aside). */
  get functions(): EchoFunction[] {
    return [
      ...this.agents.values(),
      this.ingest,
      this.sweeper,
      this.deadlines,
      this.workflows,
      this.api,
      this.migrate,
    ];
  }

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config, stateful } = props;
    const { stage } = config;
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const logRetention = retention(config.logRetentionDays);

    this.queues = new FailureQueues(this, 'FailureQueues', { stage, removalPolicy });
    const asyncInvoke = {
      onFailure: this.queues.invocations,
      retryAttempts: ASYNC_RETRY_ATTEMPTS,
      maxEventAge: ASYNC_MAX_EVENT_AGE,
    };
    const common = {
      stage,
      // LocalStack's functions reach the PostgreSQL sidecar; AWS's, Aurora through the Data API.
      sqlDriver: config.localstack ? ('node-postgres' as const) : ('rds-data' as const),
      logRetention,
      removalPolicy,
      logLevel: config.logLevel,
      environment: (config.localstack ? { ECHO_AWS_ENDPOINT: config.sidecars.awsEndpoint } : {}) as Record<
        string,
        string
      >,
    };
    const fn = (
      id: string,
      p: Pick<EchoFunctionProps, 'name' | 'description' | 'entry' | 'logGroupName'> &
        Partial<EchoFunctionProps>,
    ) => new EchoFunction(this, id, { ...common, ...p });
    // The functions that publish to Redis must be in the VPC (ElastiCache is reachable nowhere else).
    const placement = stateful.network?.placement;

    const models = new BedrockModels(this, config.bedrockModels);
    for (const role of ROLES) {
      const agent = fn(`Agent-${dashed(role)}`, {
        name: `agent-${dashed(role)}`,
        description: `ECHO ${stage}: the ${role} agent (MessagePosted for ${role}, and CatchUp)`,
        entry: `lambdas/handlers/agents/${dashed(role)}.ts`,
        logGroupName: `/echo/${stage}/agents/${role}`,
        memorySize: 512,
        timeout: Duration.minutes(2),
        placement,
        asyncInvoke,
        reservedConcurrency: config.agentConcurrency,
        // The Bedrock client is in an agent's bundle only where models are bound to it.
        llm: models.models.length > 0 ? 'bedrock' : 'rules',
      });
      models.bindTo(agent);
      this.agents.set(role, agent);
    }
    this.ingest = fn('Ingest', {
      name: 'ingest',
      description: `ECHO ${stage}: PostMessage commands from the bus`,
      entry: 'lambdas/handlers/ingest.ts',
      logGroupName: `/echo/${stage}/ingest`,
      memorySize: 256,
      timeout: Duration.seconds(30),
      placement,
      asyncInvoke,
    });
    this.sweeper = fn('Sweeper', {
      name: 'sweeper',
      description: `ECHO ${stage}: republishes what the outbox still holds`,
      entry: 'lambdas/handlers/sweeper.ts',
      logGroupName: `/echo/${stage}/sweeper`,
      memorySize: 256,
      timeout: Duration.seconds(55),
      placement,
      asyncInvoke,
    });
    this.deadlines = fn('Deadlines', {
      name: 'deadlines',
      description: `ECHO ${stage}: closes collaborative decisions past their deadline`,
      entry: 'lambdas/handlers/deadlines.ts',
      logGroupName: `/echo/${stage}/deadlines`,
      memorySize: 512,
      timeout: Duration.seconds(55),
      placement,
      asyncInvoke,
    });
    // Workflow runs move on replies, decisions and a tick; the coordinator posts the next steps'
    // messages (the outbox, then the relay) and asks no model: no Bedrock grant.
    this.workflows = fn('Workflows', {
      name: 'workflows',
      description: `ECHO ${stage}: the workflow coordinator (replies, decisions that moved, WorkflowTick)`,
      entry: 'lambdas/handlers/workflows.ts',
      logGroupName: `/echo/${stage}/workflows`,
      memorySize: 512,
      timeout: Duration.seconds(55),
      placement,
      asyncInvoke,
    });
    this.api = fn('Api', {
      name: 'api',
      description: `ECHO ${stage}: the HTTP API`,
      entry: 'lambdas/handlers/api.ts',
      logGroupName: `/echo/${stage}/api`,
      memorySize: 512,
      timeout: Duration.seconds(29),
      placement,
      // the dashboard's static files, served by the same function at /dashboard
      copyIntoBundle: [['dashboard', 'dashboard']],
    });
    // The Data API needs no network path: the migration runs outside the VPC.
    this.migrate = fn('Migrate', {
      name: 'migrate',
      description: `ECHO ${stage}: applies the schema migrations on deploy`,
      entry: 'lambdas/handlers/migrate.ts',
      logGroupName: `/echo/${stage}/migrate`,
      memorySize: 256,
      timeout: Duration.minutes(5),
      copyIntoBundle: [[MIGRATIONS_DIR, 'migrations']],
    });

    for (const f of [
      ...this.agents.values(),
      this.ingest,
      this.sweeper,
      this.deadlines,
      this.workflows,
      this.api,
    ]) {
      stateful.database.bindTo(f);
      stateful.bus.bindTo(f);
      stateful.realtime.bindTo(f);
    }
    stateful.database.bindTo(this.migrate);

    this.migration = new SchemaMigration(this, 'Migration', {
      stage,
      migrate: this.migrate,
      logRetention,
      removalPolicy,
    });

    const retry: TargetRetry = {
      retryAttempts: TARGET_RETRY_ATTEMPTS,
      maxEventAge: TARGET_MAX_EVENT_AGE,
      deadLetterQueue: this.queues.eventsForRules,
    };
    this.routing = new EventRouting(this, 'Routing', {
      stage,
      bus: stateful.bus.bus,
      agents: this.agents,
      ingest: this.ingest,
      workflows: this.workflows,
      retry,
      defaultBusIngest: config.defaultBusIngest,
    });
    this.schedules = new Schedules(this, 'Schedules', {
      stage,
      sweeper: this.sweeper,
      deadlines: this.deadlines,
      workflows: this.workflows,
      agents: this.agents,
      catchUpMinutes: config.catchUpMinutes,
      retry,
    });
    // Nothing is routed to a function before the schema it needs exists.
    for (const rule of [
      ...this.routing.agentRules.values(),
      ...this.routing.ingestRules,
      ...this.routing.workflowRules.values(),
      this.schedules.sweeper,
      this.schedules.deadlines,
      this.schedules.workflowTick,
      ...this.schedules.catchUp.values(),
    ]) {
      rule.node.addDependency(this.migration.resource);
    }

    this.httpApi = new EchoHttpApi(this, 'Http', {
      stage,
      handler: this.api,
      localstack: config.localstack,
      logRetention,
      removalPolicy,
    });

    // Every function but the migration's own waits for the migration: new code never serves (nor is
    // invoked by a rule, above) before the schema it needs.
    for (const f of this.functions) if (f !== this.migrate) f.fn.node.addDependency(this.migration.resource);

    this.monitoring = new Monitoring(this, 'Monitoring', {
      stage,
      queues: new Map([
        ['events-dlq', this.queues.events],
        ['invoke-failures', this.queues.invocations],
      ]),
      agents: this.agents,
      others: [this.ingest, this.sweeper, this.deadlines, this.workflows, this.api],
      rest: this.functions.filter((f) => ![...this.agents.values()].includes(f)),
      alarmEmails: config.alarmEmails,
      outboxAlarmMinutes: config.outboxAlarmMinutes,
      database: stateful.aurora
        ? { clusterIdentifier: stateful.aurora.clusterIdentifier, maxCapacity: stateful.aurora.maxCapacity }
        : undefined,
      cache: stateful.cache ? { nodeIds: stateful.cache.nodeIds } : undefined,
      removalPolicy,
    });
  }
}
