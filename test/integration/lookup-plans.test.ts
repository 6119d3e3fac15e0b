/**
 * What a person asks for is found through indexes, not by reading every row: a conversation (its
 * reply tree, its decisions, the messages about them) and an id given by its first or last
 * characters. On PostgreSQL with 30,000 messages and 5,000 decisions, analysed: every statement the
 * store runs for them is explained, and none reads the messages or a table of ids whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../lambdas/adapters/sql/migrate.ts';
import { openNodePostgres } from '../../lambdas/adapters/sql/node-postgres.driver.ts';
import type { SqlClient, SqlExecutor, SqlParams } from '../../lambdas/adapters/sql/port.ts';
import { createSqlStore } from '../../lambdas/adapters/sql/store.ts';
import type { Store } from '../../lambdas/core/store.ts';
import { createTestDatabase, requireService } from '../support/services.ts';

const hasPostgres = requireService('DATABASE_URL');

const REQUEST = '01930000-aaaa-7000-8000-000000000a01';
const ABOUT = '01930000-aaaa-7000-8000-000000000a02';
const DECISION = '01930000-dddd-7000-8000-00000000d0d1';
const APPROVAL = '01930000-eeee-7000-8000-00000000e0e1';
/** Tables a lookup must never read whole. */
const LARGE = ['messages', 'decisions', 'human_approvals', 'workflow_runs', 'dead_letters'];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}
/** The tables a plan reads whole: a sequential scan, or an index walked with no condition (for its order). */
const scans = (node: PlanNode): string[] => [
  ...(node['Relation Name'] &&
  (node['Node Type'] === 'Seq Scan' || (/^Index/.test(node['Node Type']) && !node['Index Cond']))
    ? [node['Relation Name']]
    : []),
  ...(node.Plans ?? []).flatMap(scans),
];

