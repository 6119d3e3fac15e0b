/**
 * The store's queries for the person at the keyboard (issue 15), one contract for every driver
 * (PGlite, node-postgres, and the RDS Data API through the local endpoint): ids found by prefix,
 * suffix or seq (and an ambiguous reference refused with its candidates), a conversation's records
 * (its reply tree, the decisions it opened with their escalations and votes, the messages about them,
 * the model calls), and the organization's recent activity (messages and escalations between roles).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../lambdas/adapters/sql/migrate.ts';
import { createSqlStore } from '../../lambdas/adapters/sql/store.ts';
import { AmbiguousIdError, resolveIdRef } from '../../lambdas/core/ids.ts';
import { type Message, type PostMessageCommand, planMessage } from '../../lambdas/core/messages.ts';
import type { Store } from '../../lambdas/core/store.ts';
import { buildThread } from '../../lambdas/core/thread.ts';
import { availableSqlDrivers } from '../support/sql-drivers.ts';

// Ids chosen so that prefixes collide as UUIDv7 ids made in the same minute do
const REQUEST = '01930000-aaaa-7000-8000-000000000a01';
const REPLY = '01930000-aaaa-7000-8000-000000000a02';
const ESCALATION = '01930000-bbbb-7000-8000-000000000b03';
const CTO_HOP = '01930000-dddd-7000-8000-000000000d01';
const CEO_HOP = '01930000-dddd-7000-8000-000000000d02';
const CALL = '01930000-eeee-7000-8000-000000000e01';

describe.each(availableSqlDrivers())('queries for people: $name', (driver) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  const messages: Record<string, Message> = {};
  const now = new Date();

  const post = async (
    id: string,
    command: Partial<PostMessageCommand> & Pick<PostMessageCommand, 'from' | 'to' | 'type' | 'subject'>,
  ) => {
    const full: PostMessageCommand = { content: {}, priority: 'normal', metadata: {}, ...command };
    const planned = planMessage(full, { id, now });
    const inserted = await store.transaction((tx) =>
      tx.insertMessage(full, { ...planned, leaseUntil: new Date(now.getTime() + 60_000) }),
    );
    messages[id] = inserted.message;
    return inserted.message;
  };

  beforeAll(async () => {
    const opened = await driver.open();
    cleanup = opened.close;
    await migrate(opened.sql);
    store = createSqlStore(opened.sql);
    await post(REQUEST, {
      from: 'human',
      to: 'cto',
      type: 'request',
      subject: 'approve_technical_proposal',
      content: { title: 'A second region', budget_usd: 700_000 },
    });
    await post(REPLY, {
      from: 'cto',
      to: 'human',
      type: 'response',
      subject: 'Re: approve_technical_proposal',
      content: { status: 'escalated' },
      inReplyTo: REQUEST,
    });
    await store.transaction(async (tx) => {
      await tx.insertDecision({
        id: CTO_HOP,
        type: 'technical',
        mode: 'autonomous',
        status: 'escalated',
        owner: 'cto',
        initiator: 'human',
        title: 'A second region',
        budgetUsd: 700_000,
        messageId: REQUEST,
        createdAt: now,
      });
      await tx.insertDecision({
        id: CEO_HOP,
        parentId: CTO_HOP,
        type: 'technical',
        mode: 'hierarchical',
        status: 'awaiting_human',
        owner: 'ceo',
        initiator: 'human',
        title: 'A second region',
        budgetUsd: 700_000,
        messageId: REQUEST,
        createdAt: now,
      });
      await tx.upsertVote(CEO_HOP, {
        voter: 'cto',
        vote: 'approve',
        confidence: 0.8,
        rationale: 'we need it',
        castAt: now.toISOString(),
      });
    });
    await post(ESCALATION, {
      from: 'cto',
      to: 'ceo',
      type: 'escalation',
      subject: 'A second region',
      content: { decisionId: CEO_HOP, parentId: CTO_HOP },
    });
    await store.recordLlmCall({
      id: CALL,
      at: now,
      role: 'cto',
      purpose: 'answer',
      messageId: REPLY,
      decisionId: null,
      provider: 'openai',
      model: 'gpt-4o-mini',
      request: { messages: [] },
      requestHash: null,
      response: 'Escalate it.',
      toolCalls: [],
      stopReason: 'end',
      refusal: null,
      tokensIn: 10,
      tokensOut: 5,
      latencyMs: 3,
      attempts: 1,
      outcome: 'ok',
      errorCode: null,
      error: null,
      costUsd: null,
    });
  }, 60_000);
  afterAll(async () => {
    await cleanup?.();
  });

  it('finds ids by prefix, suffix (dashes ignored) and seq; a shared prefix is ambiguous', async () => {
    const byPrefix = await store.findIds('message', {
      prefix: '01930000aaaa',
      suffix: '01930000aaaa',
      limit: 10,
    });
    expect(byPrefix.map((c) => c.id).sort()).toEqual([REQUEST, REPLY]);
    expect(byPrefix.find((c) => c.id === REQUEST)).toMatchObject({
      seq: messages[REQUEST]!.seq,
      label: 'approve_technical_proposal',
    });
    expect(
      (await store.findIds('message', { seq: messages[REPLY]!.seq, limit: 10 })).map((c) => c.id),
    ).toEqual([REPLY]);
    expect(await resolveIdRef(store, 'decision', '000000000d02')).toBe(CEO_HOP);
    expect(await resolveIdRef(store, 'message', `#${messages[ESCALATION]!.seq}`)).toBe(ESCALATION);
    const ambiguous = await resolveIdRef(store, 'decision', '01930000-dddd').catch((e: unknown) => e);
    expect(ambiguous).toBeInstanceOf(AmbiguousIdError);
    expect((ambiguous as AmbiguousIdError).candidates.map((c) => c.id).sort()).toEqual([CTO_HOP, CEO_HOP]);
    expect(await store.findIds('workflow run', { prefix: '019300', suffix: '019300', limit: 10 })).toEqual(
      [],
    );
  });

  it("gathers a conversation's records from any of its messages, and arranges them as a tree", async () => {
    const records = await store.threadRecords(ESCALATION, 100);
    expect(records).toBeDefined();
    // the escalation is about the CEO's hop, not a reply: its own thread starts at itself
    expect(records!.rootId).toBe(ESCALATION);

    const full = (await store.threadRecords(REPLY, 100))!;
    expect(full.rootId).toBe(REQUEST);
    expect(full.messages.map((m) => m.id).sort()).toEqual([REQUEST, REPLY, ESCALATION].sort());
    expect(full.decisions.map((d) => d.id).sort()).toEqual([CTO_HOP, CEO_HOP]);
    expect(full.decisions.find((d) => d.id === CEO_HOP)!.votes).toMatchObject([
      { voter: 'cto', vote: 'approve' },
    ]);
    expect(full.calls.map((c) => c.id)).toEqual([CALL]);
    expect(full.truncated).toBe(false);

    const { root } = buildThread(full, REPLY);
    const shape = (n: typeof root): unknown => [
      n.kind === 'message' ? n.message.id : n.kind === 'decision' ? n.decision.id : n.call.id,
      n.children.map(shape),
    ];
    // made at the same instant: the decision first, then the messages by seq
    expect(shape(root)).toEqual([
      REQUEST,
      [
        [CTO_HOP, [[CEO_HOP, [[ESCALATION, []]]]]],
        [REPLY, [[CALL, []]]],
      ],
    ]);
    expect(await store.threadRecords('01930000-ffff-7000-8000-000000000f01', 100)).toBeUndefined();
  });

  it('reads a view on one snapshot: a commit made meanwhile is not half in it', async () => {
    const before = (await store.getDecision(CTO_HOP))!;
    let write: Promise<unknown> | undefined;
    const seen = await store.snapshot(async (s) => {
      const first = await s.getDecision(CTO_HOP);
      // Another writer commits between this view's reads. (PGlite is one session: nothing else runs
      // while the snapshot is open, and a statement sent from inside it is refused.)
      if (driver.name !== 'PGlite') {
        write = store.updateDecision(CTO_HOP, before.version, { status: 'rejected', reason: 'meanwhile' });
        expect(await write).toMatchObject({ status: 'rejected' });
      }
      const [again, chain, records] = [
        await s.getDecision(CTO_HOP),
        await s.decisionChain(CEO_HOP),
        await s.threadRecords(REQUEST, 100),
      ];
      return { first, again, chain, records };
    });
    expect(seen.first).toMatchObject({ status: 'escalated' });
    expect(seen.again).toMatchObject({ status: 'escalated' });
    expect(seen.chain.find((d) => d.id === CTO_HOP)).toMatchObject({ status: 'escalated' });
    expect(seen.records!.decisions.find((d) => d.id === CTO_HOP)).toMatchObject({ status: 'escalated' });
    write ??= store.updateDecision(CTO_HOP, before.version, { status: 'rejected', reason: 'meanwhile' });
    await write;
    expect(await store.getDecision(CTO_HOP)).toMatchObject({ status: 'rejected' });
    // the view is read-only: a write through it is refused, not committed
    const refused = await store
      .snapshot((s) => s.updateDecision(CTO_HOP, before.version + 1, { status: 'escalated' }))
      .catch((e: unknown) => e);
    expect(String(refused)).toMatch(/read-only/);
    expect(await store.updateDecision(CTO_HOP, before.version + 1, { status: 'escalated' })).toBeDefined();
  });

  it("counts the organization's recent messages and escalations between roles", async () => {
    const activity = await store.organizationActivity(new Date(now.getTime() - 60_000));
    expect(activity.messages).toEqual(
      expect.arrayContaining([
        { from: 'human', to: 'cto', count: 1 },
        { from: 'cto', to: 'ceo', count: 1 },
      ]),
    );
    expect(activity.escalations).toEqual([
      { from: 'cto', to: 'ceo', count: 1 },
      { from: 'ceo', to: 'human', count: 1 },
    ]);
    const later = await store.organizationActivity(new Date(now.getTime() + 60_000));
    expect(later.messages).toEqual([]);
    // a decision waiting for the board waits whenever it was made
    expect(later.escalations).toEqual([{ from: 'ceo', to: 'human', count: 1 }]);
  });
});
