/**
 * The acceptance scenarios (the team's SCENARIOS.md, which lives beside this repository), run against a running organization through its HTTP
 * API (`echoctl scenario <name>`; the system tests run the same code). Each returns its checks.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DecisionView } from '../lambdas/core/decision-types.ts';
import type { Message } from '../lambdas/core/messages.ts';
import type { DeadLetter } from '../lambdas/core/store.ts';
import { type ApiClient, ApiError } from './client.ts';

export interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface ScenarioResult {
  name: string;
  ok: boolean;
  checks: Check[];
  /** Ids and values a caller may look at (decision ids, message ids). */
  data: Record<string, unknown>;
}

const fixture = (name: string) =>
  JSON.parse(readFileSync(resolve(import.meta.dirname, '../scenarios', name), 'utf8'));

class Run {
  readonly checks: Check[] = [];
  readonly data: Record<string, unknown> = {};
  /**
   * Marks what this run asks for as its own purpose: a role's approvals for one purpose add up over
   * 30 days (a split budget escalates), so a second run of a scenario would otherwise be judged
   * together with the first.
   */
  readonly tag = `run-${randomBytes(3).toString('hex')}x`;
  constructor(
    readonly client: ApiClient,
    readonly progress: (line: string) => void,
    readonly timeoutMs: number,
  ) {}

  check(name: string, ok: boolean, detail?: unknown): boolean {
    this.checks.push({
      name,
      ok,
      ...(ok ? {} : { detail: typeof detail === 'string' ? detail : JSON.stringify(detail) }),
    });
    return ok;
  }

  async send(body: Record<string, unknown>): Promise<Message> {
    const { message } = await this.client.call<{ message: Message }>('POST', '/messages', body);
    return message;
  }

