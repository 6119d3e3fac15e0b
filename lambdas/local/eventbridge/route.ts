/**
 * EventBridge on the local AWS endpoint: the awsJson1_1 protocol (POST / with
 * `X-Amz-Target: AWSEvents.<Operation>`): PutEvents and TestEventPattern, and what a user asks next
 * about the buses and rules (ListEventBuses, DescribeEventBus, ListRules, DescribeRule,
 * ListTargetsByRule, ListRuleNamesByTarget), answered from the deployed stage's catalog
 * (./catalog.ts). PutEvents takes `EventBusName` as any of the catalog's buses, by name or ARN: locally
 * they are one bus. Errors carry the exception name in `__type` and `x-amzn-errortype`, as the SDK
 * and the CLI read them.
 */
import { randomUUID } from 'node:crypto';
import { InvalidEventPatternError } from '../../core/errors.ts';
import type { AwsResponse, AwsRoute } from '../aws/route.ts';
import { EventBridgeRequestError, type LocalEventBus, type PutEventsEntry } from './bus.ts';
import type { CatalogBus, CatalogRule } from './catalog.ts';
import { matchesEventPattern, parseEventPattern } from './pattern.ts';

const TARGET_PREFIX = 'AWSEvents.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

function reply(status: number, body: unknown, headers: Record<string, string> = {}): AwsResponse {
  return {
    status,
    headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': randomUUID(), ...headers },
    body: JSON.stringify(body),
  };
}

/** An AWS error answer: HTTP 400 unless told, the exception name in the body and in the header. */
export function awsJsonError(type: string, message: string, status = 400): AwsResponse {
  return reply(status, { __type: type, message }, { 'x-amzn-errortype': type });
}

const invalid = (message: string) => new EventBridgeRequestError('ValidationException', message);
const malformed = (message: string) => new EventBridgeRequestError('SerializationException', message);
const required = (member: string) =>
  invalid(
    `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
  );

/** awsJson1_1 timestamps are epoch seconds; the CLI and the SDK both send numbers. */
function toDate(value: unknown): Date | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return new Date(value * 1000);
  if (typeof value === 'string') return new Date(value);
  throw malformed('Time must be a timestamp');
}

function toEntry(raw: unknown): PutEventsEntry {
  if (typeof raw !== 'object' || raw === null) throw malformed('an entry must be an object');
  const e = raw as Record<string, unknown>;
  const text = (name: string) => {
    const v = e[name];
    if (v === undefined || v === null || typeof v === 'string') return v ?? undefined;
    throw malformed(`${name} must be a string`);
  };
  const resources = e.Resources ?? undefined;
  if (
    resources !== undefined &&
    !(Array.isArray(resources) && resources.every((r) => typeof r === 'string'))
  ) {
    throw malformed('Resources must be a list of strings');
  }
  return {
    Source: text('Source'),
    DetailType: text('DetailType'),
    Detail: text('Detail'),
    Resources: resources as string[] | undefined,
    Time: toDate(e.Time),
    EventBusName: text('EventBusName'),
  };
}

/** The buses and rules the endpoint knows, with their ARNs in the bus's account and Region. */
class Catalog {
  constructor(
    private readonly bus: LocalEventBus,
    private readonly buses: readonly CatalogBus[],
  ) {}

  busArn(name: string): string {
    return `arn:aws:events:${this.bus.region}:${this.bus.account}:event-bus/${name}`;
  }

  ruleArn(bus: string, rule: string): string {
    const path = bus === 'default' ? rule : `${bus}/${rule}`;
    return `arn:aws:events:${this.bus.region}:${this.bus.account}:rule/${path}`;
  }

  functionArn(rule: CatalogRule): string {
    return `arn:aws:lambda:${this.bus.region}:${this.bus.account}:function:${rule.functionName}`;
  }

  /** A bus by name or ARN (absent: the default bus); ResourceNotFoundException otherwise. */
  find(nameOrArn: unknown): CatalogBus {
    const wanted = typeof nameOrArn === 'string' && nameOrArn !== '' ? nameOrArn : 'default';
    const found = this.all().find((b) => b.name === wanted || this.busArn(b.name) === wanted);
    if (!found)
      throw new EventBridgeRequestError('ResourceNotFoundException', `Event bus ${wanted} does not exist.`);
    return found;
  }

  /** The catalog's buses, the default one always among them. */
  all(): readonly CatalogBus[] {
    return this.buses.some((b) => b.name === 'default')
      ? this.buses
      : [{ name: 'default', rules: [] }, ...this.buses];
  }

  rule(input: Record<string, unknown>, member: 'Name' | 'Rule'): { bus: CatalogBus; rule: CatalogRule } {
    const name = input[member];
    if (typeof name !== 'string' || name === '') throw required(member.toLowerCase());
    const bus = this.find(input.EventBusName);
    const rule = bus.rules.find((r) => r.name === name);
    if (!rule)
      throw new EventBridgeRequestError(
        'ResourceNotFoundException',
        `Rule ${name} does not exist on EventBus ${bus.name}.`,
      );
    return { bus, rule };
  }

  /** An entry's EventBusName naming one of the catalog's buses -> none (the local bus is all of them). */
  localEntry(entry: PutEventsEntry): PutEventsEntry {
    if (!entry.EventBusName) return entry;
    const known = this.all().some(
      (b) => b.name === entry.EventBusName || this.busArn(b.name) === entry.EventBusName,
    );
    return known ? { ...entry, EventBusName: undefined } : entry;
  }
}

/** One page of a listing: `Limit` (1 to 100) items from `NextToken`, and the token of the next page. */
function page<T>(items: readonly T[], input: Record<string, unknown>): { items: T[]; NextToken?: string } {
  const limit = input.Limit ?? 100;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100)
    throw invalid(
      `1 validation error detected: Value '${String(limit)}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100`,
    );
  const from = input.NextToken === undefined ? 0 : Number(input.NextToken);
  if (!Number.isInteger(from) || from < 0) throw invalid('The NextToken is invalid.');
  const next = from + limit;
  return { items: items.slice(from, next), ...(next < items.length ? { NextToken: String(next) } : {}) };
}

