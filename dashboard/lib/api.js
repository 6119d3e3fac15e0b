/** The HTTP API from the browser: JSON in and out, errors with the API's own message and field. */
import { authority } from './authority.js';
import { signRequest } from './sigv4.js';

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = error?.code;
    this.field = error?.field;
  }
}

/**
 * `call(method, path, body, { human })`: `human` marks the calls only an authenticated human may
 * make; locally they carry the human token, deployed every call is signed anyway.
 */
export async function call(method, path, body, { human = false } = {}) {
  const url = new URL(path, location.origin).href;
  const text = body === undefined ? '' : JSON.stringify(body);
  let headers = { accept: 'application/json', ...(text ? { 'content-type': 'application/json' } : {}) };
  if (authority.target) {
    const credentials = authority.aws();
    if (credentials)
      headers = await signRequest({
        method,
        url,
        headers,
        body: text,
        credentials,
        region: credentials.region || authority.target.region,
        service: authority.target.service,
      });
  } else if (human) {
    if (!authority.token())
      throw new ApiError(401, { code: 'Unauthorized', message: 'set the human token first (Authority)' });
    headers.authorization = `Bearer ${authority.token()}`;
    headers['x-echo-human'] = authority.name();
  }
  const response = await fetch(url, { method, headers, body: text || undefined });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, answer.error ?? { message: answer.message });
  return answer;
}

export const get = (path) => call('GET', path);
export const post = (path, body, options) => call('POST', path, body, options);