  async waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = this.timeoutMs): Promise<T> {
    this.progress(`waiting for ${what}`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await fn();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async replies(id: string): Promise<Message[]> {
    return (await this.client.call<{ messages: Message[] }>('GET', `/messages?inReplyTo=${id}&limit=100`))
      .messages;
  }

  reply(id: string, from?: string): Promise<Message> {
    return this.waitFor(`the reply to ${id}`, async () =>
      (await this.replies(id)).find((m) => !from || m.from === from),
    );
  }

  async decision(id: string): Promise<DecisionView> {
    return (await this.client.call<{ decision: DecisionView }>('GET', `/decisions/${id}`)).decision;
  }

  /** The decision at the end of the chain once it stops moving (not pending, not voting). */
  settled(id: string): Promise<DecisionView> {
    return this.waitFor(`decision ${id} to settle`, async () => {
      const d = await this.decision(id);
      const last = d.chain.at(-1)!;
      return ['pending', 'voting'].includes(last.status) ? undefined : d;
    });
  }
}

const PLANS = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
const usd = (n: number) => `$${n.toLocaleString('en-US')}`;

async function authorityLadder(run: Run): Promise<void> {
  const ladder = [
    { budget: 100_000, owners: ['product_manager'], final: 'approved' },
    { budget: 200_000, owners: ['product_manager'], final: 'approved' },
    { budget: 400_000, owners: ['product_manager', 'cto'], final: 'approved' },
    { budget: 800_000, owners: ['product_manager', 'cto', 'ceo'], final: 'approved' },
    { budget: 2_000_000, owners: ['product_manager', 'cto', 'ceo'], final: 'awaiting_human' },
  ];
  for (const [i, step] of ladder.entries()) {
    run.progress(`feature request at ${usd(step.budget)}`);
    // each budget is a request of its own, not a part of the one before (see the split-budget rule)
    const request = await run.send({
      to: 'product_manager',
      subject: 'approve_product_requirement',
      priority: 'high',
      content: {
        title: `Real-time mobile dashboard with analytics (${run.tag}, plan ${PLANS[i]})`,
        priority: 'high',
        budget_usd: step.budget,
      },
    });
    const reply = await run.reply(request.id, 'product_manager');
    const decisionId = reply.content.decisionId as string;
    const d = await run.settled(decisionId);
    const chain = d.chain;
    run.data[`decision_${step.budget}`] = decisionId;
    run.check(
      `${usd(step.budget)}: owners ${step.owners.join(' → ')}`,
      chain.map((c) => c.owner).join() === step.owners.join(),
      chain.map((c) => c.owner),
    );
    run.check(
      `${usd(step.budget)}: ends ${step.final}`,
      chain.at(-1)!.status === step.final,
      chain.at(-1)!.status,
    );
    if (chain.length === 1)
      run.check(`${usd(step.budget)}: mode autonomous`, chain[0]!.mode === 'autonomous', chain[0]!.mode);
    for (let i = 1; i < chain.length; i++) {
      run.check(
        `${usd(step.budget)}: hop ${i} points at its parent`,
        chain[i]!.parentId === chain[i - 1]!.id,
      );
      const expected = `budget ${usd(step.budget)} exceeds ${chain[i - 1]!.owner} authority`;
      run.check(
        `${usd(step.budget)}: hop ${i} reason "${chain[i - 1]!.reason}"`,
        chain[i - 1]!.reason?.startsWith(expected) === true,
        chain[i - 1]!.reason,
      );
    }
    if (step.final === 'awaiting_human') {
      const top = chain.at(-1)!;
      const view = await run.decision(top.id);
      run.check(
        `${usd(step.budget)}: an approval item waits for a human`,
        view.approval?.status === 'pending',
        view.approval,
      );
      run.check(
        `${usd(step.budget)}: the human-item reason`,
        top.reason === `budget ${usd(step.budget)} exceeds ceo authority $1,000,000`,
        top.reason,
      );
      await new Promise((r) => setTimeout(r, 200));
      const still = await run.decision(top.id);
      run.check('nothing is approved until a human acts', still.status === 'awaiting_human', still.status);
      const { decision } = await run.client.call<{ decision: DecisionView }>(
        'POST',
        `/decisions/${top.id}/approve`,
        {
          reason: 'board approves the mobile dashboard',
        },
      );
      run.check(
        `${usd(step.budget)}: a human's approval completes the chain`,
        decision.status === 'approved' && decision.mode === 'human',
        decision.status,
      );
      run.check(
        `${usd(step.budget)}: the principal is recorded`,
        decision.approval?.principal?.startsWith('human:') === true,
        decision.approval,
      );
    }
  }
}

async function enterpriseExpansion(run: Run): Promise<void> {
  const request = await run.send({
    to: 'ceo',
    subject: 'approve_strategic_initiative',
    content: { title: 'Enterprise Expansion', budget_usd: 15_000_000 },
  });
  const reply = await run.reply(request.id, 'ceo');
  const id = reply.content.decisionId as string;
  const d = await run.settled(id);
  run.data.decisionId = id;
  run.check('waits for a human', d.status === 'awaiting_human', d.status);
  run.check('with the reason', d.reason === 'budget $15,000,000 exceeds ceo authority $1,000,000', d.reason);
  const { decision } = await run.client.call<{ decision: DecisionView }>('POST', `/decisions/${id}/reject`, {
    reason: 'not this fiscal year',
  });
  run.check('a human rejects it', decision.status === 'rejected', decision.status);
  run.check(
    'principal and reason recorded',
    decision.approval?.status === 'rejected' &&
      decision.approval.resolution === 'not this fiscal year' &&
      Boolean(decision.approval.principal),
    decision.approval,
  );
  const told = await run.waitFor('the CEO to be notified', async () => {
    const { messages } = await run.client.call<{ messages: Message[] }>(
      'GET',
      '/messages?to=ceo&type=notification&limit=50',
    );
    return messages.find((m) => m.content.decisionId === id);
  });
  run.check('the CEO is notified', told.subject.startsWith('Rejected'), told.subject);
}

async function revenue3x(run: Run): Promise<void> {
  const brief = fixture('revenue-3x.json');
  const title = 'STRATEGIC INITIATIVE: 3x Revenue Growth in 18 Months';
  const key = `revenue-3x-${Date.now()}`;
  const body = {
    to: 'ceo',
    subject: 'initiate_decision',
    idempotencyKey: key,
    content: { title, budget_usd: brief.constraints.budget_usd, details: brief },
  };
  const request = await run.send(body);
  const reply = await run.reply(request.id, 'ceo');
  const id = reply.content.decisionId as string;
  run.data.decisionId = id;
  const broadcastId = reply.content.broadcastId as string;
  run.check('the CEO broadcasts the initiative', typeof broadcastId === 'string', reply.content);
  const verdicts = await run.waitFor('eight participation verdicts', async () => {
    const list = (await run.replies(broadcastId)).filter((m) => m.type === 'participation');
    return list.length >= 8 ? list : undefined;
  });
  const by = Object.fromEntries(
    verdicts.map((m) => [m.from, m.content as { join: boolean; as: string | null; reason: string }]),
  );
  for (const role of ['cto', 'product_manager', 'senior_architect', 'operations_head']) {
    run.check(
      `${role} joins (lead or assist)`,
      by[role]?.join === true && ['lead', 'assist'].includes(by[role]!.as ?? ''),
      by[role],
    );
  }
  run.check('chro does not join', by.chro?.join === false, by.chro);
  run.check(
    'every verdict has a reason',
    verdicts.every((m) => typeof m.content.reason === 'string' && (m.content.reason as string).length > 0),
  );
  const d = await run.waitFor('the vote and the synthesis', async () => {
    const v = await run.decision(id);
    return v.outcome?.summary ? v : undefined;
  });
  const approvals = d.votes.filter((v) => v.vote === 'approve').length;
  const rejections = d.votes.filter((v) => v.vote === 'reject').length;
  run.check(
    'participants voted with rationale and confidence',
    d.votes.length >= 3 && d.votes.every((v) => v.rationale && v.confidence > 0),
    d.votes,
  );
  run.check('quorum reached', d.votes.length * 2 > d.participants.length, {
    votes: d.votes.length,
    participants: d.participants,
  });
  run.check('the participants approve (a recommendation)', approvals > rejections, d.votes);
  run.check(
    'consensus_score = approvals / (approvals + rejections)',
    Math.abs((d.consensusScore ?? -1) - approvals / Math.max(1, approvals + rejections)) < 1e-9,
    d.consensusScore,
  );
  run.check('the CEO wrote the synthesis', typeof d.outcome?.summary === 'string', d.outcome);
  run.check(
    '$2,000,000 is above the CEO: the approving vote waits for a human',
    d.status === 'awaiting_human' && d.approval?.status === 'pending' && !d.completedAt,
    { status: d.status, reason: d.reason, approval: d.approval },
  );
  run.check(
    'the reason names the vote and the limit',
    /approved by vote/.test(d.reason ?? '') && /exceeds ceo authority \$1,000,000/.test(d.reason ?? ''),
    d.reason,
  );
  const { decision: approved } = await run.client.call<{ decision: DecisionView }>(
    'POST',
    `/decisions/${id}/approve`,
    { reason: 'the board backs the plan' },
  );
  run.check(
    'a human approves: completed',
    approved.status === 'approved' && approved.mode === 'human' && Boolean(approved.completedAt),
    approved,
  );
  const before = (await run.client.call<{ decisions: unknown[] }>('GET', '/decisions?limit=1000')).decisions
    .length;
  const again = await run.client.call<{ message: Message; created: boolean }>('POST', '/messages', body);
  run.check(
    'the same post with the same idempotency key creates nothing',
    !again.created && again.message.id === request.id,
    again,
  );
  await new Promise((r) => setTimeout(r, 300));
  const after = (await run.client.call<{ decisions: unknown[] }>('GET', '/decisions?limit=1000')).decisions
    .length;
  run.check('no new decision', after === before, { before, after });
}

/**
 * The CTO's vote on the event store. Nobody speaks for an agent: the human asks each participant to
 * vote (`cast_vote`, with a briefing where it has news) and each votes from its own judgement of
 * the proposal; the operations head, told of the on-call burden, changes its vote.
 */
async function techStackVote(run: Run): Promise<void> {
  const participants = ['product_manager', 'senior_architect', 'operations_head'];
  const open = async (title: string, details: Record<string, string>, requestVotes: boolean) =>
    (
      await run.client.call<{ decision: DecisionView }>('POST', '/decisions', {
        initiator: 'cto',
        title,
        participants,
        domain: 'architecture',
        requestVotes,
        details,
      })
    ).decision;
  /** Asks `role` to vote and waits until its vote is recorded (or it answers with an error). */
  const ask = async (decisionId: string, role: string, note?: string) => {
    const before = (await run.decision(decisionId)).votes.find((v) => v.voter === role)?.castAt;
    const request = await run.send({
      to: role,
      subject: 'cast_vote',
      content: { decisionId, ...(note ? { note } : {}) },
    });
    return run.waitFor(`the vote of ${role}`, async () => {
      const error = (await run.replies(request.id)).find((m) => m.type === 'error');
      if (error) return error.content;
      const vote = (await run.decision(decisionId)).votes.find((v) => v.voter === role);
      return vote && vote.castAt !== before ? vote : undefined;
    });
  };
  const votesOf = async (id: string) =>
    Object.fromEntries(
      (await run.decision(id)).votes.map((v) => [v.voter, v.vote]).sort(([a], [b]) => a!.localeCompare(b!)),
    );

  const first = await open(
    `Adopt PostgreSQL + Redis for the event store (${run.tag})`,
    {
      product: 'One store the team knows: features reach customers sooner.',
      architecture: 'PostgreSQL as the record and Redis as the hint: a clean event-driven architecture.',
      operations: 'Both run as managed services under the monitoring we already have.',
    },
    false,
  );
  run.data.decisionId = first.id;
  await ask(first.id, 'product_manager');
  await ask(first.id, 'operations_head');
  const early = await votesOf(first.id);
  run.check('the operations head first approves', early.operations_head === 'approve', early);
  const changed = await ask(
    first.id,
    'operations_head',
    'On reflection: two more stateful services put our reliability at risk, and the on-call rota is understaffed.',
  );
  run.check('asked again with the on-call news, it votes again', changed.vote === 'reject', changed);
  await ask(first.id, 'senior_architect');
  const d = await run.settled(first.id);
  run.check('two approve, one rejects: approved', d.status === 'approved', d.status);
  run.check(
    'consensus_score 0.67',
    Math.round((d.consensusScore ?? 0) * 100) / 100 === 0.67,
    d.consensusScore,
  );
  run.check('one vote row per voter', d.votes.length === 3, d.votes);
  run.check(
    'the repeated vote replaced the first',
    d.votes.find((v) => v.voter === 'operations_head')?.vote === 'reject',
    d.votes,
  );

  const second = await open(
    `Adopt PostgreSQL + Redis for the event store, second round (${run.tag})`,
    {
      product: 'Features reach customers sooner with one store.',
      architecture:
        'A second store adds a consistency concern to the architecture: two stores to keep in step.',
    },
    true,
  );
  const tie = await run.settled(second.id);
  run.check(
    'one approves, one rejects, one abstains',
    JSON.stringify(await votesOf(second.id)) ===
      JSON.stringify({ operations_head: 'abstain', product_manager: 'approve', senior_architect: 'reject' }),
    await votesOf(second.id),
  );
  run.check(
    'a tie escalates',
    tie.chain[0]!.status === 'escalated' && /tie/.test(tie.chain[0]!.reason ?? ''),
    tie.chain[0],
  );
  run.check(
    'to the ceo',
    tie.chain[1]?.owner === 'ceo',
    tie.chain.map((c) => c.owner),
  );
  run.check(
    'who decides it on its merits, saying whose judgement it was',
    /on its merits \((rules|model [^)]*)\)/.test(tie.chain[1]?.reason ?? ''),
    tie.chain[1]?.reason,
  );
}

