/**
 * One contract for the three HTTP LLM adapters, each against a scripted server that speaks its
 * provider's real protocol on loopback (Ollama /api/chat, OpenAI /v1/chat/completions, Bedrock
 * Converse through the real AWS SDK), streamed (NDJSON, SSE, ConverseStream's event stream) and
 * whole, then the resilience layer and `openLlm` over them. Tool calling, structured output and
 * refusals in each protocol's own terms: llm-protocols.test.ts.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBedrockLlm } from '../../lambdas/adapters/llm/bedrock.llm.ts';
import { createOllamaLlm } from '../../lambdas/adapters/llm/ollama.llm.ts';
import { openLlm } from '../../lambdas/adapters/llm/open.ts';
import { createOpenAiCompatibleLlm } from '../../lambdas/adapters/llm/openai-compatible.llm.ts';
import {
  type LlmEvent,
  type ResilienceOptions,
  withResilience,
} from '../../lambdas/adapters/llm/resilient.llm.ts';
import { createRulesLlm, RULES_NO_OPINION } from '../../lambdas/adapters/llm/rules.llm.ts';
import {
  type ChatOptions,
  type ChatRequest,
  type Llm,
  LlmError,
  LlmRateLimitedError,
  LlmResponseError,
  LlmTimeoutError,
  LlmUnavailableError,
} from '../../lambdas/core/llm.ts';
import { freePort } from '../support/processes.ts';
import {
  type LlmProtocol,
  type ScriptedLlmServer,
  startScriptedLlmServer,
} from '../support/scripted-llm-servers.ts';

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };

/** `open(url, stream)`: the adapter, streaming or not (its default is streaming). */
const adapters: Array<{ protocol: LlmProtocol; model: string; open(url: string, stream?: boolean): Llm }> = [
  {
    protocol: 'ollama',
    model: 'llama3.1:8b',
    open: (url, stream = true) => createOllamaLlm({ baseUrl: url, stream }),
  },
  {
    protocol: 'openai',
    model: 'gpt-4o-mini',
    open: (url, stream = true) => createOpenAiCompatibleLlm({ baseUrl: url, apiKey: 'sk-test', stream }),
  },
  {
    protocol: 'bedrock',
    model: 'anthropic.claude-3-haiku-20240307-v1:0',
    open: (url, stream = true) =>
      createBedrockLlm({ region: 'us-east-1', endpoint: url, credentials, stream }),
  },
];

const modes = adapters.flatMap((a) => [
  { ...a, stream: true, mode: 'streamed' },
  { ...a, stream: false, mode: 'whole' },
]);

const ask = (model: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model,
  messages: [
    { role: 'system', content: 'You are the CTO of ECHO.' },
    { role: 'user', content: 'Should we adopt Postgres 17?' },
  ],
  temperature: 0.2,
  maxTokens: 64,
  ...extra,
});

async function failure(promise: Promise<unknown>): Promise<LlmError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LlmError);
  return error as LlmError;
}

