/**
 * The EventBridge pattern matcher against the shared conformance cases (checked on AWS): one test per
 * case. The cases live outside the repository, in ../shared/conformance/eventbridge-patterns; a fresh
 * clone without them skips this suite, CI (CI=true or 1) fails without them.
 */
import fs from 'node:fs';
import path from 'node:path';
import JSON5 from 'json5';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidEventPatternError } from '../../lambdas/core/errors.ts';
import { compileEventPattern, parseEventPattern } from '../../lambdas/local/eventbridge/pattern.ts';

const folder = path.resolve(process.cwd(), '../shared/conformance/eventbridge-patterns');
const onCi = process.env.CI === 'true' || process.env.CI === '1';

type Outcome = 'match' | 'no match' | 'invalid';
interface Case {
  readonly name: string;
  readonly event: unknown;
  /** An object, or JSON text (the form the EventBridge API takes) read with parseEventPattern. */
  readonly pattern: unknown;
  readonly expected: Outcome;
}

const read = (file: string) => fs.readFileSync(path.join(folder, file), 'utf8');

/** File suffix: none = the pattern matches, _NEG = valid but no match, _EXC = AWS rejects the pattern. */
function loadCases(): Case[] {
  const cases: Case[] = fs
    .readdirSync(folder)
    .filter((file) => file.endsWith('.json5'))
    .sort()
    .map((file) => {
      const { Event, EventPattern } = JSON5.parse<{ Event: unknown; EventPattern: unknown }>(read(file));
      const stem = file.slice(0, -'.json5'.length);
      const expected = stem.endsWith('_EXC') ? 'invalid' : stem.endsWith('_NEG') ? 'no match' : 'match';
      return { name: file, event: Event, pattern: EventPattern, expected };
    });
  // The extra pair repeats a key in its pattern, so it stays JSON text: a JSON5 (or JSON.parse) reading
  // would drop the first `location`. AWS treats it as a match (README.md of the folder).
  cases.push({
    name: 'complex_multi_key_event.json + complex_multi_key_event_pattern.json',
    event: JSON.parse(read('complex_multi_key_event.json')),
    pattern: read('complex_multi_key_event_pattern.json'),
    expected: 'match',
  });
  return cases;
}

function outcome(pattern: unknown, event: unknown): Outcome {
  try {
    const matches = compileEventPattern(typeof pattern === 'string' ? parseEventPattern(pattern) : pattern);
    return matches(event) ? 'match' : 'no match';
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return 'invalid';
    throw error;
  }
}

if (fs.existsSync(folder)) {
  const cases = loadCases();
  let ran = 0;
  afterAll(() => console.log(`[conformance] ${ran} EventBridge pattern cases`));

  describe('EventBridge pattern conformance', () => {
    it.each(cases)('$name: $expected', ({ pattern, event, expected }) => {
      ran++;
      expect(outcome(pattern, event)).toBe(expected);
    });
  });
} else if (onCi) {
  it('finds the EventBridge pattern conformance cases (required on CI)', () => {
    expect.fail(`${folder} does not exist: on CI the conformance cases are required`);
  });
} else {
  console.log(`[conformance] ${folder} not found: skipping the EventBridge pattern conformance cases`);
  it.skip('EventBridge pattern conformance (cases not found)', () => {});
}
