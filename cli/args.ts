/** What echoctl's commands share: option parsers that name what is wrong, and JSON output. */
import { InvalidArgumentError } from 'commander';

export function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('must be JSON, e.g. \'{"budget_usd": 100000}\'');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new InvalidArgumentError('must be a JSON object');
  return parsed as Record<string, unknown>;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new InvalidArgumentError('must be an integer from 1 to 1000');
  return n;
}

export const print = (value: unknown): void =>
  void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/**
 * The short form of an id shown in listings (core/ids.ts: its random tail). Any unique prefix or
 * suffix of 6 or more characters is taken back wherever an id is.
 */
export { shortId as short } from '../lambdas/core/ids.ts';
