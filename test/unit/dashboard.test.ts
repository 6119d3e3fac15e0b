/**
 * The dashboard's server side and its one piece of cryptography: the static files as both hosts serve
 * them (paths, content types, caching, nothing outside the folder), the API Lambda serving the page
 * without a database, and the browser's SigV4 signing (dashboard/lib/sigv4.js, on WebCrypto) checked
 * against the AWS SDK's own signer.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { dashboardDir, dashboardFile, dashboardResponse } from '../../lambdas/adapters/http/dashboard.ts';
import { createApiHandler } from '../../lambdas/handlers/api.ts';
import { signedHeaders } from '../support/aws-signing.ts';
import { root } from '../support/cli.ts';

const get = (path: string, ifNoneMatch?: string) => dashboardResponse({ method: 'GET', path, ifNoneMatch });

describe('the dashboard files', () => {
  it('are found in the repository, the page at / and /dashboard/, the rest under /dashboard/', async () => {
    expect(dashboardDir()).toBe(join(root, 'dashboard/'));
    for (const path of ['/', '/dashboard', '/dashboard/', '/dashboard/index.html'])
      expect(dashboardFile(path)).toBe('index.html');
    expect(dashboardFile('/dashboard/pages/inbox.js')).toBe('pages/inbox.js');
    for (const path of ['/agents', '/events', '/decisions/x', '/dashboards'])
      expect(dashboardFile(path)).toBe(undefined);

    const page = (await get('/'))!;
    expect(page.status).toBe(200);
    expect(page.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    });
    expect(page.headers['content-security-policy']).toContain("default-src 'none'; script-src 'self'");
    expect(page.body).toContain('<script type="module" src="/dashboard/app.js">');
    expect((await get('/dashboard/app.js'))!.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await get('/dashboard/style.css'))!.headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await get('/dashboard/app.js'))!.headers['content-security-policy']).toBeUndefined();
  });

  it('answer a copy the browser holds with 304, HEAD without a body, and leave other methods to the API', async () => {
    const first = (await get('/dashboard/lib/live.js'))!;
    const etag = first.headers.etag!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(await get('/dashboard/lib/live.js', etag)).toMatchObject({ status: 304, body: '' });
    expect(await get('/dashboard/lib/live.js', `W/${etag}, "other"`)).toMatchObject({ status: 304 });
    expect((await get('/dashboard/lib/live.js', '"stale"'))!.status).toBe(200);
    const head = (await dashboardResponse({ method: 'HEAD', path: '/' }))!;
    expect(head.status).toBe(200);
    expect(await dashboardResponse({ method: 'POST', path: '/' })).toBeUndefined();
    expect(await dashboardResponse({ method: 'DELETE', path: '/dashboard/app.js' })).toBeUndefined();
  });

  it('serve nothing outside the folder, nothing hidden, nothing of an unknown type', async () => {
    for (const path of [
      '/dashboard/../package.json',
      '/dashboard/lib/../../package.json',
      '/dashboard/.gitignore',
      '/dashboard/nothing.js',
      '/dashboard/lib',
      '/dashboard/lib/',
      '/dashboard//etc/passwd',
      '/dashboard/app.ts',
    ])
      expect((await get(path))?.status, path).toBe(404);
    // A bundle the folder was not copied beside: the page is missing, and says so.
    expect((await dashboardResponse({ method: 'GET', path: '/' }, join(root, 'no-such-dir')))?.status).toBe(
      404,
    );
  });

  it('are served by the API Lambda without its dependencies; the API still needs them', async () => {
    const handler = createApiHandler(() => Promise.reject(new Error('no database here')));
    const event = (path: string, headers: Record<string, string> = {}) =>
      ({
        rawPath: path,
        headers,
        requestContext: { http: { method: 'GET', path } },
      }) as unknown as APIGatewayProxyEventV2WithIAMAuthorizer;
    const page = await handler(event('/dashboard/'));
    expect(page.statusCode).toBe(200);
    expect(page.headers?.['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<title>ECHO</title>');
    const script = await handler(event('/dashboard/pages/workflows.js'));
    expect(script.headers?.['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toContain('export const flow');
    const cached = await handler(
      event('/dashboard/pages/workflows.js', { 'if-none-match': String(script.headers?.etag) }),
    );
    expect(cached.statusCode).toBe(304);
    expect((await handler(event('/agents'))).statusCode).toBe(503);
  });
});

describe('SigV4 in the browser (dashboard/lib/sigv4.js)', async () => {
  const { signRequest, awsTarget } = await import(pathToFileURL(join(root, 'dashboard/lib/sigv4.js')).href);
  const credentials = {
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    sessionToken: 'FwoGZXIvYXdzEXAMPLE//token+with/odd=chars',
  };
  const now = new Date('2026-05-01T12:34:56.789Z');

  /** The authorization the AWS SDK's signer computes for the same request. */
  async function sdkAuthorization(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: string,
    service: string,
    creds: Partial<typeof credentials> & Pick<typeof credentials, 'accessKeyId' | 'secretAccessKey'>,
  ) {
    const signed = await signedHeaders(method, url, headers, body, {
      service,
      region: 'eu-west-1',
      credentials: creds,
      signingDate: now,
    });
    return signed.authorization;
  }

  it('signs a GET with a query and a POST with a body as the SDK does', async () => {
    const base = 'https://abc123.execute-api.eu-west-1.amazonaws.com';
    for (const [method, url, body, headers] of [
      ['GET', `${base}/messages?limit=100&after=42`, '', { accept: 'application/json' }],
      ['GET', `${base}/decisions?status=awaiting_human&owner=ceo`, '', { accept: 'application/json' }],
      [
        'POST',
        `${base}/decisions/3f1c2a4e-0000-4000-8000-000000000001/approve`,
        JSON.stringify({ reason: 'the board agrees — ünïcode' }),
        { accept: 'application/json', 'content-type': 'application/json' },
      ],
    ] as const) {
      for (const creds of [
        credentials,
        { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
      ]) {
        const ours = await signRequest({
          method,
          url,
          headers,
          body,
          credentials: creds,
          region: 'eu-west-1',
          service: 'execute-api',
          now,
        });
        expect(ours['x-amz-date']).toBe('20260501T123456Z');
        expect(ours['x-amz-security-token']).toBe((creds as typeof credentials).sessionToken);
        const expected = await sdkAuthorization(
          method,
          url,
          { ...headers, 'x-amz-content-sha256': ours['x-amz-content-sha256'] },
          body,
          'execute-api',
          creds,
        );
        expect(ours.authorization, `${method} ${url}`).toBe(expected);
        expect(ours.host).toBeUndefined(); // the browser sets Host itself
      }
    }
  });

  it('knows an API Gateway and a function URL by their host names, and nothing else', () => {
    expect(awsTarget('abc123.execute-api.eu-west-1.amazonaws.com')).toEqual({
      service: 'execute-api',
      region: 'eu-west-1',
    });
    expect(awsTarget('xyz.lambda-url.us-east-1.on.aws')).toEqual({ service: 'lambda', region: 'us-east-1' });
    expect(awsTarget('127.0.0.1')).toBeUndefined();
    expect(awsTarget('localhost')).toBeUndefined();
  });
});
