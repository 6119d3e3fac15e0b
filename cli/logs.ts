/**
 * `echoctl logs <role> [--follow] [--since 10m] [--json]`: one agent's structured log lines.
 * Locally they are the files the runtime writes (`$ECHO_DATA_DIR/logs/<role>.log`, one JSON line
 * each); in AWS (`--aws`, or ECHO_STAGE set to a deployed stage with a Region) they are the agent's
 * log group `/echo/<stage>/agents/<role>`, read with CloudWatch Logs FilterLogEvents (`--follow`
 * polls). Pretty by default (time, level, message, the other fields); `--json` one JSON object a line.
 */
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { type Command, InvalidArgumentError } from 'commander';
import { isRole, ROLES } from '../lambdas/core/roles.ts';
import { sleep } from './sse.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** A role that is not one of the nine: the message names it and lists the valid ones. */
export class UnknownRoleError extends Error {
  constructor(role: string) {
    super(`unknown role "${role}": the agents are ${ROLES.join(', ')}`);
    this.name = 'UnknownRoleError';
  }
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: a duration back from `now` (30s, 10m, 2h, 1d) or an ISO time; the instant in ms. */
export function parseSince(value: string, now: Date = new Date()): number {
  const duration = /^(\d+)([smhd])$/.exec(value.trim());
  if (duration) return now.getTime() - Number(duration[1]) * UNITS[duration[2]!]!;
  const at = /^\d{4}-\d{2}-\d{2}/.test(value.trim()) ? Date.parse(value.trim()) : Number.NaN;
  if (Number.isNaN(at))
    throw new InvalidArgumentError(
      `"${value}" is neither a duration (30s, 10m, 2h, 1d) nor an ISO time (2024-05-01T12:00:00Z)`,
    );
  return at;
}

/** One log line as the command sees it: the parsed object (or the raw text), and its time. */
interface Line {
  record: Record<string, unknown> | undefined;
  raw: string;
  at: number | undefined;
}

function parseLine(raw: string, fallbackAt?: number): Line {
  let record: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
      record = parsed as Record<string, unknown>;
  } catch {
    // not JSON (a Lambda platform line such as START or REPORT): kept as text
  }
  const stamp = record?.timestamp;
  const at = typeof stamp === 'string' || typeof stamp === 'number' ? new Date(stamp).getTime() : Number.NaN;
  return { record, raw, at: Number.isNaN(at) ? fallbackAt : at };
}

/** Fields not worth a column in the pretty form (they are on every line, or Lambda's bookkeeping). */
const QUIET = new Set([
  'level',
  'timestamp',
  'message',
  'service',
  'role',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'sampling_rate',
  'xray_trace_id',
]);

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function formatLogLine(line: Line, json: boolean): string {
  const iso = line.at === undefined ? undefined : new Date(line.at).toISOString();
  if (json)
    return line.record ? JSON.stringify(line.record) : JSON.stringify({ timestamp: iso, message: line.raw });
  const when = iso ? iso.slice(0, 23).replace('T', ' ') : ''.padEnd(23);
  if (!line.record) return `${when}  ${''.padEnd(5)}  ${line.raw.trimEnd()}`;
  const r = line.record;
  const level = String(r.level ?? '').toUpperCase();
  const fields = Object.entries(r)
    .filter(([k, v]) => !QUIET.has(k) && v !== undefined && v !== null)
    .map(
      ([k, v]) =>
        `${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(clip(v, 120)) : clip(v, 120)) : clip(JSON.stringify(v), 120)}`,
    );
  return `${when}  ${level.padEnd(5)}  ${String(r.message ?? '')}${fields.length ? `  ${fields.join(' ')}` : ''}`;
}

interface LogsOptions {
  role: string;
  since: number | undefined;
  follow: boolean;
  json: boolean;
  signal: AbortSignal;
  write(text: string): void;
  note(text: string): void;
}

