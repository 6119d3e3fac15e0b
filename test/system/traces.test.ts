/**
 * Traces as a user meets them, on the real local runtime (PostgreSQL) with a scripted
 * OpenAI-compatible model: the agents' own model calls land in `llm_calls`; `GET /messages/{id}/trace`
 * and `GET /decisions/{id}/trace` give a message's or a decision's calls oldest first with their
 * totals and what the message led to; `echoctl trace <message id>` (and `--json`, `--decision`)
 * shows them through the real CLI, and names what is wrong with a bad id.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLlm } from '../../lambdas/adapters/llm/open.ts';
import { createTracedLlm, noteLlmEvent } from '../../lambdas/adapters/llm/traced.llm.ts';
import type { Message } from '../../lambdas/core/messages.ts';
import { echoctl } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { type ScriptedLlmServer, startScriptedLlmServer } from '../support/scripted-llm-servers.ts';
import { requireService } from '../support/services.ts';

const hasPostgres = requireService('DATABASE_URL');

describe.runIf(hasPostgres)('traces of model calls: the runtime, the HTTP API and echoctl trace', () => {
  let rt: TestRuntime;
  let model: ScriptedLlmServer;

  beforeAll(async () => {
    model = await startScriptedLlmServer('openai');
    rt = await startTestRuntime({
      database: 'postgres',
      env: {
        ECHO_LLM_PROVIDER: 'openai',
        ECHO_LLM_BASE_URL: model.url,
        ECHO_LLM_API_KEY: 'sk-test',
        ECHO_LLM_MODEL: 'gpt-4o-mini',
        ECHO_LLM_MAX_RETRIES: '0',
      },
    });
  }, 180_000);
  afterAll(async () => {
    await rt?.close();
    await model?.close();
  });

  /** Posts as the human, and waits for the addressee's reply. */
  const ask = async (body: Record<string, unknown>): Promise<{ request: Message; reply: Message }> => {
    const posted = await rt.post({ from: 'human', type: 'request', ...body });
    expect(posted.status).toBe(201);
    const request = posted.body.message as Message;
    const reply = await eventually(
      async () => (await rt.get(`/messages?inReplyTo=${request.id}`)).body.messages[0] as Message | undefined,
      30_000,
      `a reply to ${request.subject}`,
    );
    return { request, reply };
  };

  it("records the agents' own model calls in llm_calls", async () => {
    const answer = `Yes, adopt it (${randomUUID()}).`;
    model.script({ kind: 'answer', text: answer, inputTokens: 400, outputTokens: 60 });
    const { reply } = await ask({ to: 'cto', subject: 'Should we adopt PostgreSQL 17 this quarter?' });
    expect(JSON.stringify(reply.content)).toContain(answer);
    const { rows } = await rt.sql.query(
      `SELECT provider, model, outcome, tokens_in, tokens_out, cost_usd, request IS NOT NULL AS has_request
       FROM llm_calls WHERE response = :answer`,
      { answer },
    );
    expect(rows).toEqual([
      {
        provider: 'openai',
        model: 'gpt-4o-mini',
        outcome: 'ok',
        tokens_in: 400,
        tokens_out: 60,
        cost_usd: 0.000096, // 400 × $0.15/1M + 60 × $0.60/1M
        has_request: true,
      },
    ]);
  });

  it('echoctl trace shows every call made for a message and what it led to', async () => {
    // a tool request the CTO decides within its authority: a reply and a decision
    const title = `Adopt PostgreSQL ${randomUUID().slice(0, 8)}`;
    const { request, reply } = await ask({
      to: 'cto',
      subject: 'approve_technical_proposal',
      content: { title, budget_usd: 100_000 },
    });
    const decisionId = (reply.content as { decisionId: string }).decisionId;
    expect(decisionId).toMatch(/^[0-9a-f-]{36}$/);

    // the calls an agent makes for it, through the traced Llm on the runtime's own store
    const llm = createTracedLlm(
      openLlm(
        { provider: 'openai', baseUrl: model.url, apiKey: 'sk-test', resilience: { maxRetries: 0 } },
        { onEvent: noteLlmEvent },
      ),
      { store: rt.deps.store, clock: rt.deps.clock, newId: rt.deps.newId, logger: rt.logger, mode: 'full' },
    );
    const chat = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user' as const, content: title }],
      maxTokens: 200,
    };
    model.script(
      { kind: 'answer', text: 'Within my authority: approve.', inputTokens: 1200, outputTokens: 300 },
      { kind: 'error', status: 503, message: 'overloaded' },
    );
    await llm.chat(chat, { purpose: { role: 'cto', purpose: 'answer', messageId: request.id } });
    await llm.chat(chat, { purpose: { role: 'cto', purpose: 'judge', messageId: request.id, decisionId } });
    // a turn of the agent loop that asked for a tool, as the loop records it
    await rt.deps.store.recordLlmCall({
      id: rt.deps.newId(),
      at: new Date(),
      role: 'cto',
      purpose: 'loop',
      messageId: request.id,
      decisionId: null,
      provider: 'bedrock',
      model: 'us.amazon.nova-lite-v1:0',
      request: { model: 'us.amazon.nova-lite-v1:0', messages: [] },
      requestHash: null,
      response: '',
      toolCalls: [
        { id: 'tooluse_1', name: 'approve_technical_proposal', arguments: { title, budget_usd: 100000 } },
      ],
      stopReason: 'tool_calls',
      refusal: null,
      tokensIn: 2000,
      tokensOut: 50,
      latencyMs: 812,
      attempts: 1,
      outcome: 'ok',
      errorCode: null,
      error: null,
      costUsd: 0.000132,
    });

    const text = await echoctl(['trace', request.id], rt.apiUrl);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    const out = text.stdout;
    expect(out).toContain(`message ${request.id}  human → cto  request  "approve_technical_proposal"`);
    expect(out).toMatch(/cto\s+answer\s+openai\/gpt-4o-mini\s+1,200→300 tok\s+\d[\d,]* ms\s+\$0\.00036\s+ok/);
    expect(out).toMatch(
      /cto\s+judge\s+openai\/gpt-4o-mini\s+0→0 tok\s+\d[\d,]* ms\s+\$0\s+fell back to the rules engine \(LlmUnavailable: openai: HTTP 503: .*overloaded/,
    );
    expect(out).toContain(`for decision ${decisionId}`);
    expect(out).toMatch(
      /cto\s+loop\s+bedrock\/us\.amazon\.nova-lite-v1:0\s+2,000→50 tok\s+812 ms\s+\$0\.000132\s+ok/,
    );
    expect(out).toContain(`→ tool approve_technical_proposal({"title":"${title}","budget_usd":100000})`);
    expect(out).toContain(
      '3 model calls · 3,200 tokens in · 350 out · $0.000492 · 1 fell back, 0 failed, 0 refused',
    );
    expect(out).toContain('led to:');
    expect(out).toMatch(new RegExp(`reply\\s+${reply.id}\\s+cto → human\\s+response`));
    expect(out).toMatch(new RegExp(`decision\\s+${decisionId}\\s+cto\\s+approved\\s+\\$100,000\\s+${title}`));
    // calls are listed oldest first
    expect(out.indexOf(' answer ')).toBeLessThan(out.indexOf(' judge '));
    expect(out.indexOf(' judge ')).toBeLessThan(out.indexOf(' loop '));

    const json = await echoctl(['trace', request.id, '--json'], rt.apiUrl);
    expect(json.code).toBe(0);
    const trace = JSON.parse(json.stdout);
    expect(trace.calls.map((c: { purpose: string }) => c.purpose)).toEqual(['answer', 'judge', 'loop']);
    expect(trace.calls[0]).toMatchObject({
      role: 'cto',
      messageId: request.id,
      provider: 'openai',
      model: 'gpt-4o-mini',
      request: chat,
      response: 'Within my authority: approve.',
      tokensIn: 1200,
      tokensOut: 300,
      outcome: 'ok',
      costUsd: 0.00036,
    });
    expect(trace.calls[1]).toMatchObject({ outcome: 'fallback', errorCode: 'LlmUnavailable', decisionId });
    expect(trace.totals).toEqual({
      calls: 3,
      tokensIn: 3200,
      tokensOut: 350,
      costUsd: 0.000492,
      unpricedCalls: 0,
      outcomes: { ok: 2, refusal: 0, fallback: 1, error: 0 },
    });
    expect(trace.truncated).toBe(false);
    expect(trace.ledTo.replies.map((m: Message) => m.id)).toEqual([reply.id]);
    expect(trace.ledTo.decisions).toMatchObject([
      { id: decisionId, status: 'approved', owner: 'cto', title },
    ]);

    // the decision's own calls
    const byDecision = await echoctl(['trace', decisionId, '--decision', '--json'], rt.apiUrl);
    expect(byDecision.code).toBe(0);
    expect(JSON.parse(byDecision.stdout)).toMatchObject({
      decision: { id: decisionId },
      calls: [{ purpose: 'judge', outcome: 'fallback' }],
      totals: { calls: 1 },
    });

    // the API: at most `limit` calls, the totals of all, and `truncated` says so
    const limited = await rt.get(`/messages/${request.id}/trace?limit=1`);
    expect(limited.status).toBe(200);
    expect(limited.body.calls).toHaveLength(1);
    expect(limited.body).toMatchObject({ totals: { calls: 3 }, truncated: true });
  }, 180_000);

  it('a message with no model call says so', async () => {
    const { request } = await ask({
      to: 'cto',
      subject: 'approve_technical_proposal',
      content: { title: 'Adopt Redis Streams', budget_usd: 1000 },
    });
    const text = await echoctl(['trace', request.id], rt.apiUrl);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('no model calls for this message');
    expect(text.stdout).toMatch(/led to:\n\s+\S+ \S+\s+reply/);
  }, 180_000);

  it('names what is wrong with an id: not a uuid, or no such message or decision', async () => {
    const bad = await echoctl(['trace', 'abc'], rt.apiUrl);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      'echoctl: id: "abc" is too short to name a message: give the whole id, or at least 6 of its first or last characters, or the message\'s #seq (field: id)\n',
    );
    const missing = randomUUID();
    const none = await echoctl(['trace', missing], rt.apiUrl);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`echoctl: message ${missing} not found\n`);
    const noDecision = await rt.get(`/decisions/${missing}/trace`);
    expect(noDecision).toMatchObject({ status: 404, body: { error: { code: 'NotFound' } } });
    const badLimit = await rt.get(`/decisions/${missing}/trace?limit=0`);
    expect(badLimit).toMatchObject({
      status: 400,
      body: { error: { field: 'limit', message: 'query parameter limit: must be at least 1' } },
    });
  }, 180_000);
});