async function directRequest(run: Run): Promise<void> {
  const started = Date.now();
  const request = await run.send({ to: 'senior_developer', subject: 'what_do_you_do' });
  const reply = await run.reply(request.id);
  run.data.replyMs = Date.now() - started;
  run.check(
    'the senior developer replies',
    reply.from === 'senior_developer' && reply.type === 'response',
    reply,
  );
  run.check('with inReplyTo', reply.metadata.inReplyTo === request.id);
  const hire = await run.send({
    to: 'chro',
    subject: 'approve_hiring_request',
    content: {
      position: `Senior Backend Engineer (${run.tag})`,
      team: 'platform',
      headcount: 1,
      budget_usd: 180_000,
      justification: 'event store work',
    },
  });
  const answer = await run.reply(hire.id, 'chro');
  run.check(
    'a tool request runs the tool',
    answer.content.tool === 'approve_hiring_request' && typeof answer.content.decisionId === 'string',
    answer.content,
  );
  const d = await run.decision(answer.content.decisionId as string);
  run.check('the chro approves within its authority', d.status === 'approved' && d.owner === 'chro', d);
  const bad = await run.send({
    to: 'chro',
    subject: 'approve_hiring_request',
    content: { position: 'x', budget_usd: -5 },
  });
  const error = await run.reply(bad.id, 'chro');
  run.check(
    'invalid tool input: an error naming the field',
    error.type === 'error' && (error.content.error as { field?: string })?.field === 'budget_usd',
    error.content,
  );
}