/** The local files: prints what is there (from --since), then with --follow what gets appended. */
async function localLogs(o: LogsOptions, dataDir: string, pollMs: number): Promise<void> {
  const dir = join(dataDir, 'logs');
  const file = join(dir, `${o.role}.log`);
  const dirExists = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!dirExists && !o.follow)
    throw new Error(
      `no agent logs in ${dir}: run echoctl where \`npm start\` runs (or set ECHO_DATA_DIR to its data directory); for AWS add --aws`,
    );
  let offset = 0;
  let tail = '';
  let told = false;
  const emit = (raw: string) => {
    if (!raw.trim()) return;
    const line = parseLine(raw);
    if (o.since !== undefined && line.at !== undefined && line.at < o.since) return;
    o.write(`${formatLogLine(line, o.json)}\n`);
  };
  const readMore = async (): Promise<boolean> => {
    const size = await stat(file).then(
      (s) => s.size,
      () => undefined,
    );
    if (size === undefined) return false;
    if (size < offset) {
      o.note(`${file} was truncated; reading it from the start`);
      offset = 0;
      tail = '';
    }
    if (size === offset) return true;
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(64 * 1024);
      while (offset < size) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - offset), offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        tail += buffer.subarray(0, bytesRead).toString('utf8');
        const lines = tail.split('\n');
        tail = lines.pop() ?? '';
        for (const raw of lines) emit(raw);
      }
    } finally {
      await handle.close();
    }
    return true;
  };
  const found = await readMore();
  if (!found && !told) {
    told = true;
    o.note(
      `no lines from ${o.role} yet (${file})${o.follow ? '; waiting for them' : `: send it something, e.g. echoctl send --to ${o.role} --subject "status"`}`,
    );
  }
  if (!o.follow) return;
  while (!o.signal.aborted) {
    await sleep(pollMs, o.signal);
    if (o.signal.aborted) break;
    await readMore();
  }
}

/** How far back each --follow poll of CloudWatch Logs looks again, for events ingested late. */
const FOLLOW_LAG_MS = 30_000;

/** CloudWatch Logs: FilterLogEvents on the agent's log group, page by page; --follow polls. */
async function cloudWatchLogs(
  o: LogsOptions,
  target: { stage: string; region: string; endpoint: string | undefined },
  pollMs: number,
): Promise<void> {
  const logGroupName = `/echo/${target.stage}/agents/${o.role}`;
  const client = new CloudWatchLogsClient({
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
  });
  let startTime = o.since ?? (o.follow ? Date.now() - 10 * 60_000 : undefined);
  /** Events printed, by id, with their time: a poll looks back FOLLOW_LAG_MS and skips these. */
  const seen = new Map<string, number>();
  try {
    for (;;) {
      let nextToken: string | undefined;
      do {
        const page = await client.send(
          new FilterLogEventsCommand({
            logGroupName,
            ...(startTime !== undefined ? { startTime } : {}),
            ...(nextToken ? { nextToken } : {}),
          }),
          { abortSignal: o.signal },
        );
        for (const e of page.events ?? []) {
          if (e.eventId) {
            if (seen.has(e.eventId)) continue;
            seen.set(e.eventId, e.timestamp ?? 0);
          }
          o.write(`${formatLogLine(parseLine((e.message ?? '').trimEnd(), e.timestamp), o.json)}\n`);
        }
        nextToken = page.nextToken;
      } while (nextToken && !o.signal.aborted);
      if (!o.follow || o.signal.aborted) return;
      // Events reach CloudWatch late and out of order: look back a little, and skip what was printed.
      let newest = startTime ?? 0;
      for (const ts of seen.values()) newest = Math.max(newest, ts);
      startTime = Math.max(startTime ?? 0, newest - FOLLOW_LAG_MS);
      for (const [id, ts] of seen) if (ts < startTime) seen.delete(id);
      await sleep(pollMs, o.signal);
      if (o.signal.aborted) return;
    }
  } catch (error) {
    if (o.signal.aborted) return;
    const name = error instanceof Error ? error.name : '';
    const message = error instanceof Error ? error.message : String(error);
    if (name === 'ResourceNotFoundException')
      throw new Error(
        `log group ${logGroupName} not found in ${target.region}: is stage "${target.stage}" deployed there? (set --stage or ECHO_STAGE, and AWS_REGION)`,
      );
    if (/credential/i.test(name) || /credential/i.test(message))
      throw new Error(`CloudWatch Logs: ${message}: configure AWS credentials (aws configure, AWS_PROFILE)`);
    throw new Error(
      `CloudWatch Logs (${logGroupName} in ${target.region}): ${name ? `${name}: ` : ''}${message}`,
    );
  } finally {
    client.destroy();
  }
}

