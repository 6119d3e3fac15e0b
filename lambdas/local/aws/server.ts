/**
 * The local AWS endpoint: one HTTP server on loopback (AWS_ENDPOINT_URL / --endpoint-url) that reads
 * each request whole and offers it to every route in turn. Signatures are not checked.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsRequest, AwsResponse, AwsRoute } from './route.ts';

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

/** The body as text, or undefined when it is larger than MAX_BODY_BYTES (the rest is then drained). */
function readBody(req: IncomingMessage): Promise<string | undefined> {
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
    req.once('end', () => chunks && resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

async function answer(routes: readonly AwsRoute[], req: IncomingMessage): Promise<AwsResponse> {
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
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
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
  const request: AwsRequest = { method: req.method ?? 'GET', path: url.pathname, headers, body };
  for (const route of routes) {
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
}): Promise<LocalAwsEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    answer(options.routes, req).then(
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
