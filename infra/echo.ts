/**
 * The whole system on one CDK app: the stateful stack, the stateless stack bound to it, and the
 * AWS Solutions checks of cdk-nag on everything (a finding that is not acknowledged, with its
 * reason, fails the synthesis).
 */
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { EchoInfraConfig } from './config.ts';
import { StatefulStack } from './stateful-stack.ts';
import { StatelessStack } from './stateless-stack.ts';

export interface Echo {
  stateful: StatefulStack;
  stateless: StatelessStack;
}

export const stackNames = (stage: string) => ({
  stateful: `echo-${stage}-stateful`,
  stateless: `echo-${stage}-stateless`,
});

/** `nag: false` leaves the checks out (tests that run them themselves, with `validateScope`). */
export function createEcho(app: App, config: EchoInfraConfig, options: { nag?: boolean } = {}): Echo {
  const names = stackNames(config.stage);
  const tags = { project: 'echo', stage: config.stage };
  const stateful = new StatefulStack(app, names.stateful, {
    config,
    stackName: names.stateful,
    description: `ECHO ${config.stage}: network, Aurora (Data API), cache, event bus`,
    tags,
    terminationProtection: config.deletionProtection,
  });
  const stateless = new StatelessStack(app, names.stateless, {
    config,
    stateful,
    stackName: names.stateless,
    description: `ECHO ${config.stage}: agents, ingest, sweeper, workflows, HTTP API, rules, schedules, alarms`,
    tags,
  });
  stateless.addStackDependency(stateful);
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { stateful, stateless };
}
