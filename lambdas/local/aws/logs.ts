/**
 * CloudWatch Logs on the local AWS endpoint, over the agents' log files ($ECHO_DATA_DIR/logs/<role>.log,
 * written by lambdas/adapters/log/agent-files.logger.ts): each file is the log group the agent has in
 * AWS, `/echo/<stage>/agents/<role>`, with one stream named after the file. The awsJson1_1 protocol
 * (POST / with `X-Amz-Target: Logs_20140328.<Operation>`): DescribeLogGroups, DescribeLogStreams,
 * FilterLogEvents and GetLogEvents, which is what `aws logs tail [--follow]`, `filter-log-events`,
 * `get-log-events` and `echoctl logs --aws` call (the AWS CLI v2's `logs tail --follow` polls
 * FilterLogEvents every 5 seconds from the newest timestamp it has seen).
 *
 * An event is a line: its message the line as written, its timestamp the line's `timestamp` field (the
 * previous line's when it has none), its id the line's byte offset in the file (stable as the file
 * grows). Filter patterns: terms (all of them, `"quoted phrases"` too), `?term` (any of them), `-term`
 * (none of them), and JSON comparisons `{ $.field = value }` joined by `&&`; anything else is refused
 * with InvalidParameterException naming what is supported.
 */
import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AwsResponse, AwsRoute } from './route.ts';

const TARGET_PREFIX = 'Logs_20140328.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
/** AWS's bounds: a page of FilterLogEvents or GetLogEvents holds at most 10,000 events and 1 MB. */
const MAX_EVENTS = 10_000;
const MAX_PAGE_BYTES = 1024 * 1024;

export interface LogsRouteOptions {
  /** Where the agents' files are (`<dataDir>/logs`). */
  dir: string;
  stage: string;
  roles: readonly string[];
  region?: string;
  account?: string;
  /** When the groups were "created" (the runtime's start), for a file not written yet. */
  createdAt?: Date;
}

class LogsError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}
const invalidParameter = (message: string) => new LogsError('InvalidParameterException', message);

function reply(status: number, body: unknown, headers: Record<string, string> = {}): AwsResponse {
  return {
    status,
    headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': randomUUID(), ...headers },
    body: JSON.stringify(body),
  };
}

interface LogEvent {
  /** Byte offset of the line in its file. */
  offset: number;
  timestamp: number;
  message: string;
}

/** The file's lines as events (a line still being written, with no newline yet, waits). */
async function readEvents(file: string, fallbackTime: number): Promise<LogEvent[]> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch {
    return [];
  }
  const events: LogEvent[] = [];
  let last = fallbackTime;
  let start = 0;
  for (let end = data.indexOf(10); end >= 0; start = end + 1, end = data.indexOf(10, start)) {
    const message = data.subarray(start, end).toString('utf8');
    if (!message.trim()) continue;
    let at = Number.NaN;
    try {
      const stamp = (JSON.parse(message) as { timestamp?: unknown }).timestamp;
      if (typeof stamp === 'string' || typeof stamp === 'number') at = new Date(stamp).getTime();
    } catch {
      // not JSON: the previous line's time
    }
    if (!Number.isNaN(at)) last = at;
    events.push({ offset: start, timestamp: last, message });
  }
  return events;
}

/** A filter pattern -> a test on an event's message. */
export function compileFilterPattern(pattern: string | undefined): (message: string) => boolean {
  const text = (pattern ?? '').trim();
  if (text === '' || text === '""') return () => true;
  if (text.startsWith('{')) return jsonFilter(text);
  if (text.startsWith('[')) throw unsupported(text);
  const all: string[] = [];
  const any: string[] = [];
  const none: string[] = [];
  for (const m of text.matchAll(/([?-]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))/g)) {
    const term = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
    (m[1] === '?' ? any : m[1] === '-' ? none : all).push(term);
  }
  return (message) =>
    all.every((t) => message.includes(t)) &&
    (any.length === 0 || any.some((t) => message.includes(t))) &&
    !none.some((t) => message.includes(t));
}

const unsupported = (pattern: string) =>
  invalidParameter(
    `Invalid filter pattern ${pattern}: the local endpoint supports terms ("quoted phrases" too), ?term, -term and JSON comparisons { $.field = value } joined by &&`,
  );

