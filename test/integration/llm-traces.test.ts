/**
 * Every model call recorded in `llm_calls` (real PostgreSQL; PGlite for the one-session case), through
 * the real adapters against scripted model servers: a success, retries then a fallback, a failure,
 * a refusal, the request hashed, a trace that cannot be written (the call goes on), the log line's
 * OpenTelemetry `gen_ai.*` attributes, the totals, and the per-decision token budget summed in the
 * database for every process alike.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LlmConfig, openLlm } from '../../lambdas/adapters/llm/open.ts';
import { createOpenAiCompatibleLlm } from '../../lambdas/adapters/llm/openai-compatible.llm.ts';
import { withResilience } from '../../lambdas/adapters/llm/resilient.llm.ts';
import { createTracedLlm, noteLlmEvent } from '../../lambdas/adapters/llm/traced.llm.ts';
import { createJsonLogger } from '../../lambdas/adapters/log/json.logger.ts';
import { migrate } from '../../lambdas/adapters/sql/migrate.ts';
import { openSql } from '../../lambdas/adapters/sql/open.ts';
import type { SqlClient } from '../../lambdas/adapters/sql/port.ts';
import { openRdsData } from '../../lambdas/adapters/sql/rds-data.driver.ts';
import { createSqlStore } from '../../lambdas/adapters/sql/store.ts';
import {
  type ChatRequest,
  type ChatResponse,
  type Llm,
  LlmError,
  TokenBudgetExceededError,
} from '../../lambdas/core/llm.ts';
import type { Store } from '../../lambdas/core/store.ts';
import {
  assertDecisionBudget,
  type LlmCall,
  type LlmCallRecord,
  type LlmTraceMode,
} from '../../lambdas/core/traces.ts';
import { startDataApiServer } from '../support/data-api-server.ts';
import { eventually } from '../support/eventually.ts';
import { type ScriptedLlmServer, startScriptedLlmServer } from '../support/scripted-llm-servers.ts';
import { createTestDatabase, requireService } from '../support/services.ts';

const hasPostgres = requireService('DATABASE_URL');

const ask = (model: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model,
  messages: [
    { role: 'system', content: 'You are the CTO of ECHO.' },
    { role: 'user', content: 'Should we adopt PostgreSQL 17?' },
  ],
  temperature: 0.2,
  maxTokens: 64,
  ...extra,
});

/** The log lines a real JSON logger writes, parsed. */
function logLines() {
  const lines: Record<string, any>[] = [];
  const logger = createJsonLogger({
    service: 'test',
    level: 'debug',
    sink: { write: (line: string) => lines.push(JSON.parse(line)) },
  });
  return { lines, logger };
}

