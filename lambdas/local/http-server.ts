/** The local runtime's HTTP server: Node's http in front of the host-independent API. */

import { timingSafeEqual } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApiDeps, handleApiRequest, type Principal } from '../adapters/http/api.ts';
import { dashboardResponse } from '../adapters/http/dashboard.ts';
import { queryOf } from '../adapters/http/http.ts';
import { handleMcpHttp, isMcpPath } from '../adapters/mcp/streamable-http.ts';
import { foreignRequest } from './cross-site.ts';

/** Bodies beyond this are refused before they are read whole (the contract's own limit is 256 KB). */
const MAX_BODY_BYTES = 1024 * 1024;

class BodyTooLarge extends Error {}

/** A caller with the local human token is an authenticated human, named by `x-echo-human`. */
function principalOf(req: IncomingMessage, token: string): Principal | undefined {
  const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  if (!match) return undefined;
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const name =
    String(req.headers['x-echo-human'] ?? 'local')
      .replace(/[^\w.@-]/g, '')
      .slice(0, 64) || 'local';
  return { kind: 'human', id: `human:${name}` };
}

/**
 * The request target as a URL, or undefined when it is none. A path (`//` at its start included) is
 * a path: read against a base URL, `//x` would name a host and `//` throw (a 500).
 */
function targetOf(req: IncomingMessage): URL | undefined {
  const target = req.url ?? '/';
  try {
    return new URL(target.startsWith('/') ? `http://localhost${target}` : target);
  } catch {
    return undefined;
  }
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined;
}

export async function startHttpServer(
  deps: ApiDeps,
  options: {
    host: string;
    port: number;
    humanToken: string;
    /** `/events`: the server-sent-events stream (lambdas/local/events-route.ts), streamed, not the API. */
    events?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;
  },
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    };
    try {
      const foreign = foreignRequest(req, options.host);
      if (foreign) {
        req.resume();
        return send(403, {
          error: {
            code: 'Forbidden',
            message: `${foreign}: cross-site requests are refused; use echoctl, curl or the dashboard at its own address`,
          },
        });
      }
      const url = targetOf(req);
      if (!url) {
        req.resume();
        return send(400, {
          error: {
            code: 'ValidationError',
            field: '(url)',
            message: `the request target ${JSON.stringify(req.url)} is not a path`,
          },
        });
      }
      if (options.events && url.pathname.replace(/\/+$/, '') === '/events')
        return await options.events(req, res, url);
      // The dashboard's page and files (`/`, `/dashboard/...`): GET and HEAD only, never the API's paths.
      const file = await dashboardResponse({
        method: req.method ?? 'GET',
        path: url.pathname,
        ifNoneMatch: req.headers['if-none-match'],
      });
      if (file) {
        req.resume();
        const length = file.status === 304 ? {} : { 'content-length': Buffer.byteLength(file.body) };
        res.writeHead(file.status, { ...file.headers, ...length });
        return void res.end(req.method === 'HEAD' ? undefined : file.body);
      }
      let body: string | undefined;
      try {
        body = await readBody(req);
      } catch (error) {
        if (!(error instanceof BodyTooLarge)) throw error;
        send(413, {
          error: {
            code: 'PayloadTooLarge',
            field: '(body)',
            limit: '1 MB',
            message: `the request body exceeds ${MAX_BODY_BYTES} bytes; a command may be at most 256 KB`,
          },
        });
        req.resume();
        return;
      }
      if (isMcpPath(url.pathname)) {
        const principal = principalOf(req, options.humanToken);
        const mcp = await handleMcpHttp(deps, {
          method: req.method ?? 'GET',
          path: url.pathname,
          headers: req.headers,
          body,
          principal,
        });
        res.writeHead(mcp.status, mcp.headers);
        return void res.end(mcp.body);
      }
      const response = await handleApiRequest(deps, {
        principal: principalOf(req, options.humanToken),
        method: req.method ?? 'GET',
        path: url.pathname,
        query: queryOf(url.searchParams),
        body,
      });
      send(response.status, response.body);
    } catch (error) {
      deps.logger.error('http server error', { error: String(error) });
      if (!res.headersSent) send(500, { error: { code: 'InternalError', message: String(error) } });
      else res.end();
    }
  });
  server.keepAliveTimeout = 5000;
  // What Node's parser refuses (a URL or headers beyond its limit, a malformed request) is answered
  // in JSON like everything else, not with a bare status line.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') return void socket.destroy();
    const [status, code] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'RequestHeaderFieldsTooLarge']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'RequestTimeout']
          : [400, 'BadRequest'];
    const text = JSON.stringify({
      error: { code, message: `the request could not be read (${error.code ?? error.message})` },
    });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