/** `{ $.a.b = "x" && $.n >= 3 }`: each comparison must hold; `*` at the end of a string matches a prefix. */
function jsonFilter(pattern: string): (message: string) => boolean {
  const body = /^\{(.*)\}$/s.exec(pattern)?.[1];
  if (body === undefined) throw unsupported(pattern);
  const tests = body.split('&&').map((part) => {
    const m =
      /^\s*\$((?:\.[\w-]+)+)\s*(=|!=|>=|<=|>|<)\s*(?:"((?:[^"\\]|\\.)*)"|(-?\d+(?:\.\d+)?)|(\S+?))\s*$/.exec(
        part,
      );
    if (!m) throw unsupported(pattern);
    const path = m[1]!.slice(1).split('.');
    const op = m[2]!;
    const wanted = m[3] ?? m[5];
    const number = m[4] === undefined ? undefined : Number(m[4]);
    return (record: unknown) => {
      let value: unknown = record;
      for (const key of path) value = (value as Record<string, unknown> | null)?.[key];
      if (number !== undefined) {
        if (typeof value !== 'number') return op === '!=';
        return {
          '=': value === number,
          '!=': value !== number,
          '>': value > number,
          '<': value < number,
          '>=': value >= number,
          '<=': value <= number,
        }[op]!;
      }
      if (op !== '=' && op !== '!=') throw unsupported(pattern);
      const text =
        value === undefined || value === null
          ? undefined
          : typeof value === 'string'
            ? value
            : JSON.stringify(value);
      const equal =
        text !== undefined &&
        (wanted!.endsWith('*') ? text.startsWith(wanted!.slice(0, -1)) : text === wanted);
      return op === '=' ? equal : !equal;
    };
  });
  return (message) => {
    let record: unknown;
    try {
      record = JSON.parse(message);
    } catch {
      return false;
    }
    return tests.every((t) => t(record));
  };
}

const int = (input: Record<string, unknown>, name: string, min: number, max: number): number | undefined => {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw invalidParameter(
      `1 validation error detected: Value '${String(v)}' at '${name}' failed to satisfy constraint: Member must have value between ${min} and ${max}`,
    );
  return v;
};

