/**
 * The local AWS endpoint (port 4566) against a web page and a forger. It used to take anything: a
 * cross-site `text/plain` POST to `/Execute` (which any page can send, no preflight) ran SQL as the
 * database user. Now a foreign Origin and a non-loopback Host are refused (the HTTP API's own check),
 * every request must carry a SigV4 `Authorization` header (which no cross-site simple request can),
 * and with local credentials configured the signature is verified, refused as AWS refuses it. The
 * real AWS CLI and the SDK clients sign, and keep working.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rawRequest, signedFetch, signedHeaders } from '../support/aws-signing.ts';
import { awsCli, exec } from '../support/cli.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { requireService } from '../support/services.ts';

// Each case runs the AWS CLI (a Python process) several times: generous on a busy machine.
vi.setConfig({ testTimeout: 180_000 });

const hasPostgres = requireService('DATABASE_URL');

const TARGET = {
  resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:echo-local',
  secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:echo-local',
  database: 'echo',
};
const MARKER = 'CREATE TABLE hostile_marker (x int)';
const LOCAL_KEYS = { accessKeyId: 'AKIDLOCALECHO', secretAccessKey: 'local-secret/with+odd=chars' };

const cli = (
  endpoint: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
  args: string[],
) =>
  exec(awsCli, ['--endpoint-url', endpoint, '--output', 'json', ...args], {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '',
  });

/** Whether the hostile statement ran: it would have made this table. */
const markerMade = async (rt: TestRuntime) =>
  (await rt.sql.query<{ made: boolean }>(`SELECT to_regclass('hostile_marker') IS NOT NULL AS made`)).rows[0]!
    .made;
/** `aws rds-data execute-statement` of `sql`, with the ARNs. */
const execute = (sql: string) => [
  'rds-data',
  'execute-statement',
  '--resource-arn',
  TARGET.resourceArn,
  '--secret-arn',
  TARGET.secretArn,
  '--sql',
  sql,
];

const errorOf = async (res: Response) => ({
  status: res.status,
  type: res.headers.get('x-amzn-errortype'),
  body: (await res.json()) as { __type?: string; message: string },
});

const variants = [
  { name: 'PostgreSQL', database: 'postgres' as const, enabled: hasPostgres },
  { name: 'embedded PGlite', database: 'pglite' as const, enabled: true },
];

describe.each(variants.filter((v) => v.enabled))(
  'the local AWS endpoint against web pages and forgers ($name)',
  ({ database }) => {
    let rt: TestRuntime;

    beforeAll(async () => {
      rt = await startTestRuntime({ database });
    }, 180_000);
    afterAll(async () => rt?.close());

    it('a cross-site text/plain POST to /Execute (any web page can send one) runs no SQL', async () => {
      const res = await fetch(`${rt.awsUrl}/Execute`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', origin: 'https://evil.example' },
        body: JSON.stringify({ ...TARGET, sql: MARKER }),
      });
      const refused = await errorOf(res);
      expect(refused).toMatchObject({ status: 403, type: 'AccessDeniedException' });
      expect(refused.body.message).toContain("Origin https://evil.example is not this runtime's own pages");
      expect(await markerMade(rt)).toBe(false);
    });

    it('the same POST with no Origin but no signature is MissingAuthenticationTokenException', async () => {
      const res = await fetch(`${rt.awsUrl}/Execute`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ ...TARGET, sql: MARKER }),
      });
      const refused = await errorOf(res);
      expect(refused).toMatchObject({
        status: 403,
        type: 'MissingAuthenticationTokenException',
        body: { __type: 'MissingAuthenticationTokenException' },
      });
      expect(refused.body.message).toMatch(/^Missing Authentication Token: sign the request/);
      expect(await markerMade(rt)).toBe(false);
    });

    it('a signed request with a foreign Origin is refused too (a page cannot borrow a signature)', async () => {
      const res = await signedFetch(
        `${rt.awsUrl}/Execute`,
        {
          headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
          body: JSON.stringify({ ...TARGET, sql: MARKER }),
        },
        { service: 'rds-data' },
      );
      expect((await errorOf(res)).status).toBe(403);
      expect(await markerMade(rt)).toBe(false);
    });

    it('a rebound Host (DNS rebinding) is refused, signed or not', async () => {
      const port = new URL(rt.awsUrl).port;
      const body = JSON.stringify({ ...TARGET, sql: MARKER });
      const headers = await signedHeaders(
        'POST',
        `http://rebind.example:${port}/Execute`,
        { 'content-type': 'application/json' },
        body,
        { service: 'rds-data' },
      );
      const res = await rawRequest(`${rt.awsUrl}/Execute`, { headers, body });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({
        __type: 'AccessDeniedException',
        message: expect.stringContaining(`Host rebind.example:${port} is not this loopback runtime`),
      });
      expect(await markerMade(rt)).toBe(false);
    });

    it('an Authorization that is not SigV4 is IncompleteSignatureException', async () => {
      for (const authorization of [
        'Bearer abc',
        'AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/rds-data/aws4_request',
      ]) {
        const res = await fetch(`${rt.awsUrl}/Execute`, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json' },
          body: JSON.stringify({ ...TARGET, sql: MARKER }),
        });
        expect(await errorOf(res)).toMatchObject({ status: 403, type: 'IncompleteSignatureException' });
      }
      expect(await markerMade(rt)).toBe(false);
    });

    it('the AWS CLI and the SDK clients sign, and go through with any credentials', async () => {
      const put = await cli(rt.awsUrl, { accessKeyId: 'anything', secretAccessKey: 'at-all' }, [
        'events',
        'put-events',
        '--entries',
        JSON.stringify([{ Source: 'echo.test', DetailType: 'Nothing', Detail: '{}' }]),
      ]);
      expect(put.stderr).toBe('');
      expect(JSON.parse(put.stdout)).toMatchObject({ FailedEntryCount: 0 });
      const sql = await cli(
        rt.awsUrl,
        { accessKeyId: 'x', secretAccessKey: 'y' },
        execute('SELECT 1 AS one'),
      );
      expect(sql.stderr).toBe('');
      expect(JSON.parse(sql.stdout).records).toEqual([[{ longValue: 1 }]]);

      const events = new EventBridgeClient({
        region: 'us-east-1',
        endpoint: rt.awsUrl,
        credentials: { accessKeyId: 'sdk', secretAccessKey: 'sdk' },
      });
      const data = new RDSDataClient({
        region: 'us-east-1',
        endpoint: rt.awsUrl,
        credentials: { accessKeyId: 'sdk', secretAccessKey: 'sdk' },
      });
      const out = await events.send(
        new PutEventsCommand({ Entries: [{ Source: 'echo.test', DetailType: 'Nothing', Detail: '{}' }] }),
      );
      expect(out.FailedEntryCount).toBe(0);
      const rows = await data.send(new ExecuteStatementCommand({ ...TARGET, sql: 'SELECT 2 AS two' }));
      expect(rows.records).toEqual([[{ longValue: 2 }]]);
      events.destroy();
      data.destroy();
    });
  },
);

