/**
 * The local runtime's event bus, with EventBridge semantics: PutEvents validates like AWS (per-entry
 * errors, request-level ValidationException), builds the genuine envelope, matches every rule, and
 * invokes each matched target asynchronously as Lambda's async invoke does: on failure it retries with
 * exponential backoff (delay = min(maxDelayMs, baseDelayMs * 2^(attempt-1)), no jitter) up to
 * maxAttempts, then hands the event to onDeadLetter (Lambda's on-failure destination).
 * Faults (per-entry failures, throttling) can be injected at runtime to prove producers survive them.
 */
import { randomUUID } from 'node:crypto';
import { MAX_JSON_DEPTH } from '../../../events/limits.ts';
import {
  type ApiEntry,
  entrySize,
  MAX_ENTRIES_PER_CALL,
  withinCallLimit,
} from '../../adapters/bus/batching.ts';
import type { EventEnvelope } from '../../adapters/bus/port.ts';
import { createJsonLogger } from '../../adapters/log/json.logger.ts';
import { EchoError } from '../../core/errors.ts';
import { errorText, type Logger } from '../../core/pipeline.ts';
import { compileEventPattern } from './pattern.ts';

/** A PutEvents request entry, as the API (and the SDK's PutEventsRequestEntry) has it. */
export type PutEventsEntry = ApiEntry;

export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };
export interface PutEventsResponse {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

/** An error AWS returns for the whole call (HTTP 400): `code` is the exception name, e.g. ThrottlingException. */
export class EventBridgeRequestError extends EchoError {}

export interface BusFaults {
  /** Fails a (valid) entry as EventBridge reports a partial failure: not delivered, an error in its result. */
  failEntry?: (entry: PutEventsEntry, index: number) => { code: string; message: string } | undefined;
  /** Rejects the whole call with ThrottlingException when it returns true. */
  throttle?: () => boolean;
}

export interface RetryPolicy {
  /** Attempts in all: 3 = the first try and two retries, as Lambda's async invoke. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface DeadLetter {
  rule: string;
  envelope: EventEnvelope;
  error: unknown;
  attempts: number;
}

export type Target = (envelope: EventEnvelope) => Promise<unknown>;

export interface LocalEventBusOptions {
  account?: string;
  region?: string;
  busName?: string;
  retry?: Partial<RetryPolicy>;
  onDeadLetter: (record: DeadLetter) => Promise<void> | void;
  ids?: () => string;
  now?: () => Date;
  logger?: Logger;
  faults?: BusFaults;
}

interface Rule {
  name: string;
  matches: (event: unknown) => boolean;
  target: Target;
}

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 60_000 };

/** ISO 8601 without milliseconds, as EventBridge writes `time`. */
const isoSeconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export class LocalEventBus {
  readonly account: string;
  readonly region: string;
  readonly busName: string;
  private readonly retry: RetryPolicy;
  private readonly onDeadLetter: LocalEventBusOptions['onDeadLetter'];
  private readonly ids: () => string;
  private readonly now: () => Date;
  private readonly logger: Logger;
  private faults: BusFaults;
  private readonly rules = new Map<string, Rule>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Pending retry delays: their timers, and how to end the wait early when the bus closes. */
  private readonly sleeps = new Map<NodeJS.Timeout, () => void>();
  private closed = false;

  constructor(options: LocalEventBusOptions) {
    this.account = options.account ?? '000000000000';
    this.region = options.region ?? 'us-east-1';
    this.busName = options.busName ?? 'default';
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.onDeadLetter = options.onDeadLetter;
    this.ids = options.ids ?? randomUUID;
    this.now = options.now ?? (() => new Date());
    this.logger = options.logger ?? createJsonLogger({ service: 'local-eventbridge', level: 'warn' });
    this.faults = options.faults ?? {};
  }

  /** Adds the rule, or replaces the rule of that name (as PutRule). Throws InvalidEventPatternError. */
  addRule(rule: { name: string; pattern: unknown; target: Target }): void {
    this.rules.set(rule.name, {
      name: rule.name,
      matches: compileEventPattern(rule.pattern),
      target: rule.target,
    });
  }

  removeRule(name: string): boolean {
    return this.rules.delete(name);
  }

  /** Replaces the injected faults; `{}` turns them off. */
  setFaults(faults: BusFaults): void {
    this.faults = faults;
  }

  /** PutEvents. Resolves before any target runs; rejects with EventBridgeRequestError for whole-call errors. */
  async putEvents(entries: readonly PutEventsEntry[]): Promise<PutEventsResponse> {
    if (this.closed) throw new EchoError('EventBusClosed', 'the local event bus is closed');
    if (this.faults.throttle?.()) throw new EventBridgeRequestError('ThrottlingException', 'Rate exceeded');
    if (entries.length === 0 || entries.length > MAX_ENTRIES_PER_CALL) {
      const bound =
        entries.length === 0 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ENTRIES_PER_CALL}`;
      throw new EventBridgeRequestError(
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${bound}`,
      );
    }
    if (!withinCallLimit(entries.reduce((n, e) => n + entrySize(e), 0))) {
      throw new EventBridgeRequestError(
        'ValidationException',
        'Total size of the entries in the request is over the limit.',
      );
    }
    const results = entries.map((entry, index): PutEventsResultEntry => {
      const invalid = this.validate(entry) ?? this.faults.failEntry?.(entry, index);
      if (invalid) return { ErrorCode: invalid.code, ErrorMessage: invalid.message };
      const envelope: EventEnvelope = {
        version: '0',
        id: this.ids(),
        'detail-type': entry.DetailType!,
        source: entry.Source!,
        account: this.account,
        time: isoSeconds(entry.Time ?? this.now()),
        region: this.region,
        resources: [...(entry.Resources ?? [])],
        detail: JSON.parse(entry.Detail!),
      };
      for (const rule of this.rules.values()) if (rule.matches(envelope)) this.deliver(rule, envelope);
      return { EventId: envelope.id };
    });
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  /** Resolves when no target invocation (pending retries included) is in flight, cascades included. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops the retry timers: retries still waiting are abandoned (and logged); new PutEvents are refused. */
  close(): void {
    this.closed = true;
    for (const [timer, wake] of this.sleeps) {
      clearTimeout(timer);
      wake();
    }
    this.sleeps.clear();
  }