describe.runIf(hasPostgres)('lookups for people use indexes', () => {
  let sql: SqlClient;
  let drop: () => Promise<void>;
  let store: Store;
  const statements: { text: string; params: SqlParams | undefined }[] = [];
  const recorded = (exec: SqlExecutor): SqlExecutor => ({
    query: (text, params) => {
      statements.push({ text, params });
      return exec.query(text, params);
    },
  });

  beforeAll(async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    sql = openNodePostgres({ url: db.url });
    await migrate(sql);
    // As an organization's tables look: half the messages answer the other half, a tenth name a
    // decision; every message opens a decision, half of them escalated once.
    const uuid = (tag: string) => `md5('${tag}' || i)::uuid`;
    await sql.query(
      `INSERT INTO messages (id, from_role, to_address, type, subject, content, metadata, recipients, created_at)
       SELECT ${uuid('m')}, 'human', 'cto', 'request', 'filler ' || i, '{}',
              CASE WHEN i % 10 = 0 THEN jsonb_build_object('decisionId', ${uuid('c')}::text) ELSE '{}' END,
              '["cto"]', now()
       FROM generate_series(1, 15000) AS i`,
    );
    await sql.query(
      `INSERT INTO messages (id, from_role, to_address, type, subject, content, recipients, in_reply_to, created_at)
       SELECT ${uuid('r')}, 'cto', 'human', 'response', 'Re: filler ' || i,
              CASE WHEN i % 10 = 5 THEN jsonb_build_object('decisionId', ${uuid('d')}::text) ELSE '{}' END,
              '["human"]', ${uuid('m')}, now()
       FROM generate_series(1, 15000) AS i`,
    );
    await sql.query(
      `INSERT INTO decisions (id, type, mode, status, owner, initiator, title, message_id, created_at)
       SELECT ${uuid('d')}, 'technical', 'autonomous', 'escalated', 'cto', 'human', 'filler ' || i, ${uuid('m')}, now()
       FROM generate_series(1, 5000) AS i`,
    );
    await sql.query(
      `INSERT INTO decisions (id, parent_id, type, mode, status, owner, initiator, title, message_id, created_at)
       SELECT ${uuid('c')}, ${uuid('d')}, 'technical', 'hierarchical', 'approved', 'ceo', 'human', 'filler ' || i, ${uuid('m')}, now()
       FROM generate_series(1, 5000) AS i`,
    );
    await sql.query(
      `INSERT INTO human_approvals (id, decision_id, reason, status, created_at)
       SELECT gen_random_uuid(), id, 'filler', 'pending', now() FROM decisions`,
    );
    await sql.query(
      `INSERT INTO workflow_runs (id, name, status, created_at, updated_at)
       SELECT gen_random_uuid(), 'incident-response', 'completed', now(), now() FROM generate_series(1, 5000)`,
    );
    await sql.query(
      `INSERT INTO dead_letters (id, source, reason, raw, created_at)
       SELECT gen_random_uuid(), 'api', 'filler', '{}', now() FROM generate_series(1, 5000)`,
    );
    await sql.query(
      `INSERT INTO messages (id, from_role, to_address, type, subject, content, recipients, created_at)
       VALUES (:request::uuid, 'human', 'cto', 'request', 'approve_technical_proposal', '{}', '["cto"]', now())`,
      { request: REQUEST },
    );
    await sql.query(
      `INSERT INTO decisions (id, type, mode, status, owner, initiator, title, message_id, created_at)
       VALUES (:id::uuid, 'technical', 'hierarchical', 'awaiting_human', 'ceo', 'human', 'A second region', :request::uuid, now())`,
      { id: DECISION, request: REQUEST },
    );
    await sql.query(
      `INSERT INTO human_approvals (id, decision_id, reason, status, created_at)
       VALUES (:id::uuid, :decision::uuid, 'above the CEO', 'pending', now())`,
      { id: APPROVAL, decision: DECISION },
    );
    await sql.query(
      `INSERT INTO messages (id, from_role, to_address, type, subject, content, recipients, created_at)
       VALUES (:id::uuid, 'ceo', 'human', 'escalation', 'A second region', :content::jsonb, '["human"]', now())`,
      { id: ABOUT, content: { decisionId: DECISION } },
    );
    await sql.query('ANALYZE');
    store = createSqlStore({
      ...sql,
      driver: sql.driver,
      query: (text, params) => recorded(sql).query(text, params),
      transaction: (fn) => sql.transaction((tx) => fn(recorded(tx))),
      close: () => sql.close(),
    });
  }, 120_000);
  afterAll(async () => {
    await sql?.close();
    await drop?.();
  });

  /** Runs `lookup`, then explains each statement it ran; the tables any of them read whole. */
  const tablesReadWhole = async (lookup: () => Promise<unknown>) => {
    statements.length = 0;
    await lookup();
    expect(statements.length).toBeGreaterThan(0);
    const whole: string[] = [];
    for (const { text, params } of statements) {
      if (!/^\s*(WITH|SELECT)/i.test(text)) continue;
      // Whether a plan exists that reads only what it needs: with the table as small as here, the
      // planner may rightly prefer a scan, so scans and the joins that read a side whole are priced
      // out of the way (a plan that has nothing else still uses them, and is caught).
      const rows = await sql.transaction(async (tx) => {
        await tx.query('SET LOCAL enable_seqscan = off');
        await tx.query('SET LOCAL enable_hashjoin = off');
        await tx.query('SET LOCAL enable_mergejoin = off');
        return (
          await tx.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`EXPLAIN (FORMAT JSON) ${text}`, params)
        ).rows;
      });
      whole.push(...scans(rows[0]!['QUERY PLAN'][0]!.Plan).filter((t) => LARGE.includes(t)));
    }
    return whole;
  };

  it("a conversation's messages about its decisions", async () => {
    let records: Awaited<ReturnType<Store['threadRecords']>>;
    expect(await tablesReadWhole(async () => (records = await store.threadRecords(REQUEST, 100)))).toEqual(
      [],
    );
    expect(records!.messages.map((m) => m.id).sort()).toEqual([REQUEST, ABOUT]);
    expect(records!.decisions.map((d) => d.id)).toEqual([DECISION]);
  });

  it('an id by its first or last characters', async () => {
    const found: string[] = [];
    const find = async (
      kind: Parameters<Store['findIds']>[0],
      query: { prefix?: string; suffix?: string },
    ) => {
      const hits = await store.findIds(kind, { ...query, limit: 10 });
      found.push(...hits.map((h) => h.id));
    };
    const both = (fragment: string) => ({ prefix: fragment, suffix: fragment });
    expect(await tablesReadWhole(() => find('decision', both('00000000d0d1')))).toEqual([]);
    expect(await tablesReadWhole(() => find('decision', both('01930000dddd')))).toEqual([]);
    expect(await tablesReadWhole(() => find('approval', both('00e0e1')))).toEqual([]);
    expect(await tablesReadWhole(() => find('workflow run', both('00e0e1')))).toEqual([]);
    expect(await tablesReadWhole(() => find('dead letter', both('00e0e1')))).toEqual([]);
    // messages are named by #seq: only their prefix has an index (the primary key)
    expect(await tablesReadWhole(() => find('message', { prefix: '01930000aaaa' }))).toEqual([]);
    expect(await tablesReadWhole(() => find('message', { suffix: '000000000a02' }))).toEqual(['messages']);
    expect(found).toEqual([DECISION, DECISION, APPROVAL, ABOUT, REQUEST, ABOUT]);
  });
});