describe.each(modes)('LLM adapter contract: $protocol ($mode)', ({ protocol, model, open, stream }) => {
  let server: ScriptedLlmServer;
  let llm: Llm;
  beforeAll(async () => {
    server = await startScriptedLlmServer(protocol);
    llm = open(server.url, stream);
  });
  afterEach(() => {
    server.reset();
  });
  afterAll(() => server.close());

  it('answers with text, usage, provider and model, and sends the request as given', async () => {
    server.script({ kind: 'answer', text: 'Yes, after the load test.', inputTokens: 21, outputTokens: 6 });
    const response = await llm.chat(ask(model));
    expect(response).toMatchObject({
      text: 'Yes, after the load test.',
      usage: { inputTokens: 21, outputTokens: 6 },
      provider: protocol,
      model,
    });
    expect(response.latencyMs).toBeGreaterThanOrEqual(0);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.chat).toMatchObject({
      model,
      messages: [
        { role: 'system', content: 'You are the CTO of ECHO.' },
        { role: 'user', content: 'Should we adopt Postgres 17?' },
      ],
      temperature: 0.2,
      maxTokens: 64,
      json: false,
      stream,
    });
  });

  it('asks for a JSON object in JSON mode and returns the object', async () => {
    server.script({ kind: 'answer', text: '{"verdict":"join","confidence":0.8}' });
    const response = await llm.chat(ask(model, { json: true }));
    expect(JSON.parse(response.text)).toEqual({ verdict: 'join', confidence: 0.8 });
    expect(server.requests[0]!.chat.json).toBe(true);
  });

  it('rejects an answer that is not the JSON object asked for: LlmResponseError', async () => {
    server.script({ kind: 'answer', text: 'I think we should join.' });
    const error = await failure(llm.chat(ask(model, { json: true })));
    expect(error).toBeInstanceOf(LlmResponseError);
    expect(error.message).toContain('I think we should join.');
  });

  it('429 is LlmRateLimitedError with the Retry-After', async () => {
    server.script({ kind: 'error', status: 429, message: 'slow down', retryAfter: '2' });
    const error = await failure(llm.chat(ask(model)));
    expect(error).toBeInstanceOf(LlmRateLimitedError);
    expect(error).toMatchObject({ retryable: true, status: 429, retryAfterMs: 2000 });
    expect(error.message).toContain('429');
  });

  it('500 is LlmUnavailableError with the status and a body excerpt', async () => {
    server.script({ kind: 'error', status: 500, message: 'model runner crashed' });
    const error = await failure(llm.chat(ask(model)));
    expect(error).toBeInstanceOf(LlmUnavailableError);
    expect(error).toMatchObject({ retryable: true, status: 500, provider: protocol });
    expect(error.message).toMatch(/500.*model runner crashed/);
  });

  it('400 is a plain LlmError that must not be retried', async () => {
    server.script({ kind: 'error', status: 400, message: 'unknown field' });
    const error = await failure(llm.chat(ask(model)));
    expect(error.constructor).toBe(LlmError);
    expect(error).toMatchObject({ retryable: false, status: 400 });
    expect(error.message).toContain('unknown field');
  });

  it('a malformed body (or stream event) is LlmResponseError', async () => {
    server.script({ kind: 'malformed' });
    const error = await failure(llm.chat(ask(model)));
    expect(error).toBeInstanceOf(LlmResponseError);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(
      stream ? /unparseable stream( event)? \(HTTP 200\)/ : /unparseable body \(HTTP 200\)/,
    );
  });

  it('a connection that breaks under the answer is LlmUnavailableError', async () => {
    server.script({ kind: 'cut', text: 'We should' });
    const error = await failure(llm.chat(ask(model), { timeoutMs: 5_000 }));
    expect(error).toBeInstanceOf(LlmUnavailableError);
    expect(error.retryable).toBe(true);
  });

  it('no answer within timeoutMs is LlmTimeoutError', async () => {
    server.script({ kind: 'hang' });
    const error = await failure(llm.chat(ask(model), { timeoutMs: 50 }));
    expect(error).toBeInstanceOf(LlmTimeoutError);
    expect(error).toMatchObject({ retryable: true, message: `${protocol}: no answer within 50 ms` });
  });

  it('a refused connection is LlmUnavailableError', async () => {
    const closed = open(`http://127.0.0.1:${await freePort()}${protocol === 'openai' ? '/v1' : ''}`, stream);
    const error = await failure(closed.chat(ask(model), { timeoutMs: 5_000 }));
    expect(error).toBeInstanceOf(LlmUnavailableError);
    expect(error.message).toContain('ECONNREFUSED');
  });
});

