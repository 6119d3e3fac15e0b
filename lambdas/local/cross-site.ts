/**
 * The one cross-site check of the local runtime's two servers (the HTTP API and the AWS endpoint).
 * Both listen on loopback with no login a browser could hold: a page on another site (a form, a
 * fetch, or a DNS name rebound to 127.0.0.1) must not drive them. So on loopback the Host must be
 * a loopback name, and a request that changes something must come from no page at all (curl,
 * echoctl, the AWS CLI and SDKs, an MCP client send no Origin) or from the server's own pages.
 */

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface RequestFrom {
  method?: string | undefined;
  headers: { host?: string | undefined; origin?: string | undefined };
}

const hostnameOf = (value: string) => {
  try {
    return new URL(`http://${value}`).hostname;
  } catch {
    return '';
  }
};

/** Why the request is refused as cross-site, or undefined when it may go on. */
export function foreignRequest(req: RequestFrom, listenHost: string): string | undefined {
  const host = req.headers.host ?? '';
  if (LOOPBACK.has(listenHost) && !LOOPBACK.has(hostnameOf(host)))
    return `Host ${host || '(none)'} is not this loopback runtime`;
  const origin = req.headers.origin;
  if (SAFE_METHODS.has(req.method ?? 'GET') || origin === undefined) return undefined;
  let from: URL | undefined;
  try {
    from = new URL(origin);
  } catch {
    from = undefined;
  }
  return from?.host === host ? undefined : `Origin ${origin} is not this runtime's own pages`;
}