interface DeliveryRow {
  role: string;
  status: string;
  attempts: number;
  lastError: string | null;
  processedAt: string | null;
}

/**
 * Needs a CEO that fails: start the runtime with a model that does not answer and failures fatal
 * (ECHO_LLM_PROVIDER=openai ECHO_LLM_BASE_URL=<an endpoint that fails> ECHO_LLM_FAILURE=fatal),
 * then restore the model while the scenario waits (up to 10 minutes); catch-up does the rest.
 */
async function catchUp(run: Run): Promise<void> {
  const request = await run.send({
    to: 'ceo',
    subject: 'Urgent: Budget Approval',
    content: { budget_usd: 500_000, request: 'Approve the Q3 platform budget' },
  });
  run.data.messageId = request.id;
  const delivery = async () =>
    (await run.client.call<{ deliveries: DeliveryRow[] }>('GET', `/messages/${request.id}`)).deliveries[0]!;
  const failed = await run.waitFor('the CEO to fail on the delivery', async () => {
    const d = await delivery();
    return d.status === 'processed' || d.attempts > 0 ? d : undefined;
  });
  const failing = run.check(
    'the CEO fails on the delivery (this scenario needs a failing CEO model)',
    failed.status === 'pending',
    {
      hint: 'start npm start with ECHO_LLM_PROVIDER=openai ECHO_LLM_BASE_URL=<an endpoint that fails> ECHO_LLM_FAILURE=fatal',
      delivery: failed,
    },
  );
  if (!failing) return;
  run.check('the message is stored and the failure recorded', Boolean(failed.lastError), failed);
  run.check('no reply yet', (await run.replies(request.id)).length === 0);
  run.progress("the CEO's delivery is pending: restore the CEO's model; catch-up will process it");
  const done = await run.waitFor(
    'the CEO to catch up',
    async () => {
      const d = await delivery();
      return d.status === 'processed' ? d : undefined;
    },
    10 * 60_000,
  );
  run.check('processed, with its processed-at time', done.processedAt !== null, done);
  const replies = await run.waitFor('the reply', async () => {
    const r = await run.replies(request.id);
    return r.length ? r : undefined;
  });
  await new Promise((r) => setTimeout(r, 300));
  run.check(
    'exactly once: one reply from the CEO',
    (await run.replies(request.id)).length === 1 && replies[0]!.from === 'ceo',
    replies,
  );
}