/** AWS when asked (--aws), or when ECHO_STAGE names a deployed stage and a Region is set; else local. */
export function logsTarget(
  o: { aws?: boolean; local?: boolean; stage?: string; region?: string },
  env: Env,
):
  | { kind: 'local'; dataDir: string }
  | { kind: 'aws'; stage: string; region: string; endpoint: string | undefined } {
  const region = o.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined);
  const stage = o.stage ?? (env.ECHO_STAGE || undefined);
  const aws = !o.local && (o.aws || (stage !== undefined && stage !== 'local' && region !== undefined));
  if (!aws) return { kind: 'local', dataDir: env.ECHO_DATA_DIR || '.echo' };
  if (!region)
    throw new Error('no AWS Region: set AWS_REGION (or --region) to read CloudWatch Logs, or drop --aws');
  return {
    kind: 'aws',
    // --stage is taken as given (--aws --stage local reads the local endpoint's log groups through
    // ECHO_AWS_ENDPOINT); ECHO_STAGE=local, the local runtime's own, means no deployed stage: dev.
    stage: o.stage ?? (stage && stage !== 'local' ? stage : 'dev'),
    region,
    endpoint: env.ECHO_AWS_ENDPOINT || undefined,
  };
}

function pollInterval(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0.05 || n > 600)
    throw new InvalidArgumentError('must be a number of seconds from 0.05 to 600');
  return n;
}

export function registerLogs(program: Command): void {
  program
    .command('logs <role>')
    .description(
      'one agent’s log lines: locally $ECHO_DATA_DIR/logs/<role>.log; in AWS its log group /echo/<stage>/agents/<role>',
    )
    .option('--since <when>', 'only lines from then on: 30s, 10m, 2h, 1d, or an ISO time', (v) =>
      parseSince(v),
    )
    .option('-f, --follow', 'keep printing new lines (Ctrl-C to stop)')
    .option('--json', 'one JSON object a line, as logged')
    .option(
      '--aws',
      'read CloudWatch Logs (default when ECHO_STAGE names a deployed stage and AWS_REGION is set)',
    )
    .option('--local', 'read the local files even when ECHO_STAGE and AWS_REGION are set')
    .option('--stage <stage>', 'the deployed stage (default ECHO_STAGE, else dev)')
    .option('--region <region>', 'the AWS Region (default AWS_REGION)')
    .option('--interval <seconds>', 'with --follow, how often to look for new lines', pollInterval)
    .action(
      async (
        role: string,
        o: {
          since?: number;
          follow?: boolean;
          json?: boolean;
          aws?: boolean;
          local?: boolean;
          stage?: string;
          region?: string;
          interval?: number;
        },
      ) => {
        if (!isRole(role)) throw new UnknownRoleError(role);
        const target = logsTarget(o, process.env);
        const controller = new AbortController();
        const stop = () => controller.abort();
        process.once('SIGINT', stop).once('SIGTERM', stop);
        const options: LogsOptions = {
          role,
          since: o.since,
          follow: Boolean(o.follow),
          json: Boolean(o.json),
          signal: controller.signal,
          write: (text) => void process.stdout.write(text),
          note: (text) => void process.stderr.write(`echoctl logs: ${text}\n`),
        };
        try {
          if (target.kind === 'local') await localLogs(options, target.dataDir, (o.interval ?? 0.25) * 1000);
          else await cloudWatchLogs(options, target, (o.interval ?? 2) * 1000);
        } finally {
          process.off('SIGINT', stop).off('SIGTERM', stop);
        }
      },
    );
}