const byPrefix = (prefix: unknown) => (name: string) => typeof prefix !== 'string' || name.startsWith(prefix);

type Operation = (bus: LocalEventBus, input: Record<string, unknown>, catalog: Catalog) => Promise<unknown>;

const operations: Record<string, Operation> = {
  async PutEvents(bus, input, catalog) {
    if (input.Entries === undefined || input.Entries === null) throw required('entries');
    if (!Array.isArray(input.Entries)) throw malformed('Entries must be a list');
    return bus.putEvents(input.Entries.map((e) => catalog.localEntry(toEntry(e))));
  },
  async ListEventBuses(_bus, input, catalog) {
    const buses = catalog.all().filter((b) => byPrefix(input.NamePrefix)(b.name));
    const { items, NextToken } = page(buses, input);
    return { EventBuses: items.map((b) => ({ Name: b.name, Arn: catalog.busArn(b.name) })), NextToken };
  },
  async DescribeEventBus(_bus, input, catalog) {
    const bus = catalog.find(input.Name);
    return { Name: bus.name, Arn: catalog.busArn(bus.name) };
  },
  async ListRules(_bus, input, catalog) {
    const bus = catalog.find(input.EventBusName);
    const rules = bus.rules
      .filter((r) => byPrefix(input.NamePrefix)(r.name))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const { items, NextToken } = page(rules, input);
    return { Rules: items.map((r) => describeRule(catalog, bus, r)), NextToken };
  },
  async DescribeRule(_bus, input, catalog) {
    const { bus, rule } = catalog.rule(input, 'Name');
    return describeRule(catalog, bus, rule);
  },
  async ListTargetsByRule(_bus, input, catalog) {
    const { rule } = catalog.rule(input, 'Rule');
    return { Targets: [{ Id: 'Target0', Arn: catalog.functionArn(rule) }] };
  },
  async ListRuleNamesByTarget(_bus, input, catalog) {
    if (typeof input.TargetArn !== 'string' || input.TargetArn === '') throw required('targetArn');
    const bus = catalog.find(input.EventBusName);
    const names = bus.rules.filter((r) => catalog.functionArn(r) === input.TargetArn).map((r) => r.name);
    const { items, NextToken } = page(names.sort(), input);
    return { RuleNames: items, NextToken };
  },
  async TestEventPattern(_bus, input) {
    if (typeof input.EventPattern !== 'string') throw required('eventPattern');
    if (typeof input.Event !== 'string') throw required('event');
    const pattern = parseEventPattern(input.EventPattern);
    let event: unknown;
    try {
      event = JSON.parse(input.Event);
    } catch {
      throw invalid('Parameter Event is not valid.');
    }
    const mandatory = ['id', 'account', 'source', 'time', 'region', 'detail-type'];
    if (
      typeof event !== 'object' ||
      event === null ||
      Array.isArray(event) ||
      !mandatory.every((k) => k in event)
    ) {
      throw invalid('Parameter Event is not valid.');
    }
    return { Result: matchesEventPattern(pattern, event) };
  },
};

function describeRule(catalog: Catalog, bus: CatalogBus, rule: CatalogRule) {
  return {
    Name: rule.name,
    Arn: catalog.ruleArn(bus.name, rule.name),
    EventPattern: JSON.stringify(rule.pattern),
    State: 'ENABLED',
    Description: rule.description,
    EventBusName: bus.name,
  };
}

/**
 * EventBridge over `bus`. `buses`: what the listing operations answer (the deployed stage's, see
 * deployedBuses); without them only the default bus, with no rules, is known.
 */
export function eventBridgeRoute(
  bus: LocalEventBus,
  options: { buses?: readonly CatalogBus[] } = {},
): AwsRoute {
  const catalog = new Catalog(bus, options.buses ?? []);
  return async (request) => {
    const target = request.headers['x-amz-target'];
    if (request.method !== 'POST' || !target?.startsWith(TARGET_PREFIX)) return undefined;
    const name = target.slice(TARGET_PREFIX.length);
    const operation = Object.hasOwn(operations, name) ? operations[name] : undefined;
    if (!operation)
      return awsJsonError(
        'UnknownOperationException',
        `Operation ${name} is not supported by the local endpoint`,
      );
    let input: unknown;
    try {
      input = request.body.trim() === '' ? {} : JSON.parse(request.body);
    } catch {
      return awsJsonError('SerializationException', 'Start of structure or map found where not expected.');
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return awsJsonError('SerializationException', 'The request body must be a JSON object.');
    }
    try {
      return reply(200, await operation(bus, input as Record<string, unknown>, catalog));
    } catch (error) {
      if (error instanceof EventBridgeRequestError || error instanceof InvalidEventPatternError) {
        return awsJsonError(error.code, error.message);
      }
      return awsJsonError('InternalException', error instanceof Error ? error.message : String(error), 500);
    }
  };
}