async function badInput(run: Run): Promise<void> {
  const latest = async () =>
    (await run.client.call<{ messages: Message[] }>('GET', '/messages?limit=1')).messages[0]?.seq ?? 0;
  const before = await latest();
  const cases: [string, unknown, string][] = [
    ['no to', { subject: 'x' }, 'to'],
    ['an unknown role', { to: 'janitor', subject: 'x' }, 'to'],
    ['content not an object', { to: 'cto', subject: 'x', content: 'text' }, 'content'],
    ['300 KB', { to: 'cto', subject: 'x', content: { blob: 'x'.repeat(300 * 1024) } }, 'entry'],
  ];
  for (const [name, body, field] of cases) {
    const error = await run.client
      .call('POST', '/messages', body)
      .then(() => undefined)
      .catch((e: unknown) => e);
    const ok = error instanceof ApiError && error.status === 400 && error.body?.error?.field === field;
    run.check(`${name}: rejected naming ${field}`, ok, error instanceof ApiError ? error.body : error);
    if (error instanceof ApiError) {
      const { deadLetters } = await run.client.call<{ deadLetters: DeadLetter[] }>(
        'GET',
        '/dead-letters?limit=10',
      );
      const id = (error.body?.error as { deadLetterId?: string } | undefined)?.deadLetterId;
      run.check(
        `${name}: in the dead letters with the reason`,
        deadLetters.some((d) => d.id === id && d.field === field && d.reason.length > 0),
      );
    }
  }
  run.check('the messages table is unchanged', (await latest()) === before);
}

