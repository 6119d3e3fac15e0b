/**
 * echoctl: send messages; list messages, decisions, agents and dead letters; approve or reject as
 * a human; run the acceptance scenarios. Every listing has --json (one JSON document on stdout);
 * errors go to stderr with what to do next, and the exit code is 1.
 */
import { Command } from 'commander';
import type { Decision, DecisionView } from '../lambdas/core/decision-types.ts';
import type { Message } from '../lambdas/core/messages.ts';
import type { DeadLetter, Delivery } from '../lambdas/core/store.ts';
import { summarizeContent } from '../lambdas/core/thread.ts';
import type { WorkflowRun } from '../lambdas/core/workflows/types.ts';
import { jsonObject, positiveInt, print, short } from './args.ts';
import { ApiError, api, apiBaseUrl, createClient, humanClient, humanToken } from './client.ts';
import {
  drawReplies,
  EXIT_ERROR_REPLY,
  EXIT_NO_REPLY,
  registerThread,
  timeoutSeconds,
  waitForReplies,
} from './conversation.ts';
import { registerLogs } from './logs.ts';
import { addMcpCommand } from './mcp.ts';
import { runScenario, SCENARIOS } from './scenarios.ts';
import { exampleInput, fieldLines, type JsonSchemaLike } from './schema.ts';
import { registerTrace } from './trace.ts';
import { registerWatch } from './watch.ts';
import { registerWorkflowCommands } from './workflows.ts';

const base = apiBaseUrl();

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** A message as `#seq`; the message it answers as `#seq` when listed too, else by its id's tail. */
function messageLine(m: Message, seqOf: ReadonlyMap<string, number>): string {
  const parent = m.metadata.inReplyTo;
  const reply = parent ? ` ↩ ${seqOf.has(parent) ? `#${seqOf.get(parent)}` : short(parent)}` : '';
  return `${m.createdAt.slice(0, 19).replace('T', ' ')}  ${`#${m.seq}`.padEnd(7)} ${m.from.padEnd(16)} → ${m.to.padEnd(16)} ${m.type.padEnd(13)} ${clip(m.subject, 60)}${reply}`;
}

async function send(body: Record<string, unknown>, json: boolean, wait?: { timeoutS: number }) {
  // Nothing answers a notification, nor a message to the human: --wait would only run out its timeout.
  if (wait && (body.type === 'notification' || body.to === 'human'))
    throw new Error(
      `--wait: ${body.to === 'human' ? 'a message to the human' : 'a notification'} gets no reply, so nothing would come; drop --wait, or send a request to a role`,
    );
  const result = await api<{ message: Message; created: boolean }>(base, 'POST', '/messages', body);
  const m = result.message;
  if (!wait) {
    if (json) return print(m);
    process.stdout.write(
      `${result.created ? 'sent' : 'already sent (same idempotency key)'}: #${m.seq} ${m.id}  ${m.from} → ${m.to} [${m.recipients.join(', ') || 'no agent'}]\n`,
    );
    return;
  }
  // what was sent goes to stderr while the reply is awaited: stdout is the answer
  if (!json)
    process.stderr.write(
      `${result.created ? 'sent' : 'already sent (same idempotency key)'}: #${m.seq} ${m.id}  ${m.from} → ${m.to}; waiting up to ${wait.timeoutS}s for the reply…\n`,
    );
  const answered = await waitForReplies(base, m, wait.timeoutS * 1000);
  if (json) print({ message: m, ...answered });
  else process.stdout.write(`${drawReplies(m, answered, wait.timeoutS)}\n`);
  if (answered.replies.some((r) => r.type === 'error')) process.exitCode = EXIT_ERROR_REPLY;
  else if (!answered.complete) process.exitCode = EXIT_NO_REPLY;
}

const program = new Command('echoctl')
  .description(`Talk to the ECHO organization (API: ${base}, set ECHO_API_URL to change)`)
  .showHelpAfterError();

