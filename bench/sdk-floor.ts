/**
 * The floor of an agent bundle (bench/bundles.ts): the AWS SDK clients and commands the Lambdas use,
 * and nothing of ECHO. Bundled and loaded as an agent is, it shows how many of an agent's bytes and
 * milliseconds no change to the project's own code can remove while the Lambdas call AWS through the
 * AWS SDK. Keep it in step with the imports of lambdas/adapters (the bundles test checks it).
 */
export {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
export { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
export {
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RDSDataClient,
  RollbackTransactionCommand,
} from '@aws-sdk/client-rds-data';
export { fromEnv } from '@aws-sdk/credential-provider-env';
