/**
 * The CDK app (cdk.json runs it): `npx cdk synth -c stage=dev`, `npx cdk deploy --all -c stage=dev`,
 * `-c localstack=true` for the LocalStack variant. Environment-agnostic: no account or Region is
 * looked up, so synthesis needs no credentials; the deploy's credentials choose both.
 */
import { App } from 'aws-cdk-lib';
import { readConfig } from './config.ts';
import { createEcho } from './echo.ts';

const app = new App();
createEcho(
  app,
  readConfig((key) => app.node.tryGetContext(key)),
);
app.synth();
