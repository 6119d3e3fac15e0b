/**
 * Requests to the local AWS endpoint signed as the AWS SDK signs them (its own SigV4 signer,
 * @smithy/signature-v4), for tests that speak the wire protocol by hand.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { request } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';

type Data = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: Data) =>
  typeof d === 'string'
    ? Buffer.from(d)
    : ArrayBuffer.isView(d)
      ? Buffer.from(d.buffer, d.byteOffset, d.byteLength)
      : Buffer.from(d);

/** SHA-256 (or its HMAC, given a secret) over node:crypto, in the shape the signer takes. */
export class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: Data) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: Data): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface SignOptions {
  service?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  signingDate?: Date;
}

/** The headers (authorization, x-amz-date, host...) that sign `method url` with `body`. */
export async function signedHeaders(
  method: string,
  url: string,
  headers: Record<string, string>,
  body: string,
  options: SignOptions = {},
): Promise<Record<string, string>> {
  const u = new URL(url);
  const signer = new SignatureV4({
    credentials: options.credentials ?? TEST_CREDENTIALS,
    region: options.region ?? 'us-east-1',
    service: options.service ?? 'events',
    sha256: NodeSha256,
    uriEscapePath: true,
  });
  const signed = await signer.sign(
    {
      method,
      protocol: u.protocol,
      hostname: u.hostname,
      port: Number(u.port) || undefined,
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      headers: { host: u.host, ...headers },
      body,
    },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  return signed.headers as Record<string, string>;
}

/** `fetch` with the request signed for the endpoint (any credentials unless given). */
export async function signedFetch(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal },
  options: SignOptions = {},
): Promise<Response> {
  const method = init.method ?? 'POST';
  const headers = await signedHeaders(method, url, init.headers ?? {}, init.body ?? '', options);
  const { host: _host, ...rest } = headers;
  return fetch(url, { method, headers: rest, body: init.body, signal: init.signal });
}

/** A raw HTTP request (fetch would not let a test set Host or send a bare target such as `//`). */
export function rawRequest(
  url: string,
  options: { method?: string; target?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method: options.method ?? 'POST',
        path: options.target ?? `${u.pathname}${u.search}`,
        headers: options.headers ?? {},
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