/** A workflow run as the API shows it (the fields the scenarios read). */
interface RunView {
  id: string;
  status: string;
  steps: Record<string, { status: string; startedAt: string; completedAt?: string; human?: boolean }>;
  context: { steps: Record<string, Record<string, unknown>> };
}

async function runUntil(run: Run, id: string, statuses: string[]): Promise<RunView> {
  let last = '';
  return run.waitFor(`workflow run ${id} to be ${statuses.join(' or ')}`, async () => {
    const { run: r } = await run.client.call<{ run: RunView }>('GET', `/workflow-runs/${id}`);
    const done = Object.entries(r.steps)
      .filter(([, s]) => s.completedAt)
      .map(([step]) => step);
    if (done.join() !== last) run.progress(`steps done: ${done.join(', ')}`);
    last = done.join();
    return statuses.includes(r.status) ? r : undefined;
  });
}

async function startWorkflow(run: Run, name: string, input: unknown): Promise<string> {
  const { run: r } = await run.client.call<{ run: RunView }>('POST', `/workflows/${name}/runs`, { input });
  run.data.runId = r.id;
  run.progress(`started ${name} ${r.id}`);
  return r.id;
}

const after = (r: RunView, later: string, earlier: string) =>
  (r.steps[later]?.startedAt ?? '') >= (r.steps[earlier]?.completedAt ?? '~');

async function featureDevelopment(run: Run): Promise<void> {
  const id = await startWorkflow(run, 'feature-development', {
    feature: `Mobile App Dashboard (${run.tag})`,
    priority: 'high',
    budget_usd: 150_000,
    complexity: 'high',
    users: 50_000,
  });
  const r = await runUntil(run, id, ['completed', 'failed', 'cancelled']);
  run.check('the run completes', r.status === 'completed', r);
  const order = ['requirements', 'feasibility', 'cto_approval', 'design', 'quality_gate', 'release'];
  run.check(
    'requirements, feasibility, CTO approval (complexity high), design, quality gate and release in order',
    order.every((s, i) => r.steps[s]?.status === 'completed' && (i === 0 || after(r, s, order[i - 1]!))),
    r.steps,
  );
  run.check(
    'implementation and test plan run in parallel, and the quality gate waits for both',
    after(r, 'quality_gate', 'implementation') && after(r, 'quality_gate', 'test_plan'),
    r.steps,
  );
  const release = r.context.steps.release ?? {};
  const decision = await run.decision(String(release.decisionId));
  run.check(
    'the release is a collaborative decision of PM, architect and test lead',
    decision.mode === 'collaborative' &&
      [...decision.participants].sort().join() === 'product_manager,senior_architect,test_lead',
    decision,
  );
  run.check('the release is approved by vote', decision.status === 'approved', decision.status);
}

