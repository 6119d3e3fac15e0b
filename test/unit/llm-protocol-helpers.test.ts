/**
 * The pure parts of the LLM adapters: refusal recognition, tool arguments, the common finish of an
 * answer, OpenAI's strict schema form and its way back, and the readers of streamed bodies (lines,
 * Server-Sent Events) over chunks cut anywhere.
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { dropOptionalNulls, strictSchema, wireName, wireSchema } from '../../lambdas/adapters/llm/schema.ts';
import {
  finishResponse,
  recognizeRefusal,
  toolArguments,
  toolResultText,
} from '../../lambdas/adapters/llm/shared.ts';
import { lines, sseEvents } from '../../lambdas/adapters/llm/streams.ts';
import { type ChatRequest, LlmResponseError } from '../../lambdas/core/llm.ts';

describe('recognizeRefusal', () => {
  it.each([
    "I can't help with that.",
    "I'm sorry, but I can't help with that.",
    'I’m sorry, but I can’t assist with this request.',
    'Sorry, I cannot comply with that request.',
    'I am unable to help with that',
    "I won't be able to help with that.",
    'I cannot provide that information.',
    'Unfortunately, I can not fulfill this request.',
    "I'm not able to do that, but you could ask the CHRO.",
    "Apologies, but I can't help with that.",
  ])('recognizes "%s"', (text) => {
    expect(recognizeRefusal(text)).toBe(text.replace(/\s+/g, ' ').trim());
  });

  it.each([
    "I can't help with the API design; the senior architect owns it.",
    "I can't help noticing the budget is already spent.",
    'I cannot do this alone; we need the CHRO.',
    'Approve: the migration fits the budget.',
    '{"verdict":"approve","reason":"I can\'t help with that"}',
    '',
    `I can't help with that. ${'Here is what I would do instead. '.repeat(30)}`,
  ])('takes "%s" for an answer, not a refusal', (text) => {
    expect(recognizeRefusal(text)).toBeUndefined();
  });
});

describe('tool arguments and results', () => {
  it('parses arguments that are JSON, keeps the raw text that is not, and reads nothing as {}', () => {
    expect(toolArguments('{"team":"platform"}')).toEqual({ team: 'platform' });
    expect(toolArguments('{"team": "platf')).toBe('{"team": "platf');
    expect(toolArguments('  ')).toEqual({});
  });

  it('says a failed result failed, once, for protocols without an error flag', () => {
    const result = { role: 'tool' as const, toolCallId: 'c1', name: 't', content: 'over authority' };
    expect(toolResultText(result)).toBe('over authority');
    expect(toolResultText({ ...result, isError: true })).toBe('Error: over authority');
    expect(toolResultText({ ...result, content: 'error: over authority', isError: true })).toBe(
      'error: over authority',
    );
  });
});

describe('finishResponse', () => {
  const request: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'Go?' }] };
  const finish = (answer: Partial<Parameters<typeof finishResponse>[2]>, extra: Partial<ChatRequest> = {}) =>
    finishResponse(
      'p',
      { ...request, ...extra },
      { text: '', toolCalls: [], stopReason: 'end', ...answer },
      0,
    );

  it('tool calls make the stop reason tool_calls, and need no JSON even in JSON mode', () => {
    const response = finish({ toolCalls: [{ id: 'c1', name: 't', arguments: {} }] }, { json: true });
    expect(response).toMatchObject({ stopReason: 'tool_calls', text: '' });
  });

  it("a refusal (the provider's, or in the text) has no text, and is not a JSON error", () => {
    expect(finish({ refusal: 'Not allowed.' }, { json: true })).toMatchObject({
      stopReason: 'refusal',
      refusal: 'Not allowed.',
      text: '',
    });
    expect(finish({ text: "I can't help with that." })).toMatchObject({
      stopReason: 'refusal',
      refusal: "I can't help with that.",
      text: '',
    });
  });

  it('checks JSON mode and a response schema to be one JSON object, saying when maxTokens cut it', () => {
    expect(finish({ text: 'Sure: {"a":1}' }, { json: true }).text).toBe('{"a":1}');
    expect(() =>
      finish({ text: '{"a":', stopReason: 'max_tokens' }, { responseSchema: { name: 'x', schema: {} } }),
    ).toThrow(/cut off at maxTokens/);
  });

  it('an empty answer is an LlmResponseError; a filtered one is passed on as it is', () => {
    expect(() => finish({ text: '  ' })).toThrow(LlmResponseError);
    expect(finish({ text: '', stopReason: 'content_filter' }, { json: true }).stopReason).toBe(
      'content_filter',
    );
  });

  it('estimates the usage the provider did not give, tool calls included', () => {
    const response = finish({ toolCalls: [{ id: 'c1', name: 'tool', arguments: { a: 1 } }] });
    expect(response.usage.outputTokens).toBeGreaterThan(0);
    expect(finish({ text: 'ok', inputTokens: 5, outputTokens: 1 }).usage).toEqual({
      inputTokens: 5,
      outputTokens: 1,
    });
  });
});

describe('schemas on the wire', () => {
  it('drops the $schema dialect, makes names acceptable', () => {
    expect(wireSchema(z.toJSONSchema(z.object({ a: z.string() })))).not.toHaveProperty('$schema');
    expect(wireName('vote on: decision #1')).toBe('vote_on__decision__1');
    expect(wireName('x'.repeat(80))).toHaveLength(64);
  });

  it('strict form: every object closed, optional properties required and nullable, lost constraints described', () => {
    const schema = z.toJSONSchema(
      z.object({
        verdict: z.enum(['yes', 'no']),
        note: z.string().min(1).max(50).optional(),
        tags: z.array(z.object({ name: z.string(), weight: z.number().default(1) })).optional(),
        owner: z.object({ role: z.string(), since: z.string().optional() }),
        choice: z.literal('a').optional(),
      }),
      { io: 'input' },
    );
    const strict = strictSchema(schema);
    expect(strict.strict).toBe(true);
    if (!strict.strict) return;
    expect(strict.schema).toEqual({
      type: 'object',
      properties: {
        verdict: { type: 'string', enum: ['yes', 'no'] },
        note: { type: ['string', 'null'], description: '(at least 1 character; at most 50 characters)' },
        tags: {
          type: ['array', 'null'],
          items: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              weight: { type: ['number', 'null'], description: '(default 1)' },
            },
            required: ['name', 'weight'],
            additionalProperties: false,
          },
        },
        owner: {
          type: 'object',
          properties: { role: { type: 'string' }, since: { type: ['string', 'null'] } },
          required: ['role', 'since'],
          additionalProperties: false,
        },
        choice: { anyOf: [{ type: 'string', const: 'a' }, { type: 'null' }] },
      },
      required: ['verdict', 'note', 'tags', 'owner', 'choice'],
      additionalProperties: false,
    });
    expect(strict.optional).toEqual([
      ['note'],
      ['tags', '*', 'weight'],
      ['tags'],
      ['owner', 'since'],
      ['choice'],
    ]);
  });

  it.each([
    [
      { type: 'object', properties: { m: { type: 'object', additionalProperties: { type: 'number' } } } },
      /m is an open map/,
    ],
    [{ anyOf: [{ type: 'object' }, { type: 'string' }] }, /root must be an object/],
    [{ type: 'object', properties: { x: { allOf: [{ type: 'string' }] } } }, /"allOf" at x/],
    [{ type: 'object', properties: { x: {} } }, /x accepts any value/],
    [
      { type: 'object', properties: { x: { type: 'array', prefixItems: [{ type: 'string' }] } } },
      /"prefixItems" at x/,
    ],
    [
      {
        type: 'object',
        properties: {
          u: { anyOf: [{ type: 'object', properties: { a: { type: 'string' } } }, { type: 'null' }] },
        },
      },
      /optional property u\.anyOf\[0\]\.a sits inside anyOf/,
    ],
  ])('cannot put %j in strict form, and says why', (schema, reason) => {
    const strict = strictSchema({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...schema });
    expect(strict.strict).toBe(false);
    if (strict.strict) return;
    expect(strict.reason).toMatch(reason);
    expect(strict.schema).not.toHaveProperty('$schema');
  });

  it('takes back out the nulls strict mode forced on optional properties, and only those', () => {
    const answer = {
      verdict: 'yes',
      note: null,
      tags: [
        { name: 'a', weight: null },
        { name: 'b', weight: 2 },
      ],
      owner: { role: 'cto', since: null },
      kept: null,
    };
    expect(
      dropOptionalNulls(answer, [['note'], ['tags', '*', 'weight'], ['tags'], ['owner', 'since']]),
    ).toEqual({
      verdict: 'yes',
      tags: [{ name: 'a' }, { name: 'b', weight: 2 }],
      owner: { role: 'cto' },
      kept: null,
    });
  });
});

describe('streamed bodies', () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  async function* chunked(text: string, size: number): AsyncGenerator<Uint8Array> {
    const all = bytes(text);
    for (let i = 0; i < all.length; i += size) yield all.subarray(i, i + size);
  }
  const collect = async <T>(source: AsyncIterable<T>): Promise<T[]> => {
    const out: T[] = [];
    for await (const item of source) out.push(item);
    return out;
  };

  it.each([1, 2, 3, 7, 1000])(
    'lines: \\n and \\r\\n, a last line without one, characters cut across chunks (chunks of %i)',
    async (size) => {
      const text = '{"a":"é"}\r\n{"b":"🚀"}\n\n{"c":"—"}';
      expect(await collect(lines(chunked(text, size)))).toEqual(['{"a":"é"}', '{"b":"🚀"}', '', '{"c":"—"}']);
    },
  );

  it.each([1, 5, 1000])(
    'Server-Sent Events: data lines joined, comments and other fields skipped (chunks of %i)',
    async (size) => {
      const stream = [
        ': keep-alive',
        'data: {"a":1}',
        '',
        'event: error',
        'id: 7',
        'data: line one',
        'data:line two',
        '',
        'retry: 100',
        'data: [DONE]',
        '',
        'data: cut short',
      ].join('\n');
      expect(await collect(sseEvents(lines(chunked(stream, size))))).toEqual([
        { event: undefined, data: '{"a":1}' },
        { event: 'error', data: 'line one\nline two' },
        { event: undefined, data: '[DONE]' },
        { event: undefined, data: 'cut short' },
      ]);
    },
  );
});
