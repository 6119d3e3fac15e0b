/**
 * How every Lambda is bundled, in one place and without the CDK: EchoFunction hands these to
 * NodejsFunction (which runs esbuild with them), and `npm run bench` runs esbuild with the same
 * values to measure each handler's bundle.
 */
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
  // The bundle is ESM; CommonJS dependencies (pg, ioredis) still call require().
  banner:
    "import { createRequire as __echoRequire } from 'node:module'; const require = __echoRequire(import.meta.url);",
} as const;
