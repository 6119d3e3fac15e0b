/**
 * The dashboard's static files (`dashboard/` at the repository root: plain HTML, ES modules and CSS,
 * no build step), answered the same way by the local runtime's server and by the API Lambda, which
 * finds them copied beside its bundle. The page is at `/` and `/dashboard/`, everything else under
 * `/dashboard/`: no API route starts so. Files are not fingerprinted, so every answer says `no-cache`
 * with an ETag: the browser revalidates and gets a 304 while nothing changed.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DASHBOARD_PREFIX = '/dashboard/';

/** Beside the bundle (the API Lambda), else the repository's own folder (the local runtime). */
const CANDIDATES = [
  new URL('./dashboard/', import.meta.url),
  new URL('../../../dashboard/', import.meta.url),
];

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml; charset=utf-8',
};

/** The page itself may load only its own files and talk only to its own origin. */
const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const INDEX_PATHS = new Set(['/', '/dashboard', '/dashboard/', '/dashboard/index.html']);
/** Names of plain files and folders: no dot first (no `..`, nothing hidden). */
const SAFE_PATH = /^(?:[\w-][\w.-]*\/)*[\w-][\w.-]*$/;

export interface StaticRequest {
  method: string;
  path: string;
  /** The `If-None-Match` header, when the browser has a copy. */
  ifNoneMatch?: string | undefined;
}

export interface StaticResponse {
  status: number;
  headers: Record<string, string>;
  /** The file's text (for HEAD too: the host leaves it out); empty for a 304. */
  body: string;
}

let found: string | null | undefined;

/** The folder the dashboard is served from; undefined when neither place has it. */
export function dashboardDir(): string | undefined {
  if (found === undefined) {
    const dir = CANDIDATES.map((u) => fileURLToPath(u)).find((d) => existsSync(join(d, 'index.html')));
    found = dir ?? null;
  }
  return found ?? undefined;
}

/** The file a path names, relative to the dashboard's folder; undefined when it is no dashboard path. */
export function dashboardFile(path: string): string | undefined {
  if (INDEX_PATHS.has(path)) return 'index.html';
  if (!path.startsWith(DASHBOARD_PREFIX)) return undefined;
  return path.slice(DASHBOARD_PREFIX.length);
}

const notFound = (path: string): StaticResponse => ({
  status: 404,
  headers: {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  },
  body: `not found: ${path}\n`,
});

/**
 * The answer to a GET or HEAD of a dashboard path; undefined for any other request (it is the API's).
 * `dir` defaults to dashboardDir().
 */
export async function dashboardResponse(
  request: StaticRequest,
  dir: string | undefined = dashboardDir(),
): Promise<StaticResponse | undefined> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
  const name = dashboardFile(request.path);
  if (name === undefined) return undefined;
  const type = TYPES[extname(name)];
  if (!dir || !type || !SAFE_PATH.test(name)) return notFound(request.path);
  let text: string;
  try {
    text = await readFile(join(dir, name), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return notFound(request.path);
    throw error;
  }
  const etag = `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;
  const headers: Record<string, string> = {
    'content-type': type,
    'cache-control': 'no-cache',
    etag,
    'x-content-type-options': 'nosniff',
    ...(name.endsWith('.html') ? PAGE_HEADERS : {}),
  };
  const fresh = request.ifNoneMatch?.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
  if (fresh) return { status: 304, headers, body: '' };
  return { status: 200, headers, body: text };
}