describe.runIf(hasPostgres)('every model call is traced in llm_calls (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let sql: SqlClient;
  let store: Store;
  let openai: ScriptedLlmServer;
  let ollama: ScriptedLlmServer;
  let log: ReturnType<typeof logLines>;

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = await openSql({ kind: 'node-postgres', url: db.url });
    await migrate(sql);
    store = createSqlStore(sql);
    openai = await startScriptedLlmServer('openai');
    ollama = await startScriptedLlmServer('ollama');
  });
  afterAll(async () => {
    await openai?.close();
    await ollama?.close();
    await sql?.close();
    await db?.drop();
  });
  beforeEach(() => {
    openai.reset();
    ollama.reset();
    log = logLines();
  });

  /** The Llm the agents get: the provider behind its resilience layer (rules as fallback), traced. */
  const traced = (
    config: LlmConfig,
    options: {
      mode?: LlmTraceMode;
      model?: string;
      on?: Pick<Store, 'recordLlmCall'>;
      fallbackIsFailure?: boolean;
    } = {},
  ) =>
    createTracedLlm(
      openLlm({ ...config, resilience: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 2 } } as LlmConfig, {
        onEvent: noteLlmEvent,
      }),
      {
        store: options.on ?? store,
        clock: { now: () => new Date() },
        newId: randomUUID,
        logger: log.logger,
        mode: options.mode ?? 'full',
        model: options.model,
        fallbackIsFailure: options.fallbackIsFailure,
      },
    );

  const callsOf = async (messageId: string): Promise<LlmCall[]> =>
    (await store.llmCalls({ messageId, limit: 100 })).calls;

  it('records a call that answered: who and why, the request in full, the answer, tokens, latency, cost', async () => {
    const llm = traced({ provider: 'openai', baseUrl: openai.url, apiKey: 'sk-test' });
    openai.script({
      kind: 'answer',
      text: 'Adopt it: the upgrade is routine.',
      inputTokens: 1200,
      outputTokens: 300,
    });
    const messageId = randomUUID();
    const decisionId = randomUUID();
    const before = Date.now();
    const request = ask('gpt-4o-mini');
    const response = await llm.chat(request, {
      purpose: { role: 'cto', purpose: 'answer', messageId, decisionId },
    });
    expect(response.text).toBe('Adopt it: the upgrade is routine.');

    const [call, ...more] = await callsOf(messageId);
    expect(more).toEqual([]);
    expect(call).toMatchObject({
      role: 'cto',
      purpose: 'answer',
      messageId,
      decisionId,
      provider: 'openai',
      model: 'gpt-4o-mini',
      request: JSON.parse(JSON.stringify(request)),
      requestHash: null,
      response: 'Adopt it: the upgrade is routine.',
      toolCalls: [],
      stopReason: 'end',
      refusal: null,
      tokensIn: 1200,
      tokensOut: 300,
      attempts: 1,
      outcome: 'ok',
      errorCode: null,
      error: null,
      // gpt-4o-mini: 1,200 × $0.15/1M + 300 × $0.60/1M
      costUsd: 0.00036,
    });
    expect(call!.latencyMs).toBeGreaterThanOrEqual(0);
    expect(call!.latencyMs).toBeLessThan(30_000);
    expect(new Date(call!.at).getTime()).toBeGreaterThanOrEqual(before - 1000);

    // one log line with the OpenTelemetry GenAI attribute names
    const line = log.lines.find((l) => l.message === 'llm call');
    expect(line).toMatchObject({
      level: 'INFO',
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.output.type': 'text',
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.response.finish_reasons': ['stop'],
      callId: call!.id,
      role: 'cto',
      purpose: 'answer',
      messageId,
      decisionId,
      outcome: 'ok',
      costUsd: 0.00036,
    });
  });

  it('a local Ollama model costs nothing; a JSON answer is logged as such', async () => {
    const llm = traced({ provider: 'ollama', baseUrl: ollama.url });
    ollama.script({ kind: 'answer', text: '{"vote":"approve"}', inputTokens: 900, outputTokens: 40 });
    const messageId = randomUUID();
    await llm.chat(ask('qwen2.5:7b', { json: true }), {
      purpose: { role: 'test_lead', purpose: 'vote', messageId },
    });
    expect(await callsOf(messageId)).toMatchObject([
      {
        role: 'test_lead',
        provider: 'ollama',
        model: 'qwen2.5:7b',
        tokensIn: 900,
        tokensOut: 40,
        costUsd: 0,
      },
    ]);
    expect(log.lines.findLast((l) => l.message === 'llm call')).toMatchObject({
      'gen_ai.provider.name': 'ollama',
      'gen_ai.output.type': 'json',
    });
  });

  it('retries, then the rules engine answers: recorded as a fallback with its cause, no model tokens', async () => {
    // ECHO_LLM_MODEL pins every request to one model: the row names it, not the role's model
    const llm = traced(
      { provider: 'openai', baseUrl: openai.url, apiKey: 'sk-test', model: 'qwen2.5:7b' },
      { model: 'qwen2.5:7b' },
    );
    openai.script({ kind: 'error', status: 500 }, { kind: 'error', status: 503 });
    const messageId = randomUUID();
    const response = await llm.chat(ask('anthropic.claude-3-5-haiku-20241022-v1:0'), {
      purpose: { role: 'cto', purpose: 'answer', messageId },
    });
    expect(response.provider).toBe('rules');
    expect(openai.requests).toHaveLength(2);

    expect(await callsOf(messageId)).toMatchObject([
      {
        provider: 'openai',
        model: 'qwen2.5:7b',
        outcome: 'fallback',
        attempts: 2,
        errorCode: 'LlmUnavailable',
        error: expect.stringContaining('HTTP 503'),
        response: response.text,
        tokensIn: 0,
        tokensOut: 0,
        // qwen2.5:7b behind an OpenAI-compatible endpoint has no price: unknown, not guessed
        costUsd: null,
      },
    ]);
    expect(log.lines.find((l) => l.message === 'llm call fell back')).toMatchObject({
      level: 'WARN',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'qwen2.5:7b',
      'gen_ai.response.model': 'rules',
      'error.type': 'LlmUnavailable',
      answeredBy: 'rules',
    });
    expect(log.lines.find((l) => l.message.startsWith('model has no price'))).toMatchObject({
      model: 'qwen2.5:7b',
    });
  });

  it('with failures fatal, the same call is recorded as failed: the rules answer behind it is dropped', async () => {
    const llm = traced(
      { provider: 'openai', baseUrl: openai.url, apiKey: 'sk-test' },
      { fallbackIsFailure: true },
    );
    openai.script({ kind: 'error', status: 500 }, { kind: 'error', status: 503 });
    const messageId = randomUUID();
    // the caller (the mind) still gets what the resilience layer gave, and fails the delivery on it
    expect(
      (await llm.chat(ask('gpt-4o-mini'), { purpose: { role: 'cto', purpose: 'answer', messageId } }))
        .provider,
    ).toBe('rules');
    expect(await callsOf(messageId)).toMatchObject([
      {
        provider: 'openai',
        model: 'gpt-4o-mini',
        outcome: 'error',
        attempts: 2,
        errorCode: 'LlmUnavailable',
        error: expect.stringContaining('HTTP 503'),
        response: null,
        tokensIn: 0,
        tokensOut: 0,
      },
    ]);
    expect(log.lines.find((l) => l.message === 'llm call failed')).toMatchObject({
      level: 'WARN',
      'error.type': 'LlmUnavailable',
    });
    expect(log.lines.find((l) => l.message === 'llm call fell back')).toBeUndefined();
  });

  it('a call that fails is recorded as failed, and the caller gets its error', async () => {
    // no fallback: the provider behind its resilience layer alone
    const llm = createTracedLlm(
      withResilience(createOpenAiCompatibleLlm({ baseUrl: openai.url, apiKey: 'sk-test' }), {
        timeoutMs: 5000,
        maxRetries: 2,
        baseDelayMs: 1,
        maxDelayMs: 2,
        onEvent: noteLlmEvent,
      }),
      { store, clock: { now: () => new Date() }, newId: randomUUID, logger: log.logger, mode: 'full' },
    );
    openai.script({ kind: 'error', status: 400, message: 'model not found' });
    const messageId = randomUUID();
    const error = await llm
      .chat(ask('gpt-4o-mini'), { purpose: { role: 'ceo', purpose: 'synthesis', messageId } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmError);
    expect((error as LlmError).code).toBe('LlmRejected');

    expect(await callsOf(messageId)).toMatchObject([
      {
        role: 'ceo',
        purpose: 'synthesis',
        provider: 'openai',
        model: 'gpt-4o-mini',
        outcome: 'error',
        attempts: 1, // a 400 is not retried
        errorCode: 'LlmRejected',
        error: expect.stringContaining('model not found'),
        response: null,
        stopReason: null,
        tokensIn: 0,
        tokensOut: 0,
        costUsd: 0,
      },
    ]);
    expect(log.lines.find((l) => l.message === 'llm call failed')).toMatchObject({
      level: 'WARN',
      'error.type': 'LlmRejected',
    });
  });

  it('a refusal is recorded as a refusal, not as an answer', async () => {
    // A provider adapter that reports a refusal the way the port says (stopReason and refusal);
    // the HTTP adapters learn to recognise their protocols' refusals in their own work.
    const refusing: Llm = {
      provider: 'openai',
      chat: async (request): Promise<ChatResponse> => ({
        text: '',
        toolCalls: [],
        stopReason: 'refusal',
        refusal: "I can't help with that.",
        usage: { inputTokens: 50, outputTokens: 8 },
        provider: 'openai',
        model: request.model,
        latencyMs: 3,
      }),
    };
    const llm = createTracedLlm(refusing, {
      store,
      clock: { now: () => new Date() },
      newId: randomUUID,
      logger: log.logger,
      mode: 'full',
    });
    const messageId = randomUUID();
    await llm.chat(ask('gpt-4o'), { purpose: { role: 'chro', purpose: 'answer', messageId } });
    expect(await callsOf(messageId)).toMatchObject([
      {
        outcome: 'refusal',
        refusal: "I can't help with that.",
        stopReason: 'refusal',
        tokensIn: 50,
        tokensOut: 8,
      },
    ]);
    expect(log.lines.find((l) => l.message === 'llm call')).toMatchObject({
      outcome: 'refusal',
      'gen_ai.response.finish_reasons': ['refusal'],
    });
  });

  it("with ECHO_LLM_TRACE=hash keeps only the sha256 of the request's canonical JSON", async () => {
    const llm = traced({ provider: 'openai', baseUrl: openai.url, apiKey: 'sk-test' }, { mode: 'hash' });
    openai.script({ kind: 'answer', text: 'fine' }, { kind: 'answer', text: 'fine' });
    const messageId = randomUUID();
    const request: ChatRequest = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      maxTokens: 5,
    };
    await llm.chat(request, { purpose: { role: 'cto', purpose: 'consult', messageId } });
    // the same request, its keys in another order
    await llm.chat(
      { maxTokens: 5, messages: [{ content: 'hi', role: 'user' }], model: 'gpt-4o-mini' } as ChatRequest,
      { purpose: { role: 'cto', purpose: 'consult', messageId } },
    );
    const expected = createHash('sha256')
      .update('{"maxTokens":5,"messages":[{"content":"hi","role":"user"}],"model":"gpt-4o-mini"}')
      .digest('hex');
    expect(await callsOf(messageId)).toMatchObject([
      { request: null, requestHash: expected, response: 'fine' },
      { request: null, requestHash: expected, response: 'fine' },
    ]);
    const { rows } = await sql.query(
      `SELECT count(*)::int AS n FROM llm_calls WHERE message_id = :id::uuid AND request IS NULL`,
      { id: messageId },
    );
    expect(rows[0]!.n).toBe(2);
  });

  it('a trace that cannot be written is logged, and the call still answers', async () => {
    const closed = await openSql({ kind: 'node-postgres', url: db.url });
    await closed.close();
    const llm = traced(
      { provider: 'openai', baseUrl: openai.url, apiKey: 'sk-test' },
      { on: createSqlStore(closed) },
    );
    openai.script({ kind: 'answer', text: 'still answered' });
    const messageId = randomUUID();
    const response = await llm.chat(ask('gpt-4o-mini'), {
      purpose: { role: 'cto', purpose: 'answer', messageId },
    });
    expect(response.text).toBe('still answered');
    expect(
      log.lines.find((l) => l.message === 'llm call not traced: the trace could not be written'),
    ).toMatchObject({
      level: 'ERROR',
      messageId,
      role: 'cto',
      outcome: 'ok',
    });
    expect(await callsOf(messageId)).toEqual([]);
  });

  it('text PostgreSQL cannot keep (U+0000) is kept as U+FFFD, not lost', async () => {
    const llm = traced({ provider: 'openai', baseUrl: openai.url, apiKey: 'sk-test' });
    openai.script({ kind: 'answer', text: 'a\u0000b' });
    const messageId = randomUUID();
    await llm.chat(ask('gpt-4o-mini', { messages: [{ role: 'user', content: 'x\u0000y' }] }), {
      purpose: { role: 'cto', purpose: 'answer', messageId },
    });
    const [call] = await callsOf(messageId);
    expect(call).toMatchObject({ response: 'a\ufffdb', request: { messages: [{ content: 'x\ufffdy' }] } });
  });

  it("reads a message's or a decision's calls oldest first, with totals of them all", async () => {
    const llm = traced({ provider: 'openai', baseUrl: openai.url, apiKey: 'sk-test' });
    const messageId = randomUUID();
    const decisionId = randomUUID();
    openai.script(
      { kind: 'answer', text: 'one', inputTokens: 1000, outputTokens: 100 },
      { kind: 'answer', text: 'two', inputTokens: 2000, outputTokens: 200 },
      { kind: 'answer', text: 'three', inputTokens: 10, outputTokens: 10 },
      { kind: 'error', status: 400 },
    );
    await llm.chat(ask('gpt-4o-mini'), { purpose: { role: 'cto', purpose: 'answer', messageId } });
    await llm.chat(ask('gpt-4o-mini'), { purpose: { role: 'cto', purpose: 'vote', messageId, decisionId } });
    await llm.chat(ask('some-model-with-no-price'), {
      purpose: { role: 'ceo', purpose: 'vote', messageId, decisionId },
    });
    await llm.chat(ask('gpt-4o-mini'), { purpose: { role: 'ceo', purpose: 'judge', decisionId } });

    const byMessage = await store.llmCalls({ messageId, limit: 2 });
    expect(byMessage.calls.map((c) => c.response)).toEqual(['one', 'two']);
    expect(byMessage.totals).toEqual({
      calls: 3,
      tokensIn: 3010,
      tokensOut: 310,
      // (1000 + 2000) × $0.15/1M + (100 + 200) × $0.60/1M; the third has no price
      costUsd: 0.00063,
      unpricedCalls: 1,
      outcomes: { ok: 3, refusal: 0, fallback: 0, error: 0 },
    });
    const byDecision = await store.llmCalls({ decisionId, limit: 100 });
    expect(byDecision.calls.map((c) => [c.role, c.purpose, c.outcome])).toEqual([
      ['cto', 'vote', 'ok'],
      ['ceo', 'vote', 'ok'],
      ['ceo', 'judge', 'fallback'],
    ]);
    expect(byDecision.totals).toMatchObject({ calls: 3, tokensIn: 2010, tokensOut: 210 });
    await expect(store.llmCalls({ limit: 1 })).rejects.toThrow(/a message id or a decision id is required/);
  });

  it('the per-decision token budget is summed in the database: every process sees the same', async () => {
    // two processes: two connections, two stores, one database
    const other = await openSql({ kind: 'node-postgres', url: db.url });
    try {
      const otherStore = createSqlStore(other);
      const decisionId = randomUUID();
      openai.script(
        { kind: 'answer', text: 'a', inputTokens: 1000, outputTokens: 500 },
        { kind: 'answer', text: 'b', inputTokens: 1000, outputTokens: 500 },
      );
      await traced({ provider: 'openai', baseUrl: openai.url, apiKey: 'k' }).chat(ask('gpt-4o-mini'), {
        purpose: { role: 'cto', purpose: 'vote', decisionId },
      });
      expect(await otherStore.decisionTokensUsed(decisionId)).toBe(1500);
      await traced({ provider: 'openai', baseUrl: openai.url, apiKey: 'k' }, { on: otherStore }).chat(
        ask('gpt-4o-mini'),
        { purpose: { role: 'chro', purpose: 'vote', decisionId } },
      );
      expect(await store.decisionTokensUsed(decisionId)).toBe(3000);
      expect(await otherStore.decisionTokensUsed(decisionId)).toBe(3000);

      expect(await assertDecisionBudget(otherStore, decisionId, 0, 3000)).toBe(3000);
      const refused = await assertDecisionBudget(store, decisionId, 1, 3000).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(TokenBudgetExceededError);
      expect(refused).toMatchObject({ key: decisionId, budget: 3000, used: 3000, requested: 1 });
      expect(await assertDecisionBudget(store, randomUUID(), 3000, 3000)).toBe(0);
    } finally {
      await other.close();
    }
  });
});