program
  .command('send')
  .description('send a message to a role (or all, leadership, human)')
  .requiredOption('--to <role>', 'recipient: a role, all, leadership or human')
  .requiredOption('--subject <subject>', 'subject (a tool name runs that tool)')
  .option('--type <type>', 'message type: request or notification', 'request')
  .option('--content <json>', 'content, a JSON object', jsonObject)
  .option('--priority <priority>', 'low, normal, high or critical')
  .option('--idempotency-key <key>', 'a repeated send with the same key returns the first message')
  .option(
    '--wait',
    `wait for the reply to a request (and the decision it opened) and print it; exit ${EXIT_ERROR_REPLY} on an error reply, ${EXIT_NO_REPLY} when none comes in --timeout`,
  )
  .option('--timeout <seconds>', 'with --wait: give up after this long', timeoutSeconds, 60)
  .option('--json', 'print the message as JSON (with --wait: {message, replies, decisions, complete})')
  .action((o) =>
    send(
      {
        to: o.to,
        subject: o.subject,
        type: o.type,
        content: o.content,
        priority: o.priority,
        idempotencyKey: o.idempotencyKey,
      },
      o.json,
      o.wait ? { timeoutS: o.timeout } : undefined,
    ),
  );

program
  .command('broadcast')
  .description('send a broadcast to every role')
  .requiredOption('--subject <subject>', 'subject')
  .option('--content <json>', 'content, a JSON object', jsonObject)
  .option('--idempotency-key <key>', 'a repeated broadcast with the same key returns the first message')
  .option('--json', 'print the message as JSON')
  .action((o) =>
    send(
      {
        to: 'all',
        type: 'broadcast',
        subject: o.subject,
        content: o.content,
        idempotencyKey: o.idempotencyKey,
      },
      o.json,
    ),
  );

program
  .command('messages')
  .description('list messages, newest first, each with a one-line summary of its content (--full: all of it)')
  .option('--to <role>', 'delivered or addressed to this role (or all, leadership, human)')
  .option('--from <sender>', 'sent by this sender')
  .option('--type <type>', 'of this type')
  .option('--in-reply-to <id>', 'replies to this message (its id, #seq, or 6+ first or last characters)')
  .option('--limit <n>', 'at most n (1 to 1000)', positiveInt, 50)
  .option('--full', "each message's whole content, as JSON, instead of a one-line summary")
  .option('--json', 'print JSON')
  .action(async (o) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries({
      to: o.to,
      from: o.from,
      type: o.type,
      inReplyTo: o.inReplyTo,
      limit: o.limit,
    })) {
      if (v !== undefined) q.set(k, String(v));
    }
    const { messages } = await api<{ messages: Message[] }>(base, 'GET', `/messages?${q}`);
    if (o.json) return print(messages);
    if (messages.length === 0) return void process.stdout.write('no messages\n');
    const seqOf = new Map(messages.map((m) => [m.id, m.seq]));
    for (const m of messages) {
      const said = o.full
        ? JSON.stringify(m.content, null, 2).replace(/\n/g, '\n    ')
        : summarizeContent(m.content, 110);
      process.stdout.write(`${messageLine(m, seqOf)}\n    ${said}\n`);
    }
  });

program
  .command('dlq')
  .description('list dead letters: rejected commands and failed deliveries, with the reason')
  .option('--limit <n>', 'at most n (1 to 1000)', positiveInt, 50)
  .option('--json', 'print JSON')
  .action(async (o) => {
    const { deadLetters } = await api<{ deadLetters: DeadLetter[] }>(
      base,
      'GET',
      `/dead-letters?limit=${o.limit}`,
    );
    if (o.json) return print(deadLetters);
    if (deadLetters.length === 0) return void process.stdout.write('no dead letters\n');
    for (const d of deadLetters) {
      process.stdout.write(
        `${d.createdAt.slice(0, 19).replace('T', ' ')}  ${short(d.id)}  ${d.source.padEnd(7)} ${d.reason}\n`,
      );
    }
  });

program
  .command('retry <message> <role>')
  .description(
    "put a role's delivery of a message back for catch-up: one its agent gave up on after its last attempt, or one waiting out its delay (needs the human token)",
  )
  .option('--as <name>', 'your name, recorded in the log', process.env.USER || 'local')
  .option('--json', 'print the delivery as JSON')
  .action(async (message: string, role: string, o) => {
    const client = humanClient(base, o.as);
    const { delivery } = await client.call<{ delivery: Delivery }>(
      'POST',
      `/messages/${encodeURIComponent(message)}/deliveries/${encodeURIComponent(role)}/retry`,
    );
    if (o.json) return print(delivery);
    process.stdout.write(
      `${delivery.role} takes message ${delivery.messageId} up again at its next catch-up (${delivery.attempts} failed attempts so far; the last: ${clip(delivery.lastError ?? '-', 100)})\n`,
    );
  });

const usd = (n: number | null) => (n === null ? '' : `$${n.toLocaleString('en-US')}`);

