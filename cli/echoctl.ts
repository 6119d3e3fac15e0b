/**
 * echoctl: send messages, list them and the dead letters. Every listing has --json (one JSON
 * document on stdout); errors go to stderr with what to do next, and the exit code is 1.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { Message } from '../lambdas/core/messages.ts';
import type { DeadLetter } from '../lambdas/core/store.ts';
import { ApiError, api, apiBaseUrl } from './client.ts';

const base = apiBaseUrl();

function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('must be JSON, e.g. \'{"budget_usd": 100000}\'');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new InvalidArgumentError('must be a JSON object');
  return parsed as Record<string, unknown>;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new InvalidArgumentError('must be an integer from 1 to 1000');
  return n;
}

const print = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
const short = (id: string) => id.slice(0, 8);
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function messageLine(m: Message): string {
  const reply = m.metadata.inReplyTo ? ` ↩ ${short(m.metadata.inReplyTo)}` : '';
  return `${m.createdAt.slice(0, 19).replace('T', ' ')}  ${short(m.id)}  ${m.from.padEnd(16)} → ${m.to.padEnd(16)} ${m.type.padEnd(13)} ${clip(m.subject, 60)}${reply}`;
}

async function send(body: Record<string, unknown>, json: boolean) {
  const result = await api<{ message: Message; created: boolean }>(base, 'POST', '/messages', body);
  if (json) return print(result.message);
  const m = result.message;
  process.stdout.write(
    `${result.created ? 'sent' : 'already sent (same idempotency key)'}: ${m.id}  ${m.from} → ${m.to} [${m.recipients.join(', ') || 'no agent'}]\n`,
  );
}

const program = new Command('echoctl')
  .description(`Talk to the ECHO organization (API: ${base}, set ECHO_API_URL to change)`)
  .showHelpAfterError();

program
  .command('send')
  .description('send a message to a role (or all, leadership, human)')
  .requiredOption('--to <role>', 'recipient: a role, all or leadership')
  .requiredOption('--subject <subject>', 'subject (a tool name runs that tool)')
  .option('--type <type>', 'message type', 'request')
  .option('--content <json>', 'content, a JSON object', jsonObject)
  .option('--from <sender>', 'sender: human (default), system or a role')
  .option('--priority <priority>', 'low, normal, high or critical')
  .option('--idempotency-key <key>', 'a repeated send with the same key returns the first message')
  .option('--json', 'print the message as JSON')
  .action((o) =>
    send(
      {
        to: o.to,
        subject: o.subject,
        type: o.type,
        content: o.content,
        from: o.from,
        priority: o.priority,
        idempotencyKey: o.idempotencyKey,
      },
      o.json,
    ),
  );

program
  .command('broadcast')
  .description('send a broadcast to every role')
  .requiredOption('--subject <subject>', 'subject')
  .option('--content <json>', 'content, a JSON object', jsonObject)
  .option('--from <sender>', 'sender: human (default), system or a role')
  .option('--idempotency-key <key>', 'a repeated broadcast with the same key returns the first message')
  .option('--json', 'print the message as JSON')
  .action((o) =>
    send(
      {
        to: 'all',
        type: 'broadcast',
        subject: o.subject,
        content: o.content,
        from: o.from,
        idempotencyKey: o.idempotencyKey,
      },
      o.json,
    ),
  );

program
  .command('messages')
  .description('list messages, newest first')
  .option('--to <role>', 'delivered or addressed to this role (or all, leadership, human)')
  .option('--from <sender>', 'sent by this sender')
  .option('--type <type>', 'of this type')
  .option('--in-reply-to <id>', 'replies to this message')
  .option('--limit <n>', 'at most n (1 to 1000)', positiveInt, 50)
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
    for (const m of messages) process.stdout.write(`${messageLine(m)}\n`);
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
