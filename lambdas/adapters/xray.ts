/**
 * X-Ray in Lambda, without the X-Ray SDK: each invocation a `## handler` subsegment of the function's
 * segment, each AWS SDK call (its request carrying the trace header on) and each model call a
 * subsegment of the invocation's, sent to the X-Ray daemon Lambda runs beside the function
 * (`AWS_XRAY_DAEMON_ADDRESS`) as the segment documents X-Ray documents
 * (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html), one UDP
 * datagram each: the header `{"format":"json","version":1}`, a newline, the document.
 *
 * Why not the X-Ray SDK (through Powertools Tracer): it is in maintenance mode since 2026-02-25 and
 * out of support from 2027-02-25, and it was 117 KB of every bundle and a sixth of its load time;
 * what this project records of a trace fits in this module.
 *
 * Tracing is on for an invocation when Lambda gives it a sampled trace header (the invocation store
 * of the Node.js runtime, else `_X_AMZN_TRACE_ID`) and the daemon's address; off everywhere else
 * (locally, in tests), where every method is a no-op. The invocation's subsegment is found through
 * an AsyncLocalStorage, so concurrent invocations in one process (Lambda Managed Instances) keep
 * their own. Nothing here ever fails the work it records: a datagram that cannot be sent is lost.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';

/** One subsegment being recorded. */
export interface XraySpan {
  annotate(key: string, value: string | number | boolean): void;
  metadata(namespace: string, key: string, value: unknown): void;
  /** Records the error as the subsegment's cause and marks it a fault. */
  error(error: unknown): void;
  close(): void;
}

export interface XrayTracer {
  /** Runs one invocation in a `## handler` subsegment (ColdStart and Service annotated, an error its cause). */
  invocation<R>(fn: () => Promise<R>): Promise<R>;
  /** A subsegment of the current invocation's, or undefined when this invocation is not traced. */
  span(name: string): XraySpan | undefined;
  /** Adds a middleware that records each call of this AWS SDK client as a subsegment. */
  captureClient<C>(client: C): C;
  /** Resolves when every document sent so far has left the process. */
  flush(): Promise<void>;
}

export interface XrayOptions {
  serviceName: string;
  env?: NodeJS.ProcessEnv;
  /** Where to read the invocation's trace header first; the Node.js runtime's invocation store. */
  traceHeader?: () => string | undefined;
}

/** X-Ray's limit on one segment document. */
export const MAX_DOCUMENT_BYTES = 64 * 1024;
const HEADER = '{"format":"json","version":1}\n';
const MAX_STACK_FRAMES = 10;

interface TraceContext {
  root: string;
  parent: string;
  /** The header's other fields (`;Lineage=...`, which Lambda's recursive-loop detection reads), passed on as they came. */
  rest: string;
}

/** `Root=1-...;Parent=...;Sampled=1[;...]`: the root and parent of a sampled request, else undefined. */
export function parseTraceHeader(header: string | undefined): TraceContext | undefined {
  if (!header) return undefined;
  const fields = header.split(';').map((part) => {
    const eq = part.indexOf('=');
    return [part.slice(0, eq).trim(), part.slice(eq + 1).trim()] as const;
  });
  const field = (key: string) => fields.find(([k]) => k === key)?.[1];
  const root = field('Root');
  const parent = field('Parent');
  if (!root || !parent || field('Sampled') !== '1') return undefined;
  const rest = fields
    .filter(([k]) => k && !['Root', 'Parent', 'Sampled'].includes(k))
    .map(([k, v]) => `;${k}=${v}`)
    .join('');
  return { root, parent, rest };
}

/** `host:port`, or the UDP one of `udp:host:port tcp:host:port`. */
export function parseDaemonAddress(value: string | undefined): { host: string; port: number } | undefined {
  if (!value) return undefined;
  const parts = value.trim().split(/\s+/);
  const udp =
    parts.find((p) => p.startsWith('udp:'))?.slice(4) ?? (parts.length === 1 ? parts[0] : undefined);
  const match = udp?.match(/^\[?([^\]]+?)\]?:(\d+)$/);
  if (!match) return undefined;
  const port = Number(match[2]);
  return port > 0 && port < 65536 ? { host: match[1]!, port } : undefined;
}

