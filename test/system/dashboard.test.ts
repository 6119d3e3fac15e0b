/**
 * The dashboard in a real browser: Debian's chromium, headless, driven by playwright-core, against the
 * whole local runtime on PostgreSQL and a Redis of its own. It loads and shows the nine agents; a
 * message sent from the compose box, and one posted by someone else, appear live in the timeline
 * (server-sent events), or by polling where there is no stream; a decision waiting for a human is
 * approved from the inbox with the token from `$ECHO_DATA_DIR/human-token`; a decision's escalation
 * chain and a workflow run's steps are drawn, and the run's drawing follows it live; every page is
 * reachable by keyboard; when the runtime restarts, the timeline reconnects and catches up on what
 * was committed while it was away. A screenshot of each page goes to test-results/screenshots/.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/adapters/config.ts';
import { type LocalRuntime, startLocalRuntime } from '../../lambdas/local/runtime.ts';
import { root } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { freePort, kill, startRedis } from '../support/processes.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { createTestDatabase, requireService } from '../support/services.ts';

// PostgreSQL, and a Redis of the test's own: what other runtimes publish on a shared one is not ours.
const hasServices = requireService('DATABASE_URL');

async function privateRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const redis: ChildProcess = await startRedis(port);
  return { url: `redis://127.0.0.1:${port}`, stop: () => kill(redis) };
}
const SCREENSHOTS = join(root, 'test-results', 'screenshots');
/** Debian's package (`apt-get install chromium`, as .ci/run does): never a downloaded browser. */
const CHROMIUM = '/usr/bin/chromium';

