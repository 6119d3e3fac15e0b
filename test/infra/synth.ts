/**
 * Synthesizes the CDK app the way `cdk synth` does, in the test's process: one App per call.
 * `bundle: false` skips esbuild (the template is the same but for the code assets' hashes); the
 * offline `cdk synth` test bundles for real.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readConfig } from '../../infra/config.ts';
import { createEcho } from '../../infra/echo.ts';

/** The context cdk.json gives the CLI, so the tests synthesize what `cdk synth` does. */
export const cdkJsonContext: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'),
).context;

export function synth(
  context: Record<string, unknown> = {},
  options: { bundle?: boolean; nag?: boolean } = {},
) {
  const app = new App({
    context: {
      ...cdkJsonContext,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...context,
    },
  });
  const config = readConfig((key) => app.node.tryGetContext(key));
  const echo = createEcho(app, config, { nag: options.nag ?? false });
  return {
    app,
    config,
    ...echo,
    statefulTemplate: Template.fromStack(echo.stateful),
    statelessTemplate: Template.fromStack(echo.stateless),
  };
}
