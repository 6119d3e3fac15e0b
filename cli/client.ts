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

export async function api<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
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