describe.runIf(hasServices)('the dashboard in headless Chromium', () => {
  let rt: TestRuntime;
  let dataDir: string;
  let redis: Awaited<ReturnType<typeof privateRedis>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** What went wrong inside the page: uncaught errors and console errors. */
  let problems: string[];
  /** The API answers a test provokes on purpose (the browser logs each as a console error). */
  let expectedErrors: RegExp | undefined;

  const api = async (method: string, path: string, body?: unknown, human = false) => {
    const res = await fetch(`${rt.apiUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(human ? { authorization: `Bearer ${humanToken()}`, 'x-echo-human': 'grace' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  /** The token as a user finds it: the file the runtime wrote on its first start. */
  const humanToken = () => readFileSync(join(dataDir, 'human-token'), 'utf8').trim();
  const open = async (hash = '') => {
    await page.goto(`${rt.apiUrl}/${hash}`);
    await page.locator('#live-status[data-mode="live"]').waitFor();
  };
  const shoot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  /** What has the focus: its tag and text. */
  const focused = () =>
    page.evaluate(() => {
      const el: {
        tagName: string;
        textContent: string | null;
        getAttribute(n: string): string | null;
      } | null = (globalThis as any).document.activeElement;
      return {
        tag: el?.tagName.toLowerCase(),
        text: el?.textContent?.trim(),
        name: el?.getAttribute('name'),
      };
    });
  /** Asks the CEO for a strategic initiative above its authority: a decision that waits for a human. */
  const awaitingHuman = async (to: string, subject: string, title: string, budget: number) => {
    const posted = await api('POST', '/messages', { to, subject, content: { title, budget_usd: budget } });
    expect(posted.status).toBe(201);
    return eventually(
      async () => {
        const { body } = await api('GET', '/decisions?status=awaiting_human');
        return body.decisions.find((d: any) => d.title === title) as { id: string } | undefined;
      },
      20_000,
      `"${title}" to wait for a human`,
    );
  };

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'echo-dashboard-'));
    redis = await privateRedis();
    rt = await startTestRuntime({
      database: 'postgres',
      redisUrl: redis.url,
      env: { ECHO_DATA_DIR: dataDir },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM });
  });

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(20_000);
    page = await context.newPage();
    problems = [];
    expectedErrors = undefined;
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      if (!expectedErrors?.test(m.text())) problems.push(`console: ${m.text()}`);
    });
  });

  afterEach(async () => {
    await context?.close();
    expect(problems).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await rt?.close();
    await redis?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('is served at / with its files, and shows the nine agents with their health', async () => {
    const index = await fetch(`${rt.apiUrl}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    const script = await fetch(`${rt.apiUrl}/dashboard/app.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const etag = script.headers.get('etag')!;
    const again = await fetch(`${rt.apiUrl}/dashboard/app.js`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect((await fetch(`${rt.apiUrl}/dashboard/nothing-here.js`)).status).toBe(404);
    expect((await api('GET', '/agents')).body.agents).toHaveLength(9); // the API is still the API

    await open();
    const rows = page.locator('[data-testid="agents"] tbody tr');
    await rows.nth(8).waitFor();
    expect(await rows.count()).toBe(9);
    const text = await page.locator('[data-testid="agents"]').textContent();
    for (const title of ['Chief Executive Officer', 'Chief Technology Officer', 'Test Lead'])
      expect(text).toContain(title);
    expect(await rows.locator('.badge').allInnerTexts()).toEqual(Array(9).fill('idle'));
    await shoot('agents');
  });

  it('shows a message sent from the compose box live in the timeline, and one posted elsewhere', async () => {
    await open('#/timeline');
    const subject = `Hello from the dashboard ${randomUUID().slice(0, 8)}`;
    await page.locator('#compose select[name="to"]').selectOption('cto');
    await page.locator('#compose select[name="type"]').selectOption('notification');
    await page.getByLabel('Subject').fill(subject);
    await page.getByLabel('Content').fill('{"note": "typed in a browser"}');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('#compose-result', { hasText: 'Sent #' }).waitFor();

    // The page does not refetch the timeline: what appears came through GET /events.
    const log = page.getByRole('log', { name: 'Live timeline' });
    const mine = log.locator('li', { hasText: subject });
    await mine.waitFor();
    expect(await mine.textContent()).toMatch(/human → cto/);
    const { body } = await api('GET', '/messages?to=cto&type=notification');
    expect(body.messages.find((m: any) => m.subject === subject)).toMatchObject({
      from: 'human',
      content: { note: 'typed in a browser' },
    });

    const elsewhere = `Posted by a script ${randomUUID().slice(0, 8)}`;
    await api('POST', '/messages', { to: 'human', type: 'notification', subject: elsewhere });
    await log.locator('li', { hasText: elsewhere }).waitFor();
    // Newest first.
    expect(await log.locator('li').first().textContent()).toContain(elsewhere);
    // Content that is no JSON object is refused in the page; what the API refuses, it names, and
    // the field named gets the focus.
    await page.getByLabel('Subject').fill('Bad content');
    await page.getByLabel('Content').fill('[1, 2]');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('#compose-result', { hasText: 'content must be a JSON object' }).waitFor();
    await page.getByLabel('Content').fill('');
    await page.getByLabel('Subject').fill('x'.repeat(501));
    expectedErrors = /the server responded with a status of 400/;
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('#compose-result', { hasText: 'subject: must be at most 500 characters' }).waitFor();
    expect(await focused()).toMatchObject({ tag: 'input', name: 'subject' });
    await shoot('timeline');
  });

  it('approves a decision waiting for a human from the inbox, with the token from .echo/human-token', async () => {
    const title = `Acquire a competitor ${randomUUID().slice(0, 8)}`;
    const decision = await awaitingHuman('ceo', 'approve_strategic_initiative', title, 5_000_000);
    await open('#/inbox');
    const card = page.locator('li.card', { hasText: title });
    await card.waitFor();
    expect(await card.locator('.status').textContent()).toBe('awaiting human');

    // Without the token the API refuses, and the page says what to do.
    await card.getByLabel('Reason').fill('the board agrees');
    await card.getByRole('button', { name: 'Approve' }).click();
    await card.getByText('set the human token first').waitFor();

    await page.getByLabel('Human token').fill(humanToken());
    await page.getByRole('textbox', { name: /^Your name/ }).fill('ada');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Acting as human:ada.').waitFor();
    await card.getByRole('button', { name: 'Approve' }).click();
    await card.locator('.status', { hasText: 'approved' }).waitFor();
    expect(await card.locator('.result').textContent()).toContain('approved by human:ada: the board agrees');

    const after = (await api('GET', `/decisions/${decision.id}`)).body.decision;
    expect(after).toMatchObject({ status: 'approved', mode: 'human' });
    expect(after.approval).toMatchObject({ status: 'approved', principal: 'human:ada' });

    // A new item arrives live; resolved elsewhere (echoctl, another tab), it says so and loses its buttons.
    const other = `Lay off a team ${randomUUID().slice(0, 8)}`;
    const second = await awaitingHuman('ceo', 'approve_strategic_initiative', other, 3_000_000);
    const otherCard = page.locator('li.card', { hasText: other });
    await otherCard.waitFor();
    const rejected = await api('POST', `/decisions/${second.id}/reject`, { reason: 'not now' }, true);
    expect(rejected.status).toBe(200);
    await otherCard.locator('.status', { hasText: 'rejected' }).waitFor();
    await otherCard.getByText('rejected by human:grace: not now').waitFor();
    expect(await otherCard.getByRole('button').count()).toBe(0);
    await shoot('inbox');
  });

  it('draws a decision: its escalation chain hop by hop to the human, and approves it there', async () => {
    const title = `Real-time mobile dashboard ${randomUUID().slice(0, 8)}`;
    const decision = await awaitingHuman('product_manager', 'approve_product_requirement', title, 2_000_000);
    await open('#/decisions');
    // One row per hop, the same title on each: the one that waits.
    const waiting = page.locator('tbody tr', { hasText: title }).filter({ hasText: 'awaiting human' });
    await waiting.getByRole('link').click();
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
    const hops = page.getByRole('list', { name: /Escalation chain/ }).locator(':scope > li');
    await hops.nth(3).waitFor();
    expect(await hops.locator('.who').allInnerTexts()).toEqual([
      'product_manager',
      'cto',
      'ceo',
      'human (the board)',
    ]);
    expect(await hops.nth(0).textContent()).toContain('exceeds product_manager authority $200,000');
    expect(await hops.nth(2).getAttribute('aria-current')).toBe('step');
    await shoot('decision');

    await page.getByLabel('Human token').fill(humanToken());
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByLabel(/^Reason/).fill('not this year');
    await page.getByRole('button', { name: 'Reject' }).click();
    // The view follows: the last hop is now rejected by the human.
    await hops.nth(3).locator('.badge', { hasText: 'rejected' }).waitFor();
    expect((await api('GET', `/decisions/${decision.id}`)).body.decision.status).toBe('rejected');
    await open('#/decisions');
    await page.getByRole('link', { name: title }).nth(2).waitFor();
    await shoot('decisions');
  });

  it('draws a workflow run: its steps with status marks, parallel branches side by side, live', async () => {
    const started = await api('POST', '/workflows/hiring/runs', {
      input: { position: 'Engineer', budget_usd: 100_000 },
    });
    expect(started.status).toBe(201);
    const id = started.body.run.id as string;
    const paused = await eventually(
      async () => {
        const { run } = (await api('GET', `/workflow-runs/${id}`)).body;
        return run.status === 'paused' ? run : undefined;
      },
      20_000,
      'the hiring run to pause for a human',
    );

    await open('#/workflows');
    await page.getByRole('link', { name: `hiring ${id.slice(-8)}` }).click();
    const step = (name: string) => page.locator(`.box[data-step="${name}"]`);
    await step('candidates').waitFor();
    expect(await step('hiring_request').getAttribute('data-status')).toBe('completed');
    expect(await step('candidates').getAttribute('data-status')).toBe('waiting');
    expect(await step('candidates').textContent()).toContain('waits for a human');
    expect(await step('offer').getAttribute('data-status')).toBe('pending');
    // The two interviews are lanes of the parallel step, side by side.
    const [cto, architect] = await Promise.all(
      ['cto_interview', 'architect_interview'].map((s) => step(s).boundingBox()),
    );
    expect(cto!.y).toBe(architect!.y);
    expect(architect!.x).toBeGreaterThan(cto!.x + cto!.width);
    await shoot('workflow-run');

    // A human lets it go on: the drawing follows the run's events until it is done.
    const approved = await api(
      'POST',
      `/decisions/${paused.steps.candidates.waitingOn.id}/approve`,
      { reason: 'three strong candidates' },
      true,
    );
    expect(approved.status).toBe(200);
    await page.locator('.box[data-step="offer"][data-status="completed"]').waitFor();
    for (const s of ['candidates', 'cto_interview', 'architect_interview'])
      expect(await step(s).getAttribute('data-status')).toBe('completed');
    await page.locator('[data-testid="run"] .facts .badge', { hasText: 'completed' }).waitFor();
    await shoot('workflow-run-completed');

    await open('#/workflows');
    await page.getByRole('link', { name: `hiring ${id.slice(-8)}` }).waitFor();
    await shoot('workflows');
  });

  it('falls back to polling GET /messages?after=<seq> where there is no event stream (API Gateway)', async () => {
    expectedErrors = /the server responded with a status of 404/;
    await page.route('**/events', (route) =>
      route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":{"code":"NotFound"}}' }),
    );
    const before = (
      await api('POST', '/messages', { to: 'human', type: 'notification', subject: 'Shown first' })
    ).body.message;
    const polls: string[] = [];
    page.on('request', (r) => (r.url().includes('/messages?after=') ? polls.push(r.url()) : undefined));
    await page.goto(`${rt.apiUrl}/#/timeline`);
    await page.locator('#live-status[data-mode="polling"]').waitFor();
    const subject = `Seen by polling ${randomUUID().slice(0, 8)}`;
    const { body } = await api('POST', '/messages', { to: 'human', type: 'notification', subject });
    await page.getByRole('log', { name: 'Live timeline' }).locator('li', { hasText: subject }).waitFor();
    // It asked for what came after the newest message it had shown, not for everything.
    expect(polls.length).toBeGreaterThan(0);
    const after = Number(new URL(polls[0]!).searchParams.get('after'));
    expect(after).toBeGreaterThanOrEqual(before.seq);
    expect(after).toBeLessThan(body.message.seq);
  });

  it('shows a delivery its agent gave up on, and a human retries it from the message page', async () => {
    const posted = await api('POST', '/messages', {
      to: 'cto',
      subject: `What do you do ${randomUUID().slice(0, 8)}`,
    });
    const id = posted.body.message.id as string;
    await eventually(
      async () =>
        (await api('GET', `/messages/${id}`)).body.deliveries[0].status === 'processed' ? true : undefined,
      20_000,
      'the CTO to answer',
    );
    // The state catch-up leaves after a delivery's last allowed attempt (test/faults/delivery-retry.test.ts
    // brings it about for real; here only the page is under test).
    await rt.sql.query(
      `UPDATE deliveries SET status = 'pending', processed_at = NULL, attempts = 10,
              last_error = 'the model is down', gave_up_at = now() WHERE message_id = :id::uuid`,
      { id },
    );
    await open(`#/messages/${id}`);
    const row = () => page.locator('tbody tr', { hasText: 'the model is down' });
    await row().waitFor();
    expect(await row().locator('.badge').textContent()).toBe('given up');
    await row().getByText('only when retried').waitFor();

    // Without the token the page says what to do, and offers the Authority form.
    await row().getByRole('button', { name: 'Retry the delivery to cto' }).click();
    await row().getByText('Not retried: set the human token first').waitFor();
    await page.getByLabel('Human token').fill(humanToken());
    await page.getByRole('textbox', { name: /^Your name/ }).fill('ada');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Acting as human:ada.').waitFor();
    await row().getByRole('button', { name: 'Retry the delivery to cto' }).click();
    await row().locator('.badge', { hasText: 'pending' }).waitFor();
    expect(await row().getByRole('button').count()).toBe(0);
    expect((await api('GET', `/messages/${id}`)).body.deliveries[0]).toMatchObject({
      status: 'pending',
      gaveUpAt: null,
      retryAt: null,
    });
    await shoot('delivery-retried');

    // catch-up takes it at its next round
    await rt.tick();
    expect((await api('GET', `/messages/${id}`)).body.deliveries[0]).toMatchObject({ status: 'processed' });
  });

  it('lists dead letters with the field and the reason', async () => {
    const refused = await api('POST', '/messages', { to: 'janitor', subject: 'Sweep the floor' });
    expect(refused.status).toBe(400);
    await open('#/dead-letters');
    const row = page.locator('tbody tr', { hasText: 'unknown role "janitor"' });
    await row.waitFor();
    expect(await row.locator('code').textContent()).toBe('to');
    await shoot('dead-letters');
  });

  it('is usable by keyboard: shortcuts move to each page and focus its heading; Tab reaches every control', async () => {
    await open('#/agents');
    await page.locator('[data-testid="agents"] tbody tr').first().waitFor();
    for (const [key, title] of [
      ['t', 'Timeline'],
      ['d', 'Decisions'],
      ['i', 'Inbox'],
      ['w', 'Workflows'],
      ['l', 'Dead letters'],
      ['a', 'Agents'],
    ] as const) {
      await page.keyboard.press('g');
      await page.keyboard.press(key);
      await page.getByRole('heading', { level: 1, name: title }).waitFor();
      expect(await focused()).toMatchObject({ tag: 'h1', text: title });
      expect(await page.locator('nav a[aria-current="page"]').textContent()).toContain(title);
    }
    // c: the compose box; typing there is typing, not shortcuts.
    await page.keyboard.press('c');
    expect(await focused()).toMatchObject({ tag: 'select', name: 'to' });
    await page.keyboard.press('Tab'); // the tool
    await page.keyboard.press('Tab'); // the type
    await page.keyboard.press('Tab');
    await page.keyboard.type('g d');
    expect(await page.getByLabel('Subject').inputValue()).toBe('g d');
    expect(page.url()).toMatch(/#\/agents$/);

    // ? shows the keys; Escape closes them.
    await page.getByRole('heading', { level: 1, name: 'Agents' }).focus();
    await page.keyboard.press('?');
    await page.getByRole('dialog', { name: 'Keyboard' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog', { name: 'Keyboard' }).waitFor({ state: 'hidden' });

    // From the top, Tab visits the skip link, the pages, the help button, the compose box and Send.
    await open('#/inbox'); // a fresh load: nothing has the focus, Tab starts at the top
    const visited: string[] = [];
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      const f = await focused();
      visited.push(`${f.tag}:${f.name ?? f.text}`);
    }
    for (const control of [
      'a:Skip to content',
      'a:Inbox g i',
      'button:Keys ?',
      'input:token',
      'button:Save',
      'select:to',
      'input:subject',
      'textarea:content',
      'button:Send',
    ])
      expect(visited).toContain(control);
    // Buttons are buttons.
    expect(await page.locator('[role="button"], div[onclick], span[onclick]').count()).toBe(0);
  });
});

describe.runIf(hasServices)("the dashboard's timeline across a restart of the runtime", () => {
  const stops: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it('reconnects and catches up from the last message it saw: nothing committed while it was away is missed', async () => {
    const db = await createTestDatabase();
    stops.push(db.drop);
    const dataDir = mkdtempSync(join(tmpdir(), 'echo-dashboard-restart-'));
    stops.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const redis = await privateRedis();
    stops.push(() => redis.stop());
    const port = await freePort();
    const config = (p: number) =>
      parseConfig({
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        ECHO_DATA_DIR: dataDir,
        ECHO_PORT: String(p),
        ECHO_AWS_PORT: '0',
        ECHO_LOG_LEVEL: 'silent',
        ECHO_LOG_FILE_LEVEL: 'silent',
        ECHO_SWEEP_INTERVAL_MS: '3600000',
        ECHO_CATCHUP_INTERVAL_MS: '3600000',
      });
    const note = async (apiUrl: string, subject: string) => {
      const res = await fetch(`${apiUrl}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ to: 'human', type: 'notification', subject }),
      });
      expect(res.status).toBe(201);
    };
    let a: LocalRuntime | undefined = await startLocalRuntime(config(port));
    stops.push(async () => a?.stop());
    const browser = await chromium.launch({ executablePath: CHROMIUM });
    stops.push(() => browser.close());
    const page = await browser.newPage();
    page.setDefaultTimeout(30_000);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${a.apiUrl}/#/timeline`);
    const status = (mode: string) => page.locator(`#live-status[data-mode="${mode}"]`).waitFor();
    await status('live');
    const log = page.getByRole('log', { name: 'Live timeline' });
    const seen = (subject: string) => log.locator('li', { hasText: subject });

    await note(a.apiUrl, 'before the restart');
    await seen('before the restart').waitFor();
    await a.stop();
    a = undefined;
    await status('connecting');
    // Another runtime on the same database commits while the page's server is away.
    const other = await startLocalRuntime(config(0));
    stops.push(() => other.stop());
    await note(other.apiUrl, 'while the page was away');
    a = await startLocalRuntime(config(port));
    await seen('while the page was away').waitFor();
    await status('live');
    await note(a.apiUrl, 'after the restart');
    await seen('after the restart').waitFor();
    for (const subject of ['before the restart', 'while the page was away', 'after the restart'])
      expect(await seen(subject).count(), subject).toBe(1);
    expect(errors).toEqual([]);
  }, 180_000);
});