describe('with PGlite (one session), a call made inside a transaction is traced once it ends', () => {
  it('writes the row after the transaction, never deadlocking on it', async () => {
    const sql = await openSql({ kind: 'pglite' });
    const server = await startScriptedLlmServer('openai');
    try {
      await migrate(sql);
      const store = createSqlStore(sql);
      const { logger, lines } = logLines();
      const llm = createTracedLlm(
        openLlm({ provider: 'openai', baseUrl: server.url, apiKey: 'k' }, { onEvent: noteLlmEvent }),
        { store, clock: { now: () => new Date() }, newId: randomUUID, logger, mode: 'full' },
      );
      server.script({ kind: 'answer', text: 'thought inside a transaction' });
      const messageId = randomUUID();
      const answered = await store.transaction(async () => {
        const response = await llm.chat(ask('gpt-4o-mini'), {
          purpose: { role: 'cto', purpose: 'answer', messageId },
        });
        return response.text;
      });
      expect(answered).toBe('thought inside a transaction');
      const calls = await eventually(async () => {
        const { calls } = await store.llmCalls({ messageId, limit: 10 });
        return calls.length ? calls : undefined;
      });
      expect(calls).toMatchObject([{ response: 'thought inside a transaction', outcome: 'ok' }]);
      expect(lines.filter((l) => l.level === 'ERROR')).toEqual([]);
    } finally {
      await server.close();
      await sql.close();
    }
  }, 180_000); // PGlite starts and migrates in WebAssembly: slow on a busy machine
});

