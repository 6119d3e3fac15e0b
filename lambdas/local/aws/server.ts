/**
 * The local AWS endpoint: one HTTP server on loopback (AWS_ENDPOINT_URL / --endpoint-url) that reads
 * each request whole and offers it to every route in turn.
 *
 * It is not open to the web pages a browser on this machine shows: a request with a foreign Origin or
 * a Host that is not a loopback name is refused (the HTTP API's own check, ../cross-site.ts), and
 * every request must be signed with AWS Signature Version 4, which no cross-site simple request can
 * be; with local credentials configured the signature is verified (./sigv4.ts).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { foreignRequest } from '../cross-site.ts';
import type { AwsRequest, AwsResponse, AwsRoute } from './route.ts';
import { checkSignature, type LocalCredentials } from './sigv4.ts';

/** Far above any AWS request the routes take (PutEvents: 256 KB), low enough to refuse abuse. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface LocalAwsEndpoint {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** An AWS-style error for the endpoint itself, read as the exception name by the SDK and the CLI. */
function endpointError(status: number, type: string, message: string): AwsResponse {
  return {
    status,
    headers: {
      'content-type': 'application/json',
      'x-amzn-errortype': type,
      'x-amzn-requestid': randomUUID(),
    },
    body: JSON.stringify({ __type: type, message }),
  };
}

/** The body, or undefined when it is larger than MAX_BODY_BYTES (the rest is then drained). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] | undefined = [];
    let size = 0;
    const refuse = () => {
      chunks = undefined;
      resolve(undefined);
    };
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) refuse();
    req.on('data', (chunk: Buffer) => {
      if (!chunks) return; // refused: drained, not kept
      size += chunk.length;
      if (size > MAX_BODY_BYTES) refuse();
      else chunks.push(chunk);
    });
    req.once('end', () => chunks && resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

interface EndpointOptions {
  host: string;
  routes: readonly AwsRoute[];
  credentials: LocalCredentials | undefined;
  now: () => Date;
}

async function answer(options: EndpointOptions, req: IncomingMessage): Promise<AwsResponse> {
  const foreign = foreignRequest(req, options.host);
  if (foreign) {
    req.resume();
    return endpointError(
      403,
      'AccessDeniedException',
      `${foreign}: cross-site requests are refused; use the AWS CLI or an AWS SDK with --endpoint-url`,
    );
  }
  const body = await readBody(req);
  if (body === undefined) {
    return endpointError(
      413,
      'RequestEntityTooLargeException',
      `the request body exceeds ${MAX_BODY_BYTES} bytes`,
    );
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const refusal = checkSignature(
    { method: req.method ?? 'GET', target: req.url ?? '/', headers, body },
    { credentials: options.credentials, now: options.now() },
  );
  if (refusal) return endpointError(403, refusal.type, refusal.message);
  // a path is a path (`//x` read against a base would name a host, `//` throw)
  const requestTarget = req.url ?? '/';
  let url: URL;
  try {
    url = new URL(requestTarget.startsWith('/') ? `http://localhost${requestTarget}` : requestTarget);
  } catch {
    return endpointError(
      400,
      'ValidationException',
      `the request target ${JSON.stringify(requestTarget)} is not a path`,
    );
  }
  const request: AwsRequest = {
    method: req.method ?? 'GET',
    path: url.pathname,
    headers,
    body: body.toString('utf8'),
  };
  for (const route of options.routes) {
    const response = await route(request);
    if (response) return response;
  }
  const target = headers['x-amz-target'];
  return endpointError(
    404,
    'UnknownOperationException',
    `no local service answers ${request.method} ${request.path}${target ? ` (${target})` : ''}`,
  );
}

function send(res: ServerResponse, response: AwsResponse, close: boolean): void {
  res.writeHead(response.status, {
    ...response.headers,
    'content-length': Buffer.byteLength(response.body),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(response.body);
}

export async function startLocalAwsEndpoint(options: {
  host?: string;
  port: number;
  routes: readonly AwsRoute[];
  /** Verify each request's signature against these (ECHO_AWS_ACCESS_KEY_ID, ECHO_AWS_SECRET_ACCESS_KEY). */
  credentials?: LocalCredentials | undefined;
  now?: () => Date;
}): Promise<LocalAwsEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const settings: EndpointOptions = {
    host,
    routes: options.routes,
    credentials: options.credentials,
    now: options.now ?? (() => new Date()),
  };
  const server = createServer((req, res) => {
    answer(settings, req).then(
      (response) => send(res, response, response.status === 413),
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        if (res.headersSent) res.destroy();
        else send(res, endpointError(500, 'InternalFailure', message), false);
      },
    );
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
