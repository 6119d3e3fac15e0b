/**
 * EventBridge on the local AWS endpoint: the awsJson1_1 protocol (POST / with
 * `X-Amz-Target: AWSEvents.<Operation>`), PutEvents and TestEventPattern. Errors carry the exception
 * name in `__type` and `x-amzn-errortype`, as the SDK and the CLI read them.
 */
import { randomUUID } from 'node:crypto';
import { InvalidEventPatternError } from '../../core/errors.ts';
import type { AwsResponse, AwsRoute } from '../aws/route.ts';
import { EventBridgeRequestError, type LocalEventBus, type PutEventsEntry } from './bus.ts';
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

const operations: Record<string, (bus: LocalEventBus, input: Record<string, unknown>) => Promise<unknown>> = {
  async PutEvents(bus, input) {
    if (input.Entries === undefined || input.Entries === null) throw required('entries');
    if (!Array.isArray(input.Entries)) throw malformed('Entries must be a list');
    return bus.putEvents(input.Entries.map(toEntry));
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

export function eventBridgeRoute(bus: LocalEventBus): AwsRoute {
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
      return reply(200, await operation(bus, input as Record<string, unknown>));
    } catch (error) {
      if (error instanceof EventBridgeRequestError || error instanceof InvalidEventPatternError) {
        return awsJsonError(error.code, error.message);
      }
      return awsJsonError('InternalException', error instanceof Error ? error.message : String(error), 500);
    }
  };
}