  private validate(entry: PutEventsEntry): { code: string; message: string } | undefined {
    for (const name of ['Source', 'DetailType', 'Detail'] as const) {
      if (!entry[name]) {
        return {
          code: 'InvalidArgument',
          message: `Parameter ${name} is not valid. Reason: ${name} is a required argument.`,
        };
      }
    }
    if (entry.EventBusName && entry.EventBusName !== this.busName && entry.EventBusName !== this.busArn) {
      return {
        code: 'ResourceNotFoundException',
        message: `Event bus ${entry.EventBusName} does not exist.`,
      };
    }
    if (entry.Time && Number.isNaN(entry.Time.getTime())) {
      return { code: 'InvalidArgument', message: 'Parameter Time is not valid.' };
    }
    const depth = jsonDepth(entry.Detail!);
    if (depth > MAX_DETAIL_DEPTH) {
      return {
        code: 'MalformedDetail',
        message: `Detail is malformed: objects and arrays nested ${depth} levels deep; the limit is ${MAX_DETAIL_DEPTH} levels (a PostMessage command: ${MAX_JSON_DEPTH})`,
      };
    }
    try {
      const detail: unknown = JSON.parse(entry.Detail!);
      if (typeof detail === 'object' && detail !== null && !Array.isArray(detail)) return undefined;
    } catch {
      // reported below, as AWS does for any Detail that is not a JSON object
    }
    return { code: 'MalformedDetail', message: 'Detail is malformed.' };
  }

  private get busArn(): string {
    return `arn:aws:events:${this.region}:${this.account}:event-bus/${this.busName}`;
  }

  /** One async invocation of a rule's target; tracked until it succeeds, is dead-lettered or abandoned. */
  private deliver(rule: Rule, envelope: EventEnvelope): void {
    const task = this.invoke(rule, envelope).finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  private async invoke(rule: Rule, envelope: EventEnvelope): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve)); // the caller of PutEvents gets its answer first
    const { maxAttempts, baseDelayMs, maxDelayMs } = this.retry;
    const log = { rule: rule.name, eventId: envelope.id };
    for (let attempt = 1; ; attempt++) {
      try {
        await rule.target(structuredClone(envelope)); // each invocation gets its own copy, as Lambda does
        return;
      } catch (error) {
        if (attempt >= maxAttempts) {
          await this.deadLetter({ rule: rule.name, envelope, error, attempts: attempt });
          return;
        }
        const delayMs = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
        this.logger.warn('target failed; retrying', { ...log, attempt, delayMs, error: errorText(error) });
        if (!(await this.sleep(delayMs))) {
          this.logger.warn('bus closed; retry abandoned', { ...log, attempts: attempt });
          return;
        }
      }
    }
  }

  private async deadLetter(record: DeadLetter): Promise<void> {
    try {
      await this.onDeadLetter(record);
    } catch (error) {
      this.logger.error('onDeadLetter failed; event lost', {
        rule: record.rule,
        eventId: record.envelope.id,
        error: errorText(error),
        targetError: errorText(record.error),
      });
    }
  }

  /** Resolves true after `ms`, or false at once if the bus is (or gets) closed. */
  private sleep(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeps.delete(timer);
        resolve(true);
      }, ms);
      this.sleeps.set(timer, () => resolve(false));
    });
  }
}

/**
 * The deepest nesting of a Detail this bus carries. EventBridge refuses deeper ones (it stops at
 * about 1100 levels), and past a few thousand a target's copy of the event (structuredClone, as a
 * Lambda's is) exhausts the stack: the entry is refused at once, naming the limit, never retried.
 */
export const MAX_DETAIL_DEPTH = 1000;

/** How deep objects and arrays nest in a JSON text, read without parsing (strings skipped). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}