function decisionLine(d: Decision): string {
  const score = d.consensusScore === null ? '' : `  consensus ${d.consensusScore.toFixed(2)}`;
  return `${d.createdAt.slice(0, 19).replace('T', ' ')}  ${short(d.id)}  ${d.status.padEnd(14)} ${d.mode.padEnd(13)} ${(d.owner ?? '-').padEnd(16)} ${usd(d.budgetUsd).padStart(12)}  ${clip(d.title, 50)}${score}`;
}

program
  .command('decisions')
  .description('list decisions, newest first')
  .option('--status <status>', 'pending, voting, approved, rejected, escalated, awaiting_human or expired')
  .option('--owner <role>', 'owned by this role')
  .option('--limit <n>', 'at most n (1 to 1000)', positiveInt, 50)
  .option('--json', 'print JSON')
  .action(async (o) => {
    const q = new URLSearchParams({ limit: String(o.limit) });
    if (o.status) q.set('status', o.status);
    if (o.owner) q.set('owner', o.owner);
    const { decisions } = await api<{ decisions: Decision[] }>(base, 'GET', `/decisions?${q}`);
    if (o.json) return print(decisions);
    if (decisions.length === 0) return void process.stdout.write('no decisions\n');
    for (const d of decisions) process.stdout.write(`${decisionLine(d)}\n`);
  });

program
  .command('decision <id>')
  .description('one decision with its votes, escalation chain and human approval')
  .option('--json', 'print JSON')
  .action(async (id: string, o) => {
    const { decision: d } = await api<{ decision: DecisionView }>(
      base,
      'GET',
      `/decisions/${encodeURIComponent(id)}`,
    );
    if (o.json) return print(d);
    const out = [
      `${d.title}`,
      `  id ${d.id}  status ${d.status}  mode ${d.mode}  owner ${d.owner ?? '-'}  initiator ${d.initiator}  budget ${usd(d.budgetUsd) || '-'}`,
    ];
    if (d.reason) out.push(`  reason: ${d.reason}`);
    if (d.chain.length > 1) {
      out.push('  escalation chain:');
      for (const c of d.chain)
        out.push(
          `    ${c.id === d.id ? '▶' : ' '} ${(c.owner ?? '-').padEnd(16)} ${c.status.padEnd(14)} ${c.reason ?? ''}`,
        );
    }
    if (d.votes.length) {
      out.push(`  votes (consensus ${d.consensusScore ?? '-'}):`);
      for (const v of d.votes)
        out.push(
          `    ${v.voter.padEnd(16)} ${v.vote.padEnd(8)} ${v.confidence.toFixed(2)}  ${clip(v.rationale, 70)}`,
        );
    }
    if (d.approval) {
      out.push(
        `  human approval ${d.approval.id}: ${d.approval.status}${d.approval.principal ? ` by ${d.approval.principal}: ${d.approval.resolution}` : ` (echoctl approve ${d.id} --reason ...)`}`,
      );
    }
    process.stdout.write(`${out.join('\n')}\n`);
  });

/** A workflow run id stands for the approval its paused step waits on; any other id is itself. */
async function approvalTarget(id: string): Promise<string> {
  try {
    const { run } = await api<{ run: WorkflowRun }>(base, 'GET', `/workflow-runs/${encodeURIComponent(id)}`);
    const waiting = Object.values(run.steps).find((s) => s.status === 'waiting' && s.human && s.waitingOn);
    if (!waiting) throw new Error(`workflow run ${id} is ${run.status} and waits for no human`);
    return waiting.waitingOn!.id;
  } catch (error) {
    // not a run (none matches, or not an id at all): the id is a decision's or an approval's; a
    // reference several runs answer to is said as it is
    if (error instanceof ApiError && (error.status === 404 || error.body?.error?.code === 'ValidationError'))
      return id;
    throw error;
  }
}

for (const [verb, approve] of [
  ['approve', true],
  ['reject', false],
] as const) {
  program
    .command(`${verb} <id>`)
    .description(
      `${verb} a decision awaiting a human (needs the human token: ECHO_HUMAN_TOKEN or .echo/human-token)`,
    )
    .requiredOption('--reason <reason>', 'why: recorded with your name')
    .option('--as <name>', 'your name, recorded as the principal', process.env.USER || 'local')
    .option('--json', 'print the decision as JSON')
    .action(async (id: string, o) => {
      const client = humanClient(base, o.as);
      const { decision } = await client.call<{ decision: DecisionView }>(
        'POST',
        `/decisions/${encodeURIComponent(await approvalTarget(id))}/${verb}`,
        { reason: o.reason },
      );
      if (o.json) return print(decision);
      process.stdout.write(
        `${approve ? 'approved' : 'rejected'}: ${decision.id}  ${decision.title}  (status ${decision.status})\n`,
      );
    });
}