/** X-Ray names: letters, digits, spaces and `_ . : / % & # = + \ - @`, at most 200. */
export const xrayName = (name: string) => name.replace(/[^\p{L}\p{N}\s_.:/%&#=+\\\-@]/gu, '_').slice(0, 200);
/** Annotation keys: letters, digits and underscores. */
const annotationKey = (key: string) => key.replace(/[^A-Za-z0-9_]/g, '_');

const newId = () => randomBytes(8).toString('hex');
const seconds = () => Date.now() / 1000;

interface Document {
  id: string;
  name: string;
  trace_id: string;
  parent_id: string;
  type: 'subsegment';
  start_time: number;
  end_time?: number;
  namespace?: 'aws' | 'remote';
  annotations?: Record<string, string | number | boolean>;
  metadata?: Record<string, Record<string, unknown>>;
  aws?: { operation: string; region?: string; request_id?: string; retries?: number };
  http?: { response: { status: number } };
  error?: true;
  throttle?: true;
  fault?: true;
  cause?: { working_directory: string; exceptions: Exception[] };
}

interface Exception {
  id: string;
  message: string;
  type: string;
  remote?: true;
  stack?: { path: string; line: number | null; label: string }[];
}

function exceptionOf(error: unknown): Exception {
  const e = error instanceof Error ? error : new Error(String(error));
  const stack = (e.stack ?? '')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().match(/^at (?:(.+?) \()?(.+?)(?::(\d+))?(?::\d+)?\)?$/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .slice(0, MAX_STACK_FRAMES)
    .map((m) => ({ path: m[2]!, line: m[3] ? Number(m[3]) : null, label: m[1] ?? 'anonymous' }));
  return { id: newId(), message: e.message, type: e.name, stack };
}

/** The document as sent: within X-Ray's 64 KB, shedding the metadata, then the stacks, if it must. */
export function encodeDocument(doc: Document): Buffer | undefined {
  let body = JSON.stringify(doc);
  if (Buffer.byteLength(HEADER + body) > MAX_DOCUMENT_BYTES && doc.metadata) {
    body = JSON.stringify({ ...doc, metadata: { echo: { truncated: 'metadata over 64 KB, dropped' } } });
  }
  if (Buffer.byteLength(HEADER + body) > MAX_DOCUMENT_BYTES && doc.cause) {
    const exceptions = doc.cause.exceptions.map(({ stack: _s, ...e }) => ({
      ...e,
      message: e.message.slice(0, 4096),
    }));
    body = JSON.stringify({ ...doc, metadata: undefined, cause: { ...doc.cause, exceptions } });
  }
  const datagram = Buffer.from(HEADER + body);
  return datagram.length <= MAX_DOCUMENT_BYTES ? datagram : undefined;
}

/** What an AWS SDK v3 client offers a middleware (structurally). */
interface SdkClient {
  middlewareStack: {
    add(
      middleware: (
        next: (args: SdkArgs) => Promise<SdkOutput>,
        context: SdkContext,
      ) => (args: SdkArgs) => Promise<SdkOutput>,
      options: { step: 'build'; priority: 'high'; name: string; override?: boolean },
    ): void;
  };
  config: { region?: () => Promise<string> };
}
/** At the build step: the HTTP request, before signing and the retries. */
interface SdkArgs {
  request?: { headers?: Record<string, string> };
}
interface SdkContext {
  clientName?: string;
  commandName?: string;
}
interface SdkMetadata {
  httpStatusCode?: number;
  requestId?: string;
  attempts?: number;
}
interface SdkOutput {
  output: { $metadata?: SdkMetadata };
}

export function createXrayTracer(options: XrayOptions): XrayTracer {
  const env = options.env ?? process.env;
  const current = new AsyncLocalStorage<{ trace: TraceContext; id: string }>();
  const pending = new Set<Promise<void>>();
  let socket: Socket | undefined;
  let invocations = 0;

  function send(doc: Document): void {
    const daemon = parseDaemonAddress(env.AWS_XRAY_DAEMON_ADDRESS);
    const datagram = daemon && encodeDocument(doc);
    if (!daemon || !datagram) return;
    socket ??= createSocket(isIP(daemon.host) === 6 ? 'udp6' : 'udp4').unref();
    const sent = new Promise<void>((resolve) => {
      socket!.send(datagram, daemon.port, daemon.host, () => resolve());
    });
    pending.add(sent);
    void sent.then(() => pending.delete(sent));
  }

  function open(trace: TraceContext, parentId: string, name: string): { doc: Document; span: XraySpan } {
    const doc: Document = {
      id: newId(),
      name: xrayName(name),
      trace_id: trace.root,
      parent_id: parentId,
      type: 'subsegment',
      start_time: seconds(),
    };
    const span: XraySpan = {
      annotate(key, value) {
        doc.annotations = { ...doc.annotations, [annotationKey(key)]: value };
      },
      metadata(namespace, key, value) {
        doc.metadata = { ...doc.metadata, [namespace]: { ...doc.metadata?.[namespace], [key]: value } };
      },
      error(error) {
        doc.fault = true;
        doc.cause = { working_directory: process.cwd(), exceptions: [exceptionOf(error)] };
      },
      close() {
        if (doc.end_time !== undefined) return;
        doc.end_time = seconds();
        send(doc);
      },
    };
    return { doc, span };
  }

  function span(name: string): XraySpan | undefined {
    const parent = current.getStore();
    return parent ? open(parent.trace, parent.id, name).span : undefined;
  }

  return {
    async invocation(fn) {
      const header = options.traceHeader?.() ?? env._X_AMZN_TRACE_ID;
      const trace = parseDaemonAddress(env.AWS_XRAY_DAEMON_ADDRESS) ? parseTraceHeader(header) : undefined;
      invocations += 1;
      if (!trace) return fn();
      const { doc, span: handler } = open(trace, trace.parent, '## handler');
      handler.annotate(
        'ColdStart',
        invocations === 1 && env.AWS_LAMBDA_INITIALIZATION_TYPE !== 'provisioned-concurrency',
      );
      handler.annotate('Service', options.serviceName);
      try {
        return await current.run({ trace, id: doc.id }, fn);
      } catch (error) {
        handler.error(error);
        throw error;
      } finally {
        handler.close();
      }
    },

    span,

    captureClient(client) {
      const sdk = client as unknown as SdkClient;
      sdk.middlewareStack.add(
        (next, context) => async (args) => {
          const parent = current.getStore();
          if (!parent) return next(args);
          // named as the X-Ray SDK names them: the client's name without "Client" (EventBridge, RDSData)
          const { doc, span: call } = open(
            parent.trace,
            parent.id,
            context.clientName?.replace(/Client$/, '') ?? 'AWS',
          );
          doc.namespace = 'aws';
          // The service continues the trace under this subsegment (EventBridge passes it on to its targets).
          if (args.request?.headers)
            args.request.headers['X-Amzn-Trace-Id'] =
              `Root=${parent.trace.root};Parent=${doc.id};Sampled=1${parent.trace.rest}`;
          const region = await sdk.config.region?.().catch(() => undefined);
          const record = (meta: SdkMetadata | undefined) => {
            doc.aws = {
              operation: (context.commandName ?? 'Unknown').replace(/Command$/, ''),
              ...(region ? { region } : {}),
              ...(meta?.requestId ? { request_id: meta.requestId } : {}),
              retries: Math.max(0, (meta?.attempts ?? 1) - 1),
            };
            if (meta?.httpStatusCode) doc.http = { response: { status: meta.httpStatusCode } };
          };
          try {
            const result = await next(args);
            record(result.output.$metadata);
            return result;
          } catch (error) {
            const meta = (error as { $metadata?: SdkMetadata }).$metadata;
            record(meta);
            const status = meta?.httpStatusCode ?? 0;
            call.error(error);
            // X-Ray's meaning: a 4xx is an error (429 also a throttle), a 5xx or no answer a fault.
            if (status >= 400 && status < 500) {
              delete doc.fault;
              doc.error = true;
              if (status === 429) doc.throttle = true;
            }
            doc.cause!.exceptions[0]!.remote = true;
            throw error;
          } finally {
            call.close();
          }
        },
        // The build step: around the signing and the retries, where the request can carry the header.
        { step: 'build', priority: 'high', name: 'echoXrayCapture', override: true },
      );
      return client;
    },

    async flush() {
      await Promise.all([...pending]);
    },
  };
}

/** The Node.js runtime's invocation store, where a Lambda invocation's trace header is kept. */
export function lambdaTraceHeader(): string | undefined {
  const store = (globalThis as { awslambda?: { InvokeStore?: { getXRayTraceId?(): string | undefined } } })
    .awslambda?.InvokeStore;
  return store?.getXRayTraceId?.();
}