describe('per-protocol request shape', () => {
  const servers: Partial<Record<LlmProtocol, ScriptedLlmServer>> = {};
  beforeAll(async () => {
    for (const { protocol } of adapters) servers[protocol] = await startScriptedLlmServer(protocol);
  });
  afterAll(async () => {
    for (const server of Object.values(servers)) await server.close();
  });

  it('ollama: streamed by default, or not; format json, options.temperature and num_predict', async () => {
    const server = servers.ollama!;
    server.script({ kind: 'answer', text: '{}' }, { kind: 'answer', text: '{}' });
    await createOllamaLlm({ baseUrl: server.url }).chat(ask('llama3.1:8b', { json: true }));
    await createOllamaLlm({ baseUrl: server.url, stream: false }).chat(ask('llama3.1:8b', { json: true }));
    const shape = { format: 'json', options: { temperature: 0.2, num_predict: 64 } };
    expect(server.requests[0]!.body).toMatchObject({ stream: true, ...shape });
    expect(server.requests[1]!.body).toMatchObject({ stream: false, ...shape });
    expect(server.requests[1]!.body).not.toHaveProperty('tools');
  });

  it('openai: max_tokens, response_format, bearer auth only when an API key is given', async () => {
    const server = servers.openai!;
    server.script({ kind: 'answer', text: '{}' }, { kind: 'answer', text: 'ok' });
    await createOpenAiCompatibleLlm({ baseUrl: server.url, apiKey: 'sk-test' }).chat(
      ask('gpt-4o-mini', { json: true }),
    );
    await createOpenAiCompatibleLlm({ baseUrl: server.url, stream: false }).chat(ask('gpt-4o-mini'));
    expect(server.requests[0]!.body).toMatchObject({
      max_tokens: 64,
      response_format: { type: 'json_object' },
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(server.requests[0]!.headers.accept).toBe('text/event-stream');
    expect(server.requests[0]!.chat.authorization).toBe('Bearer sk-test');
    expect(server.requests[1]!.chat.authorization).toBeUndefined();
    expect(server.requests[1]!.body.response_format).toBeUndefined();
    expect(server.requests[1]!.body).not.toHaveProperty('stream');
    expect(server.requests[1]!.body).not.toHaveProperty('tools');
  });

  it.each([
    { stream: true, path: '/model/amazon.nova-lite-v1%3A0/converse-stream' },
    { stream: false, path: '/model/amazon.nova-lite-v1%3A0/converse' },
  ])(
    'bedrock: signed, system apart, content blocks, roles merged to alternate, inferenceConfig ($path)',
    async ({ stream, path }) => {
      const server = servers.bedrock!;
      server.reset();
      server.script({ kind: 'answer', text: 'ok' });
      await createBedrockLlm({ region: 'us-east-1', endpoint: server.url, credentials, stream }).chat({
        model: 'amazon.nova-lite-v1:0',
        messages: [
          { role: 'system', content: 'You are the CEO.' },
          { role: 'user', content: 'First.' },
          { role: 'user', content: 'Second.' },
        ],
        maxTokens: 32,
      });
      const request = server.requests[0]!;
      expect(request.path).toBe(path);
      expect(request.chat.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\//);
      expect(request.body).toEqual({
        system: [{ text: 'You are the CEO.' }],
        messages: [{ role: 'user', content: [{ text: 'First.' }, { text: 'Second.' }] }],
        inferenceConfig: { maxTokens: 32 },
      });
    },
  );
});

describe('withResilience', () => {
  let server: ScriptedLlmServer;
  let llm: Llm;
  let events: LlmEvent[];
  let delays: number[];
  const model = 'gpt-4o-mini';
  const resilient = (inner: Llm, extra: Partial<ResilienceOptions> = {}) =>
    withResilience(inner, {
      timeoutMs: 1_000,
      maxRetries: 2,
      baseDelayMs: 10,
      maxDelayMs: 10_000,
      onEvent: (e) => events.push(e),
      sleep: async (ms) => {
        delays.push(ms);
      },
      random: () => 0.5,
      ...extra,
    });
  beforeAll(async () => {
    server = await startScriptedLlmServer('openai');
    llm = createOpenAiCompatibleLlm({ baseUrl: server.url });
  });
  afterEach(() => {
    server.reset();
  });
  beforeEach(() => {
    events = [];
    delays = [];
  });
  afterAll(() => server.close());

  it.each(adapters)(
    'retries after a 429 and answers ($protocol: one HTTP request per attempt)',
    async (a) => {
      const own = await startScriptedLlmServer(a.protocol);
      try {
        own.script(
          { kind: 'error', status: 429, retryAfter: '0' },
          { kind: 'answer', text: 'second time lucky' },
        );
        const response = await resilient(a.open(own.url)).chat(ask(a.model));
        expect(response).toMatchObject({ text: 'second time lucky', provider: a.protocol });
        expect(own.requests).toHaveLength(2);
        expect(events.map((e) => e.type)).toEqual(['attempt', 'retry', 'attempt']);
        expect(events[2]).toMatchObject({
          ok: true,
          attempt: 2,
          usage: { inputTokens: 11, outputTokens: 7 },
        });
      } finally {
        await own.close();
      }
    },
  );

  it("waits what the provider's Retry-After says, capped at maxDelayMs", async () => {
    server.script(
      { kind: 'error', status: 429, retryAfter: '2' },
      { kind: 'error', status: 429, retryAfter: '120' },
      { kind: 'answer', text: 'ok' },
    );
    await resilient(llm).chat(ask(model));
    expect(delays).toEqual([2_000, 10_000]);
  });

  it('backs off exponentially with jitter in the upper half, up to maxDelayMs', async () => {
    server.script(
      { kind: 'error', status: 503 },
      { kind: 'error', status: 503 },
      { kind: 'error', status: 503 },
      { kind: 'answer', text: 'ok' },
    );
    await resilient(llm, { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 300, random: () => 1 }).chat(
      ask(model),
    );
    expect(delays).toEqual([100, 200, 300]);
    delays.length = 0;
    server.script({ kind: 'error', status: 503 }, { kind: 'answer', text: 'ok' });
    await resilient(llm, { baseDelayMs: 100, random: () => 0 }).chat(ask(model));
    expect(delays).toEqual([50]);
  });

  it('never retries a 400', async () => {
    server.script({ kind: 'error', status: 400, message: 'bad request' });
    const error = await failure(resilient(llm).chat(ask(model)));
    expect(error.status).toBe(400);
    expect(server.requests).toHaveLength(1);
    expect(events.map((e) => e.type)).toEqual(['attempt']);
  });

  it('bounds the retries: maxRetries + 1 attempts, then the last error', async () => {
    server.script(...Array.from({ length: 5 }, () => ({ kind: 'error' as const, status: 500 })));
    const error = await failure(resilient(llm, { maxRetries: 2 }).chat(ask(model)));
    expect(error).toBeInstanceOf(LlmUnavailableError);
    expect(server.requests).toHaveLength(3);
    expect(delays).toHaveLength(2);
  });

  it('times out an attempt, then falls back to the rules engine and says so', async () => {
    server.script({ kind: 'hang' }, { kind: 'hang' });
    const response = await resilient(llm, { timeoutMs: 50, maxRetries: 1, fallback: createRulesLlm() }).chat(
      ask(model),
    );
    expect(response.provider).toBe('rules');
    expect(response.text).toContain('the CTO of ECHO');
    expect(server.requests).toHaveLength(2);
    expect(response.fallback).toEqual({ from: 'openai', reason: 'openai: no answer within 50 ms' });
    const fallback = events.find((e) => e.type === 'fallback');
    expect(fallback).toMatchObject({ from: 'openai', to: 'rules' });
    expect(fallback?.type === 'fallback' && fallback.error).toBeInstanceOf(LlmTimeoutError);
    expect(events.at(-1)).toMatchObject({ type: 'attempt', provider: 'rules', ok: true });
  });

  it('falls back on a non-retryable failure at once, and in JSON mode gets "no opinion"', async () => {
    server.script({ kind: 'error', status: 401, message: 'bad key' });
    const response = await resilient(llm, { fallback: createRulesLlm() }).chat(ask(model, { json: true }));
    expect(response).toMatchObject({ provider: 'rules', text: RULES_NO_OPINION });
    expect(response.fallback).toMatchObject({ from: 'openai', reason: expect.stringContaining('bad key') });
    expect(server.requests).toHaveLength(1);
  });

  it('an answer of the provider itself is not marked as a fallback', async () => {
    server.script({ kind: 'answer', text: 'Yes.' });
    const response = await resilient(llm, { fallback: createRulesLlm() }).chat(ask(model));
    expect(response.provider).toBe('openai');
    expect(response).not.toHaveProperty('fallback');
  });

  it("passes the call's purpose to the adapter, and the attempt's own signal", async () => {
    const seen: ChatOptions[] = [];
    const recording: Llm = {
      provider: 'recording',
      chat: async (request, options = {}) => {
        seen.push(options);
        return createRulesLlm().chat(request);
      },
    };
    const purpose = { role: 'cto', purpose: 'vote', decisionId: 'd-1' };
    await resilient(recording).chat(ask(model), { purpose, timeoutMs: 500 });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.purpose).toEqual(purpose);
    expect(seen[0]!.signal).toBeInstanceOf(AbortSignal);
    expect(seen[0]!.timeoutMs).toBeUndefined(); // one timer per attempt: the wrapper's
  });

  it('times out an adapter that ignores its signal', async () => {
    const deaf: Llm = { provider: 'deaf', chat: () => new Promise(() => {}) };
    const error = await failure(resilient(deaf, { timeoutMs: 20, maxRetries: 0 }).chat(ask(model)));
    expect(error).toBeInstanceOf(LlmTimeoutError);
    expect(error.provider).toBe('deaf');
  });

  it('ends at once when the caller has aborted before the call, even with a deaf adapter', async () => {
    const deaf: Llm = { provider: 'deaf', chat: () => new Promise(() => {}) };
    const error = await failure(
      resilient(deaf, { fallback: createRulesLlm() }).chat(ask(model), { signal: AbortSignal.abort() }),
    );
    expect(error).toBeInstanceOf(LlmTimeoutError);
    expect(events).toHaveLength(1);
  });

  it("stops at the caller's abort: no retry, no fallback", async () => {
    server.script({ kind: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const error = await failure(
      resilient(llm, { fallback: createRulesLlm() }).chat(ask(model), { signal: controller.signal }),
    );
    expect(error).toBeInstanceOf(LlmTimeoutError);
    expect(error.message).toContain('aborted by the caller');
    expect(events.map((e) => e.type)).toEqual(['attempt']);
  });
});

describe('openLlm', () => {
  it('degrades to the rules engine when the provider is unreachable', async () => {
    const events: LlmEvent[] = [];
    const llm = openLlm(
      {
        provider: 'ollama',
        baseUrl: `http://127.0.0.1:${await freePort()}`,
        resilience: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 2 },
      },
      { onEvent: (e) => events.push(e) },
    );
    const response = await llm.chat(ask('llama3.1:8b'));
    expect(response.provider).toBe('rules');
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(1);
    expect(events.find((e) => e.type === 'fallback')).toMatchObject({ from: 'ollama', to: 'rules' });
  });

  it("pins the configured model over the request's", async () => {
    const server = await startScriptedLlmServer('openai');
    try {
      server.script({ kind: 'answer', text: 'ok' });
      const llm = openLlm({ provider: 'openai', baseUrl: server.url, apiKey: 'k', model: 'qwen2.5:7b' });
      const response = await llm.chat(ask('role-model'));
      expect(response.provider).toBe('openai');
      expect(server.requests[0]!.chat.model).toBe('qwen2.5:7b');
    } finally {
      await server.close();
    }
  });

  it.each(adapters)(
    '$protocol: streams by default; stream: false asks for the whole answer',
    async ({ protocol }) => {
      const server = await startScriptedLlmServer(protocol);
      try {
        server.script({ kind: 'answer', text: 'one' }, { kind: 'answer', text: 'two' });
        const base =
          protocol === 'bedrock'
            ? ({ provider: 'bedrock', region: 'us-east-1', endpoint: server.url, credentials } as const)
            : ({ provider: protocol, baseUrl: server.url } as const);
        expect((await openLlm(base).chat(ask('m'))).text).toBe('one');
        expect((await openLlm({ ...base, stream: false }).chat(ask('m'))).text).toBe('two');
        expect(server.requests.map((r) => r.chat.stream)).toEqual([true, false]);
      } finally {
        await server.close();
      }
    },
  );

  it('tells through onEvent when a response schema had to go non-strict, and why', async () => {
    const server = await startScriptedLlmServer('openai');
    try {
      server.script({ kind: 'answer', text: '{"scores":{"cto":1}}' });
      const events: LlmEvent[] = [];
      const llm = openLlm({ provider: 'openai', baseUrl: server.url }, { onEvent: (e) => events.push(e) });
      const schema = {
        type: 'object',
        properties: { scores: { type: 'object', additionalProperties: { type: 'number' } } },
        required: ['scores'],
        additionalProperties: false,
      };
      const response = await llm.chat(ask('gpt-4o-mini', { responseSchema: { name: 'scores', schema } }));
      expect(JSON.parse(response.text)).toEqual({ scores: { cto: 1 } });
      expect(server.requests[0]!.chat.responseSchema).toMatchObject({ name: 'scores', strict: false });
      expect(events.find((e) => e.type === 'notice')).toEqual({
        type: 'notice',
        provider: 'openai',
        message: expect.stringMatching(/"scores" sent with strict: false: scores is an open map/),
      });
    } finally {
      await server.close();
    }
  });

  it('rules: answers offline, no fallback needed', async () => {
    const llm = openLlm({ provider: 'rules' });
    expect(llm.provider).toBe('rules');
    expect((await llm.chat(ask('any'))).provider).toBe('rules');
  });
});