interface AgentView {
  role: string;
  title: string;
  reportsTo: string;
  budgetAuthorityUsd: number;
  domains: string[];
  tools: { name: string; description: string; inputSchema: JsonSchemaLike }[];
  model: string;
  status: string;
  lastSeenAt: string | null;
  lastError: string | null;
  runs: number;
  failures: number;
}

/** One role in full: authority, health, and each tool with the fields its input takes. */
function agentDetail(a: AgentView): string {
  const out = [
    `${a.role}  ${a.title}  reports to ${a.reportsTo}  budget authority ${usd(a.budgetAuthorityUsd || 0) || '$0'}`,
    `  decides: ${a.domains.join(', ') || '-'}`,
    `  model ${a.model}  ${a.status}  runs ${a.runs}  failed ${a.failures}  ${a.lastSeenAt ? `last seen ${a.lastSeenAt.slice(0, 19).replace('T', ' ')}` : 'not seen yet'}`,
  ];
  if (a.lastError) out.push(`  last error: ${clip(a.lastError, 100)}`);
  out.push('', `tools (send one: echoctl send --to ${a.role} --subject <tool> --content '<json>' --wait):`);
  for (const t of a.tools) {
    out.push('', `  ${t.name}  ${t.description}`, ...fieldLines(t.inputSchema));
    out.push(`    e.g. --content '${exampleInput(t.inputSchema)}'`);
  }
  return out.join('\n');
}

program
  .command('agents [role]')
  .description(
    "the nine agents: authority, health and last activity; with a role, that agent's tools and the fields each takes",
  )
  .option('--json', 'print JSON')
  .action(async (role: string | undefined, o) => {
    const { agents } = await api<{ agents: AgentView[] }>(base, 'GET', '/agents');
    if (role !== undefined) {
      const a = agents.find((x) => x.role === role);
      if (!a) throw new Error(`role: no agent "${role}"; one of ${agents.map((x) => x.role).join(', ')}`);
      if (o.json) return print(a);
      return void process.stdout.write(`${agentDetail(a)}\n`);
    }
    if (o.json) return print(agents);
    const titleWidth = Math.max(...agents.map((a) => a.title.length)); // "Chief Human Resources Officer"
    for (const a of agents) {
      process.stdout.write(
        `${a.role.padEnd(17)} ${a.title.padEnd(titleWidth)} reports to ${a.reportsTo.padEnd(17)} ${usd(a.budgetAuthorityUsd || 0).padStart(11)}  ${a.status.padEnd(9)} runs ${String(a.runs).padStart(4)} failed ${String(a.failures).padStart(3)}  ${a.lastSeenAt ? `last seen ${a.lastSeenAt.slice(0, 19).replace('T', ' ')}` : 'not seen yet'}\n`,
      );
    }
  });

program
  .command('scenario <name>')
  .description(
    `run an acceptance scenario against the running organization: ${SCENARIOS.map((s) => s.name).join(', ')}`,
  )
  .option('--json', 'print the result as JSON')
  .action(async (name: string, o) => {
    const token = humanToken();
    const client = createClient(base, { token, human: 'scenario' });
    const result = await runScenario(client, name, (line) => {
      if (!o.json) process.stderr.write(`  ${line}\n`);
    });
    if (o.json) print(result);
    else {
      for (const c of result.checks)
        process.stdout.write(`${c.ok ? '✓' : '✗'} ${c.name}${c.ok ? '' : `: ${c.detail}`}\n`);
      process.stdout.write(
        `${result.ok ? 'PASS' : 'FAIL'} ${result.name} (${result.checks.filter((c) => c.ok).length}/${result.checks.length} checks)\n`,
      );
    }
    if (!result.ok) process.exitCode = 1;
  });

addMcpCommand(program, base);
registerWatch(program, base);
registerWorkflowCommands(program, base);
registerLogs(program);
registerTrace(program, base);
registerThread(program, base);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof ApiError) {
    const field = error.body?.error?.field ? ` (field: ${error.body.error.field})` : '';
    process.stderr.write(`echoctl: ${error.message}${field}\n`);
  } else {
    process.stderr.write(`echoctl: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exitCode = 1;
}
