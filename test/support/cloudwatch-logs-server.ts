/**
 * A CloudWatch Logs endpoint on loopback that speaks the real wire protocol (awsJson1_1: `POST /`,
 * `x-amz-target: Logs_20140328.FilterLogEvents`), so the real SDK client in `echoctl logs --aws` runs
 * against it. It holds log groups of events, answers FilterLogEvents with startTime/endTime and
 * nextToken paging (small pages, so paging is exercised), ResourceNotFoundException for an unknown
 * group, and records every request.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredLogEvent {
  timestamp: number;
  message: string;
  logStreamName?: string;
}

export interface CloudWatchLogsServer {
  endpoint: string;
  /** Every request: the operation (from x-amz-target) and its JSON input. */
  requests: { target: string; input: any }[];
  /** Adds events to a log group (creating it). */
  put(logGroupName: string, events: StoredLogEvent[]): void;
  close(): Promise<void>;
}

export async function startCloudWatchLogsServer(
  options: { pageSize?: number } = {},
): Promise<CloudWatchLogsServer> {
  const pageSize = options.pageSize ?? 2;
  const groups = new Map<string, (StoredLogEvent & { eventId: string; ingestionTime: number })[]>();
  const requests: CloudWatchLogsServer['requests'] = [];
  let nextId = 1;

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(body));
    };
    const target = String(req.headers['x-amz-target'] ?? '');
    let input: any;
    try {
      input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    } catch {
      return send(400, { __type: 'SerializationException', message: 'body is not JSON' });
    }
    requests.push({ target, input });
    if (req.method !== 'POST' || target !== 'Logs_20140328.FilterLogEvents')
      return send(400, { __type: 'UnknownOperationException', message: `not served here: ${target}` });
    const events = groups.get(input.logGroupName);
    if (!events)
      return send(400, {
        __type: 'ResourceNotFoundException',
        message: 'The specified log group does not exist.',
      });
    const matching = events
      .filter((e) => input.startTime === undefined || e.timestamp >= input.startTime)
      .filter((e) => input.endTime === undefined || e.timestamp <= input.endTime)
      .sort((a, b) => a.timestamp - b.timestamp || Number(a.eventId) - Number(b.eventId));
    const from = input.nextToken ? Number(input.nextToken) : 0;
    const page = matching.slice(from, from + pageSize);
    send(200, {
      events: page.map((e) => ({
        logStreamName: e.logStreamName ?? '2024/01/01/[$LATEST]abc',
        timestamp: e.timestamp,
        message: e.message,
        ingestionTime: e.ingestionTime,
        eventId: e.eventId,
      })),
      searchedLogStreams: [],
      ...(from + pageSize < matching.length ? { nextToken: String(from + pageSize) } : {}),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    put(logGroupName, events) {
      const list = groups.get(logGroupName) ?? [];
      for (const e of events)
        list.push({ ...e, eventId: String(nextId++).padStart(12, '0'), ingestionTime: e.timestamp + 5 });
      groups.set(logGroupName, list);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
