/**
 * What the bench posts: the pipeline's deps on the bench services (the real core, the real SQL store
 * and real-time publisher, the local EventBridge through its in-process publisher), the messages it
 * posts, and the raw baseline's twin of each (the same row, plainly INSERTed, and one PUBLISH).
 */
import { createInProcessPublisher } from '../lambdas/adapters/bus/in-process.publisher.ts';
import { uuidv7 } from '../lambdas/adapters/ids.ts';
import type { RealtimePublisher } from '../lambdas/adapters/realtime/port.ts';
import type { SqlClient } from '../lambdas/adapters/sql/port.ts';
import { createSqlStore } from '../lambdas/adapters/sql/store.ts';
import type { PostMessageCommand } from '../lambdas/core/messages.ts';
import type { Logger, PipelineDeps } from '../lambdas/core/pipeline.ts';
import { ROLES } from '../lambdas/core/roles.ts';
import { LocalEventBus } from '../lambdas/local/eventbridge/bus.ts';
import { RAW_TABLE, type RawInsert } from './services.ts';

const TEXT = 'Quarterly figures are in: revenue up 12%, churn flat. Please review before Friday.';

/** A message as producers post it: to one role (round robin), a notification with a small JSON body. */
export function benchCommand(i: number, tag: string): PostMessageCommand {
  return {
    from: 'human',
    to: ROLES[i % ROLES.length]!,
    type: 'notification',
    subject: `${tag} ${i}`,
    content: { n: i, text: TEXT },
    priority: 'normal',
    metadata: {},
  };
}

const RAW_INSERT = `INSERT INTO ${RAW_TABLE} (id, from_role, to_address, type, subject, content, metadata, priority,
  recipients, in_reply_to, idempotency_key, created_at)
  VALUES ($1::uuid, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9::jsonb, $10::uuid, $11, $12::timestamptz)`;

/** The baseline: the same row as `benchCommand(i)` makes, one INSERT, then one PUBLISH of it. */
export async function rawPost(
  insert: RawInsert,
  publish: (channel: string, payload: unknown) => Promise<void>,
  channel: string,
  i: number,
  tag: string,
): Promise<void> {
  const c = benchCommand(i, tag);
  const row = {
    id: uuidv7(),
    from: c.from,
    to: c.to,
    type: c.type,
    subject: c.subject,
    content: c.content,
    metadata: c.metadata,
    priority: c.priority,
    recipients: [c.to],
    inReplyTo: null,
    idempotencyKey: null,
    createdAt: new Date().toISOString(),
  };
  await insert(RAW_INSERT, [
    row.id,
    row.from,
    row.to,
    row.type,
    row.subject,
    JSON.stringify(row.content),
    JSON.stringify(row.metadata),
    row.priority,
    JSON.stringify(row.recipients),
    row.inReplyTo,
    row.idempotencyKey,
    row.createdAt,
  ]);
  await publish(channel, row);
}

export const silentLogger: Logger & { warnings: number } = {
  warnings: 0,
  debug() {},
  info() {},
  warn() {
    silentLogger.warnings++;
  },
  error() {
    silentLogger.warnings++;
  },
};

export interface BenchPipeline {
  deps: PipelineDeps;
  /** MessagePosted events the local bus delivered to its one (counting) rule. */
  busEvents(): number;
  idle(): Promise<void>;
  close(): void;
}

/** postMessage's deps as a producer has them, with a local EventBridge whose one rule counts. */
export function benchPipeline(services: { sql: SqlClient; publisher: RealtimePublisher }): BenchPipeline {
  let events = 0;
  const bus = new LocalEventBus({ onDeadLetter: () => undefined, logger: silentLogger });
  bus.addRule({
    name: 'bench-count',
    pattern: { source: ['echo'], 'detail-type': ['MessagePosted'] },
    target: async () => {
      events++;
    },
  });
  return {
    deps: {
      store: createSqlStore(services.sql),
      bus: createInProcessPublisher(bus),
      realtime: services.publisher,
      clock: { now: () => new Date() },
      newId: uuidv7, // as the runtime and the Lambdas make them
      logger: silentLogger,
    },
    busEvents: () => events,
    idle: () => bus.idle(),
    close: () => bus.close(),
  };
}
