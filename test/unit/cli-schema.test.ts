/** How echoctl reads a JSON Schema's field to a person (`echoctl agents <role>`, `workflows --available`). */
import { describe, expect, it } from 'vitest';
import { describeType, fieldLines } from '../../cli/schema.ts';

describe('a field described for a person', () => {
  it("an array says its items' limits apart from its own count, in plain English", () => {
    const tags = { type: 'array', items: { type: 'string', minLength: 1, maxLength: 50 }, maxItems: 20 };
    expect(describeType(tags)).toBe('array of (string, 1 to 50 characters), at most 20 items');
    const services = { type: 'array', items: { type: 'string', minLength: 1 } };
    expect(describeType(services)).toBe('array of (string, at least 1 character)');
    expect(describeType({ type: 'array', items: { type: 'string' }, minItems: 2 })).toBe(
      'array of string, at least 2 items',
    );
    expect(describeType({ type: 'string', minLength: 3 })).toBe('string, at least 3 characters');
    expect(fieldLines({ properties: { tags }, required: [] })).toEqual([
      '    tags  array of (string, 1 to 50 characters), at most 20 items  (optional)',
    ]);
  });
});
