/**
 * How every Lambda is bundled, in one place and without the CDK: EchoFunction hands these to
 * NodejsFunction (which runs esbuild with them), and `npm run bench` runs esbuild with the same
 * values to measure each handler's bundle.
 */
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';

/** Which SQL driver a deployment's functions use: the Data API on AWS, node-postgres on LocalStack. */
export type LambdaSqlDriver = 'rds-data' | 'node-postgres';

/** Which model provider a function may open: Bedrock for the agents of a deployment with models, else none (the rules). */
export type LambdaLlm = 'bedrock' | 'rules';

export const BUNDLING = {
  /** OutputFormat.ESM; the file is `index.mjs`. */
  format: 'esm',
  target: 'node22',
  platform: 'node',
  mainFields: ['module', 'main'],
  minify: true,
  /** SourceMapMode.DEFAULT: `index.mjs.map` beside the bundle, linked from it. */
  sourceMap: true,
  sourcesContent: false,
  // Everything is bundled, the AWS SDK too: the versions in package-lock.json, not the runtime's.
  externalModules: [] as string[],
  // The bundle is ESM; CommonJS dependencies (pg, the X-Ray SDK) still call require().
  banner:
    "import { createRequire as __echoRequire } from 'node:module'; const require = __echoRequire(import.meta.url);",
} as const;

/** The module a Lambda bundle carries in place of the AWS SDK's default credential chain. */
export const LAMBDA_CREDENTIALS_MODULE = fileURLToPath(
  new URL('../lambdas/adapters/aws-credentials.lambda.ts', import.meta.url),
);

/**
 * What differs between a Lambda bundle and the code as `npm start` runs it:
 * - `define`: `__ECHO_SQL_DRIVER__` names the one SQL driver the deployment uses
 *   (lambdas/adapters/sql/open-server.ts); esbuild drops the other from the bundle (pg and its
 *   dependencies, 82 KB, from every function on AWS). `__ECHO_LLM_PROVIDER__` names the one model
 *   provider the function may open (lambdas/adapters/llm/open.ts): the OpenAI-compatible and Ollama
 *   adapters are never in a Lambda, and the Bedrock client only in the agents of a deployment with
 *   models (the other functions think with the rules).
 * - `alias`: the AWS SDK clients' default credential chain (`@aws-sdk/credential-provider-node`: SSO,
 *   INI files, processes, web identity, container and instance metadata, with the STS, SSO and sign-in
 *   clients they need, 93 KB) is replaced by the environment's credentials, which is where Lambda
 *   puts a function's (lambdas/adapters/aws-credentials.lambda.ts).
 */
export function lambdaBundling(target: { sqlDriver: LambdaSqlDriver; llm: LambdaLlm }): {
  define: Record<string, string>;
  alias: Record<string, string>;
} {
  return {
    define: {
      __ECHO_SQL_DRIVER__: JSON.stringify(target.sqlDriver),
      __ECHO_LLM_PROVIDER__: JSON.stringify(target.llm),
    },
    alias: { '@aws-sdk/credential-provider-node': LAMBDA_CREDENTIALS_MODULE },
  };
}

/**
 * The same bundling as esbuild's own options, for what runs esbuild itself rather than through the
 * CDK: `npm run bench` and the bundle tests.
 */
export function esbuildOptions(target: { sqlDriver: LambdaSqlDriver; llm: LambdaLlm }) {
  return {
    bundle: true,
    format: BUNDLING.format,
    target: BUNDLING.target,
    platform: BUNDLING.platform,
    mainFields: [...BUNDLING.mainFields],
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    external: [...BUNDLING.externalModules],
    banner: { js: BUNDLING.banner },
    ...lambdaBundling(target),
  } satisfies BuildOptions;
}
