/**
 * Tool calling, structured output, refusals and stop reasons in each provider's own protocol,
 * streamed and whole: every adapter against the scripted server that speaks its protocol (OpenAI
 * Chat Completions, Ollama /api/chat, Bedrock Converse/ConverseStream through the real AWS SDK).
 * The contract part runs the same conversation through all three; the per-protocol part asserts
 * the wire format each one sent.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  BEDROCK_ANSWER_TOOL_DESCRIPTION,
  BEDROCK_NO_TOOLS_INSTRUCTION,
  createBedrockLlm,
} from '../../lambdas/adapters/llm/bedrock.llm.ts';
import { createOllamaLlm, ollamaForcedToolInstruction } from '../../lambdas/adapters/llm/ollama.llm.ts';
import { createOpenAiCompatibleLlm } from '../../lambdas/adapters/llm/openai-compatible.llm.ts';
import { ValidationError } from '../../lambdas/core/errors.ts';
import {
  type ChatMessage,
  type ChatRequest,
  type ChatResponse,
  type Llm,
  type LlmError,
  LlmRateLimitedError,
  LlmResponseError,
  LlmTimeoutError,
  LlmUnavailableError,
  type ToolSpec,
} from '../../lambdas/core/llm.ts';
import {
  type LlmProtocol,
  type ScriptedLlmServer,
  startScriptedLlmServer,
} from '../support/scripted-llm-servers.ts';

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };

const protocols: Array<{ protocol: LlmProtocol; model: string; open(url: string, stream: boolean): Llm }> = [
  {
    protocol: 'openai',
    model: 'gpt-4o-mini',
    open: (url, stream) => createOpenAiCompatibleLlm({ baseUrl: url, stream }),
  },
  { protocol: 'ollama', model: 'qwen3:8b', open: (url, stream) => createOllamaLlm({ baseUrl: url, stream }) },
  {
    protocol: 'bedrock',
    model: 'amazon.nova-micro-v1:0',
    open: (url, stream) => createBedrockLlm({ region: 'us-east-1', endpoint: url, credentials, stream }),
  },
];
const cases = protocols.flatMap((p) => [
  { ...p, stream: true, mode: 'streamed' },
  { ...p, stream: false, mode: 'whole' },
]);

/** Two of a role's tools, their input schemas as zod writes them (with `$schema`). */
const tools: ToolSpec[] = [
  {
    name: 'lookup_budget',
    description: 'The budget a team has left this quarter.',
    inputSchema: z.toJSONSchema(z.object({ team: z.string() })),
  },
  {
    name: 'approve_spend',
    description: 'Approve a spend within your authority; above it, the spend is escalated.',
    inputSchema: z.toJSONSchema(z.object({ amount: z.number().positive(), purpose: z.string().max(200) })),
  },
];

/** The tools as OpenAI and Ollama carry them: `{type: "function", function: {name, description, parameters}}`. */
const functionTools = [
  {
    type: 'function',
    function: {
      name: 'lookup_budget',
      description: 'The budget a team has left this quarter.',
      parameters: {
        type: 'object',
        properties: { team: { type: 'string' } },
        required: ['team'],
        additionalProperties: false,
      },
    },
  },
  { type: 'function', function: expect.objectContaining({ name: 'approve_spend' }) },
];

const Vote = z.object({
  verdict: z.enum(['approve', 'reject', 'abstain']),
  confidence: z.number().min(0).max(1),
  rationale: z.string().max(300).optional(),
});
const voteSchema = { name: 'vote', schema: z.toJSONSchema(Vote) };

const opening: ChatMessage[] = [
  { role: 'system', content: 'You are the CTO of ECHO.' },
  { role: 'user', content: 'Fund the Postgres 17 migration for the platform team: $120k.' },
];

const ask = (model: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model,
  messages: opening,
  maxTokens: 256,
  ...extra,
});

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
}