export function cloudWatchLogsRoute(options: LogsRouteOptions): AwsRoute {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '000000000000';
  const created = (options.createdAt ?? new Date()).getTime();
  const groups = new Map(
    options.roles.map((role) => [
      `/echo/${options.stage}/agents/${role}`,
      { role, file: join(options.dir, `${role}.log`) },
    ]),
  );
  const groupArn = (name: string) => `arn:aws:logs:${region}:${account}:log-group:${name}`;
  const streamOf = (role: string) => `${role}.log`;

  /** The group an input names (logGroupName, or logGroupIdentifier: a name or an ARN). */
  const groupOf = (input: Record<string, unknown>) => {
    const raw = input.logGroupName ?? input.logGroupIdentifier;
    if (typeof raw !== 'string' || raw === '')
      throw invalidParameter('Either logGroupName or logGroupIdentifier must be specified');
    const name = raw.startsWith('arn:')
      ? raw.replace(/^arn:[^:]*:logs:[^:]*:[^:]*:log-group:/, '').replace(/:\*$/, '')
      : raw;
    const group = groups.get(name);
    if (!group) throw new LogsError('ResourceNotFoundException', 'The specified log group does not exist.');
    return { name, ...group };
  };
  const fileInfo = (file: string) =>
    stat(file).then(
      (s) => ({ size: s.size, created: Math.min(s.birthtimeMs || s.ctimeMs, created) }),
      () => ({ size: 0, created }),
    );

  const operations: Record<string, (input: Record<string, unknown>) => Promise<unknown>> = {
    async DescribeLogGroups(input) {
      const limit = int(input, 'limit', 1, 50) ?? 50;
      const prefix = typeof input.logGroupNamePrefix === 'string' ? input.logGroupNamePrefix : '';
      const pattern = typeof input.logGroupNamePattern === 'string' ? input.logGroupNamePattern : '';
      const names = [...groups.keys()]
        .filter((n) => n.startsWith(prefix) && n.toLowerCase().includes(pattern.toLowerCase()))
        .sort();
      const from = typeof input.nextToken === 'string' ? Number(input.nextToken) : 0;
      const page = names.slice(from, from + limit);
      const logGroups = await Promise.all(
        page.map(async (name) => {
          const info = await fileInfo(groups.get(name)!.file);
          return {
            logGroupName: name,
            creationTime: info.created,
            metricFilterCount: 0,
            arn: `${groupArn(name)}:*`,
            storedBytes: info.size,
            logGroupClass: 'STANDARD',
            logGroupArn: groupArn(name),
          };
        }),
      );
      return { logGroups, ...(from + limit < names.length ? { nextToken: String(from + limit) } : {}) };
    },

    async DescribeLogStreams(input) {
      const group = groupOf(input);
      const events = await readEvents(group.file, created);
      const info = await fileInfo(group.file);
      const name = streamOf(group.role);
      const prefix = typeof input.logStreamNamePrefix === 'string' ? input.logStreamNamePrefix : '';
      if (!events.length || !name.startsWith(prefix)) return { logStreams: [] };
      return {
        logStreams: [
          {
            logStreamName: name,
            creationTime: info.created,
            firstEventTimestamp: events[0]!.timestamp,
            lastEventTimestamp: events.at(-1)!.timestamp,
            lastIngestionTime: events.at(-1)!.timestamp,
            arn: `${groupArn(group.name)}:log-stream:${name}`,
            storedBytes: 0,
          },
        ],
      };
    },

    async FilterLogEvents(input) {
      const group = groupOf(input);
      const name = streamOf(group.role);
      const names = input.logStreamNames;
      const prefix = input.logStreamNamePrefix;
      if (Array.isArray(names) && typeof prefix === 'string')
        throw invalidParameter('logStreamNames and logStreamNamePrefix are mutually exclusive');
      const streamWanted =
        (!Array.isArray(names) || names.includes(name)) &&
        (typeof prefix !== 'string' || name.startsWith(prefix));
      const start = int(input, 'startTime', 0, Number.MAX_SAFE_INTEGER);
      const end = int(input, 'endTime', 0, Number.MAX_SAFE_INTEGER);
      const limit = int(input, 'limit', 1, MAX_EVENTS) ?? MAX_EVENTS;
      const matches = compileFilterPattern(
        typeof input.filterPattern === 'string' ? input.filterPattern : undefined,
      );
      const from = typeof input.nextToken === 'string' ? Number(input.nextToken) : 0;
      if (!Number.isInteger(from) || from < 0) throw invalidParameter('The specified nextToken is invalid.');
      const events = streamWanted ? await readEvents(group.file, created) : [];
      const out: Record<string, unknown>[] = [];
      let bytes = 0;
      let next: number | undefined;
      for (const e of events) {
        if (e.offset < from) continue;
        if ((start !== undefined && e.timestamp < start) || (end !== undefined && e.timestamp > end))
          continue;
        if (!matches(e.message)) continue;
        if (out.length >= limit || (out.length > 0 && bytes + e.message.length > MAX_PAGE_BYTES)) {
          next = e.offset;
          break;
        }
        bytes += e.message.length;
        out.push({
          logStreamName: name,
          timestamp: e.timestamp,
          message: e.message,
          ingestionTime: e.timestamp,
          eventId: String(e.offset).padStart(20, '0'),
        });
      }
      return {
        events: out,
        searchedLogStreams: streamWanted
          ? [{ logStreamName: name, searchedCompletely: next === undefined }]
          : [],
        ...(next !== undefined ? { nextToken: String(next) } : {}),
      };
    },

    async GetLogEvents(input) {
      const group = groupOf(input);
      if (typeof input.logStreamName !== 'string' || input.logStreamName === '')
        throw invalidParameter(
          "1 validation error detected: Value null at 'logStreamName' failed to satisfy constraint: Member must not be null",
        );
      if (input.logStreamName !== streamOf(group.role))
        throw new LogsError('ResourceNotFoundException', 'The specified log stream does not exist.');
      const start = int(input, 'startTime', 0, Number.MAX_SAFE_INTEGER);
      const end = int(input, 'endTime', 0, Number.MAX_SAFE_INTEGER);
      const limit = int(input, 'limit', 1, MAX_EVENTS) ?? MAX_EVENTS;
      const all = (await readEvents(group.file, created)).filter(
        (e) => (start === undefined || e.timestamp >= start) && (end === undefined || e.timestamp < end),
      );
      const token = typeof input.nextToken === 'string' ? /^([fb])\/(\d+)$/.exec(input.nextToken) : undefined;
      if (typeof input.nextToken === 'string' && !token)
        throw invalidParameter('The specified nextToken is invalid.');
      let page: LogEvent[];
      if (token?.[1] === 'f' || (!token && input.startFromHead === true)) {
        const from = token ? Number(token[2]) : 0;
        page = all.filter((e) => e.offset >= from).slice(0, limit);
      } else {
        const before = token ? Number(token[2]) : Number.POSITIVE_INFINITY;
        page = all.filter((e) => e.offset < before).slice(-limit);
      }
      const fileEnd = all.length ? all.at(-1)!.offset + 1 : 0;
      const forward = page.length ? page.at(-1)!.offset + 1 : token?.[1] === 'f' ? Number(token[2]) : fileEnd;
      const backward = page.length ? page[0]!.offset : token?.[1] === 'b' ? Number(token[2]) : 0;
      return {
        events: page.map((e) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.timestamp })),
        nextForwardToken: `f/${String(forward).padStart(20, '0')}`,
        nextBackwardToken: `b/${String(backward).padStart(20, '0')}`,
      };
    },
  };

  return async (request) => {
    const target = request.headers['x-amz-target'];
    if (request.method !== 'POST' || !target?.startsWith(TARGET_PREFIX)) return undefined;
    const name = target.slice(TARGET_PREFIX.length);
    const operation = Object.hasOwn(operations, name) ? operations[name] : undefined;
    const error = (type: string, message: string, status = 400) =>
      reply(status, { __type: type, message }, { 'x-amzn-errortype': type });
    if (!operation)
      return error(
        'UnknownOperationException',
        `Operation ${name} is not supported by the local endpoint (it serves DescribeLogGroups, DescribeLogStreams, FilterLogEvents and GetLogEvents over the agents' log files)`,
      );
    let input: unknown;
    try {
      input = request.body.trim() === '' ? {} : JSON.parse(request.body);
    } catch {
      return error('SerializationException', 'Start of structure or map found where not expected.');
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      return error('SerializationException', 'The request body must be a JSON object.');
    try {
      return reply(200, await operation(input as Record<string, unknown>));
    } catch (e) {
      if (e instanceof LogsError) return error(e.type, e.message);
      return error('ServiceUnavailableException', e instanceof Error ? e.message : String(e), 500);
    }
  };
}