describe.runIf(hasPostgres)('llm_calls through the SQL drivers of PostgreSQL', () => {
  const record = (messageId: string, decisionId: string): LlmCallRecord => ({
    id: randomUUID(),
    at: new Date('2026-12-06T07:00:00.123Z'),
    role: 'product_manager',
    purpose: 'loop',
    messageId,
    decisionId,
    provider: 'bedrock',
    model: 'us.amazon.nova-lite-v1:0',
    request: {
      model: 'us.amazon.nova-lite-v1:0',
      messages: [{ role: 'user', content: 'Ship it?' }],
      maxTokens: 500,
    },
    requestHash: null,
    response: '',
    toolCalls: [{ id: 'tooluse_1', name: 'approve_product_requirement', arguments: { budget_usd: 120000 } }],
    stopReason: 'tool_calls',
    refusal: null,
    tokensIn: 123_456,
    tokensOut: 789,
    latencyMs: 1834,
    attempts: 3,
    outcome: 'ok',
    errorCode: null,
    error: null,
    costUsd: 0.0074967,
  });

  it.each(['node-postgres', 'rds-data'] as const)(
    '%s: a call read back as it was recorded',
    async (driver) => {
      const db = await createTestDatabase();
      const server =
        driver === 'rds-data' ? await startDataApiServer({ connectionString: db.url }) : undefined;
      const sql = server
        ? openRdsData({
            resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:echo-local',
            secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:echo-local',
            database: 'echo',
            region: 'us-east-1',
            credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
            endpoint: server.endpoint,
          })
        : await openSql({ kind: 'node-postgres', url: db.url });
      try {
        await migrate(sql);
        const store = createSqlStore(sql);
        const messageId = randomUUID();
        const decisionId = randomUUID();
        const call = record(messageId, decisionId);
        await store.recordLlmCall(call);
        const hashed = {
          ...record(messageId, decisionId),
          request: null,
          requestHash: 'ab'.repeat(32),
          costUsd: null,
        };
        await store.recordLlmCall(hashed);
        const { calls, totals } = await store.llmCalls({ messageId, limit: 10 });
        expect(calls).toStrictEqual(
          [
            { ...call, at: '2026-12-06T07:00:00.123Z' },
            { ...hashed, at: '2026-12-06T07:00:00.123Z' },
          ].sort((a, b) => (a.id < b.id ? -1 : 1)),
        );
        expect(totals).toStrictEqual({
          calls: 2,
          tokensIn: 246_912,
          tokensOut: 1578,
          costUsd: 0.0074967,
          unpricedCalls: 1,
          outcomes: { ok: 2, refusal: 0, fallback: 0, error: 0 },
        });
        expect(await store.decisionTokensUsed(decisionId)).toBe(248_490);
        // a row is the request or its hash, never both nor neither
        await expect(
          store.recordLlmCall({ ...call, id: randomUUID(), requestHash: 'ab'.repeat(32) }),
        ).rejects.toMatchObject({ code: 'SqlError', sqlState: '23514' });
      } finally {
        await sql.close();
        await server?.close();
        await db.drop();
      }
    },
  );
});