/** The conversation after the model's tool calls: its turn, then one result per call (the second failed). */
function afterTools(first: ChatResponse): ChatMessage[] {
  const [budget, spend] = first.toolCalls;
  return [
    ...opening,
    { role: 'assistant', content: first.text, toolCalls: first.toolCalls },
    { role: 'tool', toolCallId: budget!.id, name: budget!.name, content: '{"remaining":450000}' },
    {
      role: 'tool',
      toolCallId: spend!.id,
      name: spend!.name,
      content: 'escalated: $120,000 is above the authority of this tool',
      isError: true,
    },
  ];
}

const twoCalls = {
  kind: 'tool-calls' as const,
  text: 'Let me check the budget first.',
  calls: [
    { name: 'lookup_budget', arguments: { team: 'platform' } },
    { name: 'approve_spend', arguments: { amount: 120000, purpose: 'Postgres 17 migration' } },
  ],
  inputTokens: 60,
  outputTokens: 25,
};

describe.each(cases)(
  'tool calling and structured output: $protocol ($mode)',
  ({ protocol, model, open, stream }) => {
    let server: ScriptedLlmServer;
    let llm: Llm;
    beforeAll(async () => {
      server = await startScriptedLlmServer(protocol);
      llm = open(server.url, stream);
    });
    afterEach(() => server.reset());
    afterAll(() => server.close());

    it('round trip: tools offered, two tools asked for in one turn, results sent back, final answer', async () => {
      server.script(twoCalls, { kind: 'answer', text: 'Escalated the $120k to the CEO; budget is there.' });
      const first = await llm.chat(ask(model, { tools, toolChoice: 'auto' }));
      expect(first).toMatchObject({
        text: 'Let me check the budget first.',
        stopReason: 'tool_calls',
        usage: { inputTokens: 60, outputTokens: 25 },
        provider: protocol,
        toolCalls: [
          { name: 'lookup_budget', arguments: { team: 'platform' } },
          { name: 'approve_spend', arguments: { amount: 120000, purpose: 'Postgres 17 migration' } },
        ],
      });
      const ids = first.toolCalls.map((c) => c.id);
      expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
      expect(new Set(ids).size).toBe(2);

      const final = await llm.chat(ask(model, { tools, messages: afterTools(first) }));
      expect(final).toMatchObject({
        text: 'Escalated the $120k to the CEO; budget is there.',
        stopReason: 'end',
        toolCalls: [],
      });

      const [offered, answered] = server.requests;
      expect(offered!.chat.stream).toBe(stream);
      expect(offered!.chat.tools).toEqual([
        {
          name: 'lookup_budget',
          description: 'The budget a team has left this quarter.',
          inputSchema: {
            type: 'object',
            properties: { team: { type: 'string' } },
            required: ['team'],
            additionalProperties: false,
          },
        },
        {
          name: 'approve_spend',
          description: tools[1]!.description,
          inputSchema: expect.objectContaining({ required: ['amount', 'purpose'] }),
        },
      ]);
      expect(answered!.chat.messages.slice(2)).toMatchObject([
        {
          role: 'assistant',
          content: 'Let me check the budget first.',
          toolCalls: [
            { name: 'lookup_budget', arguments: { team: 'platform' } },
            { name: 'approve_spend', arguments: { amount: 120000, purpose: 'Postgres 17 migration' } },
          ],
        },
        { role: 'tool', content: '{"remaining":450000}' },
        { role: 'tool', content: expect.stringContaining('escalated: $120,000') },
      ]);
    });

    it('a forced tool comes back as that tool call', async () => {
      server.script(
        protocol === 'ollama'
          ? // Ollama has no tool_choice: the adapter asks for the tool's input through `format`.
            { kind: 'answer', text: '{"amount":120000,"purpose":"Postgres 17 migration"}' }
          : {
              kind: 'tool-calls',
              calls: [
                { name: 'approve_spend', arguments: { amount: 120000, purpose: 'Postgres 17 migration' } },
              ],
            },
      );
      const response = await llm.chat(ask(model, { tools, toolChoice: { name: 'approve_spend' } }));
      expect(response.stopReason).toBe('tool_calls');
      expect(response.toolCalls).toEqual([
        {
          id: expect.any(String),
          name: 'approve_spend',
          arguments: { amount: 120000, purpose: 'Postgres 17 migration' },
        },
      ]);
    });

    it('a tool choice that names no tool offered is a ValidationError naming the field', async () => {
      const error = await failure(llm.chat(ask(model, { tools, toolChoice: { name: 'fire_everyone' } })));
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({
        field: 'toolChoice.name',
        message: expect.stringMatching(/lookup_budget, approve_spend.*fire_everyone/),
      });
      expect(server.requests).toHaveLength(0);
    });

    it('structured output: a response schema gets one JSON object back as text', async () => {
      const vote = { verdict: 'approve', confidence: 0.8, rationale: 'Within budget.' };
      server.script(
        protocol === 'bedrock'
          ? // Bedrock: the answer is the input of the tool the model was forced to call.
            { kind: 'tool-calls', calls: [{ name: 'vote', arguments: vote }] }
          : { kind: 'answer', text: JSON.stringify(vote) },
      );
      const response = await llm.chat(ask(model, { responseSchema: voteSchema }));
      expect(JSON.parse(response.text)).toEqual(vote);
      expect(Vote.parse(JSON.parse(response.text))).toEqual(vote);
      expect(response).toMatchObject({ stopReason: 'end', toolCalls: [] });
    });

    it('structured output: an answer that is not one JSON object is LlmResponseError', async () => {
      server.script(
        protocol === 'bedrock'
          ? { kind: 'tool-calls', calls: [{ name: 'vote', rawArguments: 'approve, I think' }] }
          : { kind: 'answer', text: 'approve, I think' },
      );
      if (protocol === 'bedrock' && !stream) {
        // A whole Converse answer carries toolUse.input as a JSON document: it cannot be broken JSON.
        server.reset();
        server.script({ kind: 'answer', text: 'approve, I think' });
      }
      const error = await failure(llm.chat(ask(model, { responseSchema: voteSchema })));
      expect(error).toBeInstanceOf(LlmResponseError);
      expect((error as LlmError).message).toContain('approve, I think');
    });

    it('a refusal comes back as a refusal, not as the answer', async () => {
      server.script({ kind: 'refusal', text: "I'm sorry, but I can't help with that." });
      const response = await llm.chat(ask(model, { json: true }));
      expect(response).toMatchObject({
        stopReason: 'refusal',
        refusal: "I'm sorry, but I can't help with that.",
        text: '',
        toolCalls: [],
      });
    });

    it('an answer cut at maxTokens says so', async () => {
      server.script({ kind: 'answer', text: 'We should adopt Postgres 17 because', stop: 'max_tokens' });
      const response = await llm.chat(ask(model));
      expect(response).toMatchObject({
        stopReason: 'max_tokens',
        text: 'We should adopt Postgres 17 because',
      });
    });

    it.runIf(protocol !== 'ollama')('a filtered answer is content_filter', async () => {
      server.script({ kind: 'answer', text: 'The plan is', stop: 'content_filter' });
      const response = await llm.chat(ask(model, { json: true }));
      expect(response.stopReason).toBe('content_filter');
    });

    it.runIf(protocol === 'openai' || (protocol === 'bedrock' && stream))(
      'arguments that are not valid JSON come back as the raw text',
      async () => {
        server.script({
          kind: 'tool-calls',
          calls: [{ name: 'lookup_budget', rawArguments: '{"team": "platf' }],
        });
        const response = await llm.chat(ask(model, { tools }));
        expect(response.stopReason).toBe('tool_calls');
        expect(response.toolCalls).toEqual([
          { id: expect.any(String), name: 'lookup_budget', arguments: '{"team": "platf' },
        ]);
      },
    );

    it.runIf(stream)('an error event mid-stream is its named error', async () => {
      server.script({
        kind: 'stream-error',
        status: 500,
        message: 'model runner crashed',
        text: 'We should',
      });
      const error = await failure(llm.chat(ask(model)));
      expect(error).toBeInstanceOf(LlmUnavailableError);
      expect(error).toMatchObject({
        retryable: true,
        message: expect.stringMatching(/mid-stream.*model runner crashed/),
      });
    });

    it.runIf(stream && protocol !== 'ollama')('throttling mid-stream is LlmRateLimitedError', async () => {
      server.script({ kind: 'stream-error', status: 429, message: 'too many tokens', text: 'We' });
      const error = await failure(llm.chat(ask(model)));
      expect(error).toBeInstanceOf(LlmRateLimitedError);
    });

    it.runIf(stream)('a stream that stalls mid-answer ends at the deadline: LlmTimeoutError', async () => {
      server.script({ kind: 'stall', text: 'We should adopt' });
      const error = await failure(llm.chat(ask(model), { timeoutMs: 300 }));
      expect(error).toBeInstanceOf(LlmTimeoutError);
      expect(error).toMatchObject({ message: `${protocol}: no answer within 300 ms` });
    });

    it('text arrives whole across frames cut anywhere, multi-byte characters included', async () => {
      const text = 'Décision: adopt Postgres 17 — budget €120k, “go” ✓ 🚀';
      server.script({ kind: 'answer', text });
      expect((await llm.chat(ask(model))).text).toBe(text);
    });
  },
);

