import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A small client of the HTTP API for echoctl (and tests that want to act as a user). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: { code?: string; message?: string; field?: string } } | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function apiBaseUrl(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return (env.ECHO_API_URL || `http://127.0.0.1:${env.ECHO_PORT || 4000}`).replace(/\/+$/, '');
}

/**
 * The human's token for approvals: ECHO_HUMAN_TOKEN, or the file the local runtime writes at
 * start (`$ECHO_DATA_DIR/human-token`, default `.echo/human-token`).
 */
export function humanToken(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  if (env.ECHO_HUMAN_TOKEN) return env.ECHO_HUMAN_TOKEN;
  try {
    return readFileSync(join(env.ECHO_DATA_DIR || '.echo', 'human-token'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface ApiClient {
  base: string;
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
}

export function createClient(
  base: string,
  auth?: { token?: string | undefined; human?: string | undefined },
): ApiClient {
  return { base, call: (method, path, body) => api(base, method, path, body, auth) };
}

/** A client acting as the local human (approve, reject, cancel): fails, saying what to do, without a token. */
export function humanClient(base: string, human: string): ApiClient {
  const token = humanToken();
  if (!token)
    throw new Error(
      'no human token: set ECHO_HUMAN_TOKEN or run from the directory where npm start keeps .echo/',
    );
  return createClient(base, { token, human });
}

export async function api<T>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  auth?: { token?: string | undefined; human?: string | undefined },
): Promise<T> {
  let response: Response;
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (auth?.token) headers.authorization = `Bearer ${auth.token}`;
  if (auth?.human) headers['x-echo-human'] = auth.human;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(
      0,
      undefined,
      `cannot reach the ECHO API at ${base} (${(error as Error).cause ?? error}); start it with \`npm start\` or set ECHO_API_URL`,
    );
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const b = parsed as ApiError['body'];
    throw new ApiError(response.status, b, b?.error?.message ?? `${method} ${path}: HTTP ${response.status}`);
  }
  return parsed as T;
}
