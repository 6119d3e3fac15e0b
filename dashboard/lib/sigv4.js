/**
 * AWS Signature Version 4 in the browser (WebCrypto), for the dashboard deployed on the HTTP API:
 * API Gateway authorizes every API call by IAM, so the page signs each request with the credentials
 * its user gave it (kept in sessionStorage, this tab only). Nothing else leaves the page.
 */
const encoder = new TextEncoder();
const hex = (bytes) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
const sha256 = async (text) => hex(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
async function hmac(key, text) {
  const k = await crypto.subtle.importKey(
    'raw',
    typeof key === 'string' ? encoder.encode(key) : key,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return crypto.subtle.sign('HMAC', k, encoder.encode(text));
}

/** RFC 3986 encoding, as SigV4 wants it. */
const rfc3986 = (s) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The API Gateway or function-URL endpoint a host name belongs to: its service and Region. */
export function awsTarget(hostname) {
  const api = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(hostname);
  if (api) return { service: 'execute-api', region: api[1] };
  const url = /\.lambda-url\.([a-z0-9-]+)\./.exec(hostname);
  if (url) return { service: 'lambda', region: url[1] };
  return undefined;
}

/**
 * The headers that sign a request: `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token`
 * (temporary credentials), `authorization`, with the `headers` given (they are signed too).
 */
export async function signRequest({
  method,
  url,
  headers = {},
  body = '',
  credentials,
  region,
  service,
  now,
}) {
  const u = new URL(url);
  const amzDate = (now ?? new Date()).toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = await sha256(body);
  const signed = {
    ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)])),
    host: u.host,
    'x-amz-date': amzDate,
    'x-amz-content-sha256': payloadHash,
    ...(credentials.sessionToken ? { 'x-amz-security-token': credentials.sessionToken } : {}),
  };
  const names = Object.keys(signed).sort();
  const query = [...u.searchParams]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)])
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonical = [
    method.toUpperCase(),
    u.pathname.split('/').map(rfc3986).join('/'),
    query,
    names.map((n) => `${n}:${signed[n].trim().replace(/\s+/g, ' ')}\n`).join(''),
    names.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, await sha256(canonical)].join('\n');
  let key = await hmac(`AWS4${credentials.secretAccessKey}`, day);
  for (const part of [region, service, 'aws4_request']) key = await hmac(key, part);
  const signature = hex(await hmac(key, toSign));
  const { host: _host, ...out } = signed;
  return {
    ...out,
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}