describe('OpenAI Chat Completions wire format', () => {
  let server: ScriptedLlmServer;
  beforeAll(async () => {
    server = await startScriptedLlmServer('openai');
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());
  const model = 'gpt-4o-mini';

  it.each([true, false])(
    'tools, tool_choice, assistant tool_calls (arguments as a string), role tool with tool_call_id (stream %s)',
    async (stream) => {
      const llm = createOpenAiCompatibleLlm({ baseUrl: server.url, stream });
      server.script(twoCalls, { kind: 'answer', text: 'Done.' });
      const first = await llm.chat(ask(model, { tools, toolChoice: 'auto' }));
      await llm.chat(ask(model, { tools, messages: afterTools(first) }));
      const [offered, answered] = server.requests.map((r) => r.body);
      expect(offered.tools).toEqual(functionTools);
      expect(offered.tool_choice).toBe('auto');
      expect(answered.messages.slice(2)).toEqual([
        {
          role: 'assistant',
          content: 'Let me check the budget first.',
          tool_calls: [
            {
              id: first.toolCalls[0]!.id,
              type: 'function',
              function: { name: 'lookup_budget', arguments: '{"team":"platform"}' },
            },
            {
              id: first.toolCalls[1]!.id,
              type: 'function',
              function: {
                name: 'approve_spend',
                arguments: '{"amount":120000,"purpose":"Postgres 17 migration"}',
              },
            },
          ],
        },
        { role: 'tool', tool_call_id: first.toolCalls[0]!.id, content: '{"remaining":450000}' },
        {
          role: 'tool',
          tool_call_id: first.toolCalls[1]!.id,
          content: 'Error: escalated: $120,000 is above the authority of this tool',
        },
      ]);
      expect(first.toolCalls.map((c) => c.id)).toEqual([
        expect.stringMatching(/^call_/),
        expect.stringMatching(/^call_/),
      ]);
    },
  );

  it('tool_choice: a forced tool as {type: "function", function: {name}}, and none', async () => {
    const llm = createOpenAiCompatibleLlm({ baseUrl: server.url });
    server.script(
      { kind: 'tool-calls', calls: [{ name: 'lookup_budget', arguments: { team: 'x' } }] },
      { kind: 'answer', text: 'No tools.' },
    );
    await llm.chat(ask(model, { tools, toolChoice: { name: 'lookup_budget' } }));
    await llm.chat(ask(model, { tools, toolChoice: 'none' }));
    expect(server.requests[0]!.body.tool_choice).toEqual({
      type: 'function',
      function: { name: 'lookup_budget' },
    });
    expect(server.requests[1]!.body.tool_choice).toBe('none');
  });

  it('response_format json_schema, strict: objects closed, optional properties nullable, their nulls taken back out', async () => {
    const llm = createOpenAiCompatibleLlm({ baseUrl: server.url });
    server.script({ kind: 'answer', text: '{"verdict":"reject","confidence":0.4,"rationale":null}' });
    const response = await llm.chat(ask(model, { responseSchema: voteSchema }));
    expect(server.requests[0]!.body.response_format).toEqual({
      type: 'json_schema',
      json_schema: {
        name: 'vote',
        strict: true,
        schema: {
          type: 'object',
          properties: {
            verdict: { type: 'string', enum: ['approve', 'reject', 'abstain'] },
            confidence: { type: 'number', minimum: 0, maximum: 1 },
            rationale: { type: ['string', 'null'], description: '(at most 300 characters)' },
          },
          required: ['verdict', 'confidence', 'rationale'],
          additionalProperties: false,
        },
      },
    });
    expect(JSON.parse(response.text)).toEqual({ verdict: 'reject', confidence: 0.4 });
    expect(Vote.parse(JSON.parse(response.text))).toEqual({ verdict: 'reject', confidence: 0.4 });
  });

  it('message.refusal is the refusal, whatever the text around it', async () => {
    const llm = createOpenAiCompatibleLlm({ baseUrl: server.url, stream: false });
    server.script({ kind: 'refusal', text: 'This request breaks policy.' });
    const response = await llm.chat(ask(model, { responseSchema: voteSchema }));
    expect(response).toMatchObject({
      stopReason: 'refusal',
      refusal: 'This request breaks policy.',
      text: '',
    });
  });

  it('reads the usage chunk sent after the finish_reason, before [DONE]', async () => {
    const llm = createOpenAiCompatibleLlm({ baseUrl: server.url });
    server.script({ kind: 'answer', text: 'ok', inputTokens: 321, outputTokens: 9 });
    expect((await llm.chat(ask(model))).usage).toEqual({ inputTokens: 321, outputTokens: 9 });
  });
});

describe('Ollama /api/chat wire format', () => {
  let server: ScriptedLlmServer;
  beforeAll(async () => {
    server = await startScriptedLlmServer('ollama');
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());
  const model = 'qwen3:8b';

  it.each([true, false])(
    'tools, tool_calls with arguments as an object, role tool with tool_name (stream %s)',
    async (stream) => {
      const llm = createOllamaLlm({ baseUrl: server.url, stream });
      server.script(twoCalls, { kind: 'answer', text: 'Done.' });
      const first = await llm.chat(ask(model, { tools }));
      await llm.chat(ask(model, { tools, messages: afterTools(first) }));
      const [offered, answered] = server.requests.map((r) => r.body);
      expect(offered.stream).toBe(stream);
      expect(offered.tools).toEqual(functionTools);
      expect(answered.messages.slice(2)).toEqual([
        {
          role: 'assistant',
          content: 'Let me check the budget first.',
          tool_calls: [
            { function: { index: 0, name: 'lookup_budget', arguments: { team: 'platform' } } },
            {
              function: {
                index: 1,
                name: 'approve_spend',
                arguments: { amount: 120000, purpose: 'Postgres 17 migration' },
              },
            },
          ],
        },
        { role: 'tool', content: '{"remaining":450000}', tool_name: 'lookup_budget' },
        {
          role: 'tool',
          content: 'Error: escalated: $120,000 is above the authority of this tool',
          tool_name: 'approve_spend',
        },
      ]);
    },
  );

  it('makes ids for calls Ollama gave none: stable for the same conversation, another for another', async () => {
    const llm = createOllamaLlm({ baseUrl: server.url });
    server.script(twoCalls, twoCalls, twoCalls);
    const a = await llm.chat(ask(model, { tools }));
    const b = await llm.chat(ask(model, { tools }));
    const c = await llm.chat(
      ask(model, { tools, messages: [...opening, { role: 'user', content: 'Again.' }] }),
    );
    expect(a.toolCalls.map((t) => t.id)).toEqual(b.toolCalls.map((t) => t.id));
    expect(c.toolCalls[0]!.id).not.toBe(a.toolCalls[0]!.id);
    expect(a.toolCalls[0]!.id).toMatch(/^call_[0-9a-f]{24}$/);
  });

  it('format: the schema for a response schema; "none" offers no tools; a forced tool is asked for through format', async () => {
    const llm = createOllamaLlm({ baseUrl: server.url });
    server.script(
      { kind: 'answer', text: '{"verdict":"approve","confidence":1}' },
      { kind: 'answer', text: 'In text.' },
      { kind: 'answer', text: '{"team":"platform"}' },
    );
    await llm.chat(ask(model, { responseSchema: voteSchema }));
    await llm.chat(ask(model, { tools, toolChoice: 'none' }));
    const forced = await llm.chat(ask(model, { tools, toolChoice: { name: 'lookup_budget' } }));
    const [schema, none, force] = server.requests.map((r) => r.body);
    const { $schema: _, ...voteWire } = voteSchema.schema;
    expect(schema.format).toEqual(voteWire);
    expect(none).not.toHaveProperty('tools');
    expect(force).not.toHaveProperty('tools');
    expect(force.format).toEqual({
      type: 'object',
      properties: { team: { type: 'string' } },
      required: ['team'],
      additionalProperties: false,
    });
    expect(force.messages.at(-1)).toEqual({
      role: 'system',
      content: ollamaForcedToolInstruction(tools[0]!),
    });
    expect(forced.toolCalls).toEqual([
      { id: expect.stringMatching(/^call_/), name: 'lookup_budget', arguments: { team: 'platform' } },
    ]);
  });

  it('arguments that do not parse never become a call: Ollama leaves the words in the content', async () => {
    const llm = createOllamaLlm({ baseUrl: server.url });
    server.script({
      kind: 'tool-calls',
      calls: [{ name: 'lookup_budget', rawArguments: '{"team": "platf' }],
    });
    const response = await llm.chat(ask(model, { tools }));
    expect(response).toMatchObject({ toolCalls: [], stopReason: 'end', text: '{"team": "platf' });
  });
});

describe('Bedrock Converse wire format', () => {
  let server: ScriptedLlmServer;
  beforeAll(async () => {
    server = await startScriptedLlmServer('bedrock');
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());
  const model = 'amazon.nova-micro-v1:0';

  it.each([true, false])(
    'toolConfig, toolUse blocks, consecutive toolResult blocks in one user message (stream %s)',
    async (stream) => {
      const llm = createBedrockLlm({ region: 'us-east-1', endpoint: server.url, credentials, stream });
      server.script(twoCalls, { kind: 'answer', text: 'Done.' });
      const first = await llm.chat(ask(model, { tools }));
      await llm.chat(ask(model, { tools, messages: afterTools(first) }));
      const [offered, answered] = server.requests.map((r) => r.body);
      expect(server.requests[0]!.path).toBe(
        `/model/${encodeURIComponent(model)}/${stream ? 'converse-stream' : 'converse'}`,
      );
      expect(offered.toolConfig).toEqual({
        tools: [
          {
            toolSpec: {
              name: 'lookup_budget',
              description: 'The budget a team has left this quarter.',
              inputSchema: {
                json: {
                  type: 'object',
                  properties: { team: { type: 'string' } },
                  required: ['team'],
                  additionalProperties: false,
                },
              },
            },
          },
          { toolSpec: expect.objectContaining({ name: 'approve_spend' }) },
        ],
      }); // no toolChoice: auto is Converse's default
      const [budget, spend] = first.toolCalls;
      expect(budget!.id).toMatch(/^tooluse_/);
      expect(answered.messages).toEqual([
        { role: 'user', content: [{ text: opening[1]!.content }] },
        {
          role: 'assistant',
          content: [
            { text: 'Let me check the budget first.' },
            { toolUse: { toolUseId: budget!.id, name: 'lookup_budget', input: { team: 'platform' } } },
            {
              toolUse: {
                toolUseId: spend!.id,
                name: 'approve_spend',
                input: { amount: 120000, purpose: 'Postgres 17 migration' },
              },
            },
          ],
        },
        {
          role: 'user',
          content: [
            {
              toolResult: {
                toolUseId: budget!.id,
                content: [{ text: '{"remaining":450000}' }],
                status: 'success',
              },
            },
            {
              toolResult: {
                toolUseId: spend!.id,
                content: [{ text: 'escalated: $120,000 is above the authority of this tool' }],
                status: 'error',
              },
            },
          ],
        },
      ]);
    },
  );

  it('a response schema is a forced tool: toolChoice {tool: {name}}, its input the answer', async () => {
    const llm = createBedrockLlm({ region: 'us-east-1', endpoint: server.url, credentials });
    server.script({
      kind: 'tool-calls',
      calls: [{ name: 'vote', arguments: { verdict: 'abstain', confidence: 0.5 } }],
    });
    const response = await llm.chat(ask(model, { responseSchema: voteSchema }));
    const { $schema: _, ...voteWire } = voteSchema.schema;
    expect(server.requests[0]!.body.toolConfig).toEqual({
      tools: [
        {
          toolSpec: {
            name: 'vote',
            description: BEDROCK_ANSWER_TOOL_DESCRIPTION,
            inputSchema: { json: voteWire },
          },
        },
      ],
      toolChoice: { tool: { name: 'vote' } },
    });
    expect(response).toMatchObject({
      text: '{"verdict":"abstain","confidence":0.5}',
      toolCalls: [],
      stopReason: 'end',
    });
  });

  it('a forced tool is toolChoice {tool: {name}}', async () => {
    const llm = createBedrockLlm({ region: 'us-east-1', endpoint: server.url, credentials });
    server.script({ kind: 'tool-calls', calls: [{ name: 'lookup_budget', arguments: { team: 'x' } }] });
    await llm.chat(ask(model, { tools, toolChoice: { name: 'lookup_budget' } }));
    expect(server.requests[0]!.body.toolConfig.toolChoice).toEqual({ tool: { name: 'lookup_budget' } });
  });

  it('"none": no toolConfig; with tool blocks in the conversation, the tools declared and text asked for', async () => {
    const llm = createBedrockLlm({ region: 'us-east-1', endpoint: server.url, credentials });
    server.script(twoCalls, { kind: 'answer', text: 'In text.' }, { kind: 'answer', text: 'In text.' });
    const first = await llm.chat(ask(model, { tools }));
    await llm.chat(ask(model, { tools, toolChoice: 'none' }));
    await llm.chat(ask(model, { tools, toolChoice: 'none', messages: afterTools(first) }));
    const [, fresh, after] = server.requests.map((r) => r.body);
    expect(fresh).not.toHaveProperty('toolConfig');
    expect(after.toolConfig.tools).toHaveLength(2);
    expect(after.toolConfig).not.toHaveProperty('toolChoice');
    expect(after.system.at(-1)).toEqual({ text: BEDROCK_NO_TOOLS_INSTRUCTION });
  });

  it('guardrail_intervened is content_filter', async () => {
    const llm = createBedrockLlm({ region: 'us-east-1', endpoint: server.url, credentials });
    server.script({ kind: 'answer', text: 'Sorry, the model cannot answer that.', stop: 'guardrail' });
    expect((await llm.chat(ask(model))).stopReason).toBe('content_filter');
  });
});
