/**
 * In AWS each model call is an X-Ray subsegment (lambdas/adapters/xray.ts) in the environment a
 * Lambda function with active tracing has (the trace header, the daemon's address), under the
 * invocation's `## handler` subsegment as lambdaEntry makes it, with a UDP socket standing in for the
 * X-Ray daemon, which receives the subsegment documents as the daemon does. The assertions on the
 * documents are those this test made of the X-Ray SDK's (through Powertools Tracer) before the
 * project's own tracer replaced it: the same documents reach X-Ray.
 */
import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLlm } from '../../lambdas/adapters/llm/open.ts';
import { createTracedLlm, noteLlmEvent, xrayLlmTracer } from '../../lambdas/adapters/llm/traced.llm.ts';
import { createJsonLogger } from '../../lambdas/adapters/log/json.logger.ts';
import { migrate } from '../../lambdas/adapters/sql/migrate.ts';
import { openSql } from '../../lambdas/adapters/sql/open.ts';
import type { SqlClient } from '../../lambdas/adapters/sql/port.ts';
import { createSqlStore } from '../../lambdas/adapters/sql/store.ts';
import { createXrayTracer } from '../../lambdas/adapters/xray.ts';
import { eventually } from '../support/eventually.ts';
import { type ScriptedLlmServer, startScriptedLlmServer } from '../support/scripted-llm-servers.ts';
import { createTestDatabase, requireService } from '../support/services.ts';

const hasPostgres = requireService('DATABASE_URL');
const TRACE_ROOT = '1-5759e988-bd862e3fe1be46a994272793';

describe.runIf(hasPostgres)('each model call is an X-Ray subsegment', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let sql: SqlClient;
  let server: ScriptedLlmServer;
  let daemon: Socket;
  const documents: Record<string, any>[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = await openSql({ kind: 'node-postgres', url: db.url });
    await migrate(sql);
    server = await startScriptedLlmServer('openai');
    daemon = createSocket('udp4');
    // each datagram: a header line, then one segment or subsegment document
    daemon.on('message', (datagram) => {
      const [, body] = datagram.toString('utf8').split('\n');
      if (body) documents.push(JSON.parse(body));
    });
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    // what Lambda sets for a function with active tracing (this file runs in a process of its own)
    Object.assign(process.env, {
      _X_AMZN_TRACE_ID: `Root=${TRACE_ROOT};Parent=53995c3f42cd8ad8;Sampled=1`,
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${(daemon.address() as AddressInfo).port}`,
    });
  });
  afterAll(async () => {
    daemon?.close();
    await server?.close();
    await sql?.close();
    await db?.drop();
  });

  it('sends a subsegment "chat <model>" under the handler with the gen_ai annotations, an error on a fallback', async () => {
    const tracer = createXrayTracer({ serviceName: 'echo-test' });
    const logger = createJsonLogger({ service: 'test', level: 'silent' });
    const llm = createTracedLlm(
      openLlm(
        {
          provider: 'openai',
          baseUrl: server.url,
          apiKey: 'k',
          resilience: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 },
        },
        { onEvent: noteLlmEvent },
      ),
      {
        store: createSqlStore(sql),
        clock: { now: () => new Date() },
        newId: randomUUID,
        logger,
        mode: 'full',
        tracer: xrayLlmTracer(tracer),
      },
    );
    const messageId = randomUUID();
    const request = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user' as const, content: 'Adopt PostgreSQL?' }],
      maxTokens: 100,
    };
    server.script(
      { kind: 'answer', text: 'Yes.', inputTokens: 120, outputTokens: 30 },
      { kind: 'error', status: 400 },
    );
    // as lambdaEntry does: the invocation in a `## handler` subsegment of the function's segment
    await tracer.invocation(async () => {
      await llm.chat(request, { purpose: { role: 'cto', purpose: 'answer', messageId } });
      await llm.chat(request, { purpose: { role: 'cto', purpose: 'vote', messageId } });
    });

    const calls = await eventually(
      () => {
        const found = documents.filter((d) => d.name === 'chat gpt-4o-mini');
        return found.length === 2 ? found : undefined;
      },
      10_000,
      'two model-call subsegments at the daemon',
    );
    const handlerDoc = await eventually(() => documents.find((d) => d.name === '## handler'));
    const [ok, fellBack] = calls.sort((a, b) => a.start_time - b.start_time) as [any, any];
    for (const doc of [ok, fellBack]) {
      expect(doc).toMatchObject({ type: 'subsegment', trace_id: TRACE_ROOT, parent_id: handlerDoc.id });
      expect(handlerDoc.parent_id).toBe('53995c3f42cd8ad8');
      expect(doc.end_time).toBeGreaterThanOrEqual(doc.start_time);
    }
    expect(ok.annotations).toEqual({
      gen_ai_operation_name: 'chat',
      gen_ai_provider_name: 'openai',
      gen_ai_request_model: 'gpt-4o-mini',
      gen_ai_response_model: 'gpt-4o-mini',
      gen_ai_output_type: 'text',
      gen_ai_request_max_tokens: 100,
      gen_ai_usage_input_tokens: 120,
      gen_ai_usage_output_tokens: 30,
      gen_ai_response_finish_reasons: 'stop',
      echo_call_id: expect.any(String),
      echo_role: 'cto',
      echo_purpose: 'answer',
      echo_message_id: messageId,
      echo_outcome: 'ok',
      // 120 × $0.15/1M + 30 × $0.60/1M
      echo_cost_usd: 0.000036,
    });
    expect(ok.metadata).toEqual({
      gen_ai: { attributes: expect.objectContaining({ 'gen_ai.usage.input_tokens': 120 }) },
    });
    expect(ok.fault).toBeUndefined();
    expect(fellBack.annotations).toMatchObject({
      echo_purpose: 'vote',
      echo_outcome: 'fallback',
      error_type: 'LlmRejected',
      gen_ai_response_model: 'rules',
    });
    expect(fellBack.fault).toBe(true);
    expect(fellBack.cause.exceptions[0].message).toMatch(/^LlmRejected: openai: HTTP 400/);
    // the same calls are in llm_calls, under the ids the subsegments carry
    const { calls: rows } = await createSqlStore(sql).llmCalls({ messageId, limit: 10 });
    expect(rows.map((r) => r.id)).toEqual([ok.annotations.echo_call_id, fellBack.annotations.echo_call_id]);
  });
});