async function hiring(run: Run): Promise<void> {
  const id = await startWorkflow(run, 'hiring', {
    position: `Senior Backend Engineer (${run.tag})`,
    budget_usd: 180_000,
    candidate: 'Ada',
  });
  const paused = await runUntil(run, id, ['paused', 'completed', 'failed', 'cancelled']);
  run.check(
    'the CHRO reviews budget and headcount',
    paused.context.steps.hiring_request?.owner === 'chro',
    paused,
  );
  run.check(
    'the run pauses "waiting for qualified candidates"',
    paused.status === 'paused' && paused.steps.candidates?.human === true,
    paused.status,
  );
  const waiting = paused.steps.candidates as { waitingOn?: { id: string } } | undefined;
  run.progress('a human resumes it');
  await run.client.call('POST', `/decisions/${waiting?.waitingOn?.id}/approve`, {
    reason: 'qualified candidates found',
  });
  const r = await runUntil(run, id, ['completed', 'failed', 'cancelled']);
  run.check('the run completes once a human resumes it', r.status === 'completed', r);
  run.check(
    'CTO and architect interview in parallel before the offer',
    r.steps.cto_interview?.startedAt === r.steps.architect_interview?.startedAt &&
      after(r, 'offer', 'cto_interview') &&
      after(r, 'offer', 'architect_interview'),
    r.steps,
  );
  run.check(
    'the CHRO makes the offer decision',
    r.context.steps.offer?.owner === 'chro',
    r.context.steps.offer,
  );
}

export const SCENARIOS: { name: string; description: string; run: (run: Run) => Promise<void> }[] = [
  {
    name: 'authority-ladder',
    description: 'a feature request at five budgets climbs the authority ladder',
    run: authorityLadder,
  },
  {
    name: 'enterprise-expansion',
    description: 'a $15M initiative waits for a human, who rejects it',
    run: enterpriseExpansion,
  },
  {
    name: 'revenue-3x',
    description: 'the collaborative strategic initiative: self-selection, votes, synthesis',
    run: revenue3x,
  },
  {
    name: 'tech-stack-vote',
    description: 'a vote: approved at 0.67, then a tie that escalates',
    run: techStackVote,
  },
  {
    name: 'direct-request',
    description: 'a question and a tool call, answered with inReplyTo',
    run: directRequest,
  },
  {
    name: 'bad-input',
    description: 'malformed commands rejected, dead-lettered, nothing written',
    run: badInput,
  },
  {
    name: 'feature-development',
    description: 'a workflow: requirements to release vote, with a CTO branch and a parallel build',
    run: featureDevelopment,
  },
  {
    name: 'hiring',
    description: 'a workflow that pauses for a human and resumes on approval',
    run: hiring,
  },
  {
    name: 'catch-up',
    description:
      'a failing CEO catches up exactly once (start the runtime with a failing CEO model, then restore it)',
    run: catchUp,
  },
];

export async function runScenario(
  client: ApiClient,
  name: string,
  progress: (line: string) => void = () => {},
  timeoutMs = 30_000,
): Promise<ScenarioResult> {
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (!scenario)
    throw new Error(`unknown scenario "${name}": one of ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const run = new Run(client, progress, timeoutMs);
  try {
    await scenario.run(run);
  } catch (error) {
    run.check('the scenario ran to its end', false, error instanceof Error ? error.message : String(error));
  }
  return {
    name,
    ok: run.checks.length > 0 && run.checks.every((c) => c.ok),
    checks: run.checks,
    data: run.data,
  };
}
