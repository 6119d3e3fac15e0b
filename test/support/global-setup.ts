import { onCi } from './services.ts';

/** Fails fast on CI when a required service variable is missing. */
export default function setup(): void {
  if (!onCi) return;
  for (const name of ['DATABASE_URL', 'REDIS_URL'] as const) {
    if (!process.env[name])
      throw new Error(`${name} is not set: on CI every service is required (see .ci/run)`);
  }
}