describe.runIf(hasPostgres)(
  'the local AWS endpoint with local credentials (ECHO_AWS_ACCESS_KEY_ID, ECHO_AWS_SECRET_ACCESS_KEY)',
  () => {
    let rt: TestRuntime;

    beforeAll(async () => {
      rt = await startTestRuntime({
        database: 'postgres',
        env: {
          ECHO_AWS_ACCESS_KEY_ID: LOCAL_KEYS.accessKeyId,
          ECHO_AWS_SECRET_ACCESS_KEY: LOCAL_KEYS.secretAccessKey,
        },
      });
    }, 180_000);
    afterAll(async () => rt?.close());

    it('the AWS CLI with those credentials works; with another secret it is InvalidSignatureException', async () => {
      const ok = await cli(rt.awsUrl, LOCAL_KEYS, execute('SELECT 3 AS three'));
      expect(ok.stderr).toBe('');
      expect(JSON.parse(ok.stdout).records).toEqual([[{ longValue: 3 }]]);

      const forged = await cli(rt.awsUrl, { ...LOCAL_KEYS, secretAccessKey: 'guessed' }, execute(MARKER));
      expect(forged.code).not.toBe(0);
      expect(forged.stderr).toContain('(InvalidSignatureException)');
      expect(forged.stderr).toContain('The request signature we calculated does not match');
      const stranger = await cli(
        rt.awsUrl,
        { accessKeyId: 'AKIDOTHER', secretAccessKey: 'x' },
        execute(MARKER),
      );
      expect(stranger.code).not.toBe(0);
      expect(stranger.stderr).toContain('(UnrecognizedClientException)');
      expect(stranger.stderr).toContain('The security token included in the request is invalid');
      expect(await markerMade(rt)).toBe(false);
    });

    it('the SDK with those credentials works; with others it gets the named AWS errors', async () => {
      const client = (credentials: typeof LOCAL_KEYS) =>
        new EventBridgeClient({ region: 'us-east-1', endpoint: rt.awsUrl, credentials, maxAttempts: 1 });
      const entries = { Entries: [{ Source: 'echo.test', DetailType: 'Nothing', Detail: '{}' }] };
      const good = client(LOCAL_KEYS);
      expect((await good.send(new PutEventsCommand(entries))).FailedEntryCount).toBe(0);
      const bad = client({ ...LOCAL_KEYS, secretAccessKey: 'wrong' });
      await expect(bad.send(new PutEventsCommand(entries))).rejects.toMatchObject({
        name: 'InvalidSignatureException',
        $metadata: { httpStatusCode: 403 },
      });
      for (const c of [good, bad]) c.destroy();
    });

    it('a body changed after signing, and a signature 20 minutes old, are refused', async () => {
      const url = `${rt.awsUrl}/Execute`;
      const signed = await signedHeaders(
        'POST',
        url,
        { 'content-type': 'application/json' },
        JSON.stringify({ ...TARGET, sql: 'SELECT 1' }),
        { service: 'rds-data', credentials: LOCAL_KEYS },
      );
      const tampered = await rawRequest(url, {
        headers: signed,
        body: JSON.stringify({ ...TARGET, sql: MARKER }),
      });
      expect(tampered.status).toBe(403);
      expect(JSON.parse(tampered.body).__type).toBe('InvalidSignatureException');

      const old = await signedFetch(
        url,
        { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...TARGET, sql: MARKER }) },
        { service: 'rds-data', credentials: LOCAL_KEYS, signingDate: new Date(Date.now() - 20 * 60_000) },
      );
      const expired = await errorOf(old);
      expect(expired).toMatchObject({ status: 403, type: 'InvalidSignatureException' });
      expect(expired.body.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than/);
      expect(await markerMade(rt)).toBe(false);
    });
  },
);
