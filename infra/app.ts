/**
 * The CDK app (cdk.json runs it): `npx cdk synth -c stage=dev`, `npx cdk deploy --all -c stage=dev`,
 * `-c localstack=true` for the LocalStack variant. Environment-agnostic: no account or Region is
 * looked up, so synthesis needs no credentials; the deploy's credentials choose both.
 */
import { App } from 'aws-cdk-lib';
import { ContextError, readConfig } from './config.ts';
import { createEcho } from './echo.ts';

const app = new App();
try {
  createEcho(
    app,
    readConfig((key) => app.node.tryGetContext(key)),
  );
} catch (error) {
  // a bad -c value is the user's to fix: one line naming it, not a stack trace
  if (!(error instanceof ContextError)) throw error;
  console.error(`echo: cannot synthesize: ${error.message}`);
  process.exit(1);
}
app.synth();
