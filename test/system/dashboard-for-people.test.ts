/**
 * The dashboard's pages for the person at the keyboard (issue 15), in headless Chromium (Debian's
 * package, driven by playwright-core) against the real local runtime on PostgreSQL: a message page
 * (content, metadata, each recipient's delivery, the thread with its decisions and their chain, the
 * decisions it opened) reached from the timeline; the compose box offering the recipient's tools and
 * building a form from the chosen tool's input schema; the organization chart on the Agents page.
 * Screenshots go to test-results/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Message } from '../../lambdas/core/messages.ts';
import { root } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { requireService } from '../support/services.ts';

const hasPostgres = requireService('DATABASE_URL');
const SCREENSHOTS = join(root, 'test-results', 'screenshots');
const CHROMIUM = '/usr/bin/chromium';

describe.runIf(hasPostgres)('the dashboard for the person at the keyboard, in headless Chromium', () => {
  let rt: TestRuntime;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];

  const open = async (hash = '') => {
    await page.goto(`${rt.apiUrl}/${hash}`);
    await page.locator('#live-status[data-mode="live"]').waitFor();
  };
  const shoot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    rt = await startTestRuntime({ database: 'postgres' });
    browser = await chromium.launch({ executablePath: CHROMIUM });
  }, 120_000);
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(20_000);
    page = await context.newPage();
    problems = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
  });
  afterEach(async () => {
    await context?.close();
    expect(problems).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await rt?.close();
  });

  it('opens a message page from its timeline row: content, deliveries, decisions it opened, the thread', async () => {
    await open('#/timeline');
    const title = `Move to a new data centre ${Date.now().toString(36)}`;
    // above the CTO's authority: the CTO escalates, the CEO decides
    const posted = await rt.post({
      to: 'cto',
      subject: 'approve_technical_proposal',
      content: { title, budget_usd: 600_000 },
    });
    const request = posted.body.message as Message;
    await eventually(
      async () =>
        (await rt.get(`/messages?inReplyTo=${request.id}`)).body.messages.length > 0 ? true : undefined,
      30_000,
      'the reply',
    );
    const log = page.getByRole('log', { name: 'Live timeline' });
    await log.getByRole('link', { name: `message #${request.seq}: approve_technical_proposal` }).click();
    await page.getByRole('heading', { level: 1, name: 'approve_technical_proposal' }).waitFor();
    expect(page.url()).toContain(`#/messages/${request.id}`);

    expect(await page.getByLabel('Message content').textContent()).toBe(
      JSON.stringify({ title, budget_usd: 600_000 }, null, 2),
    );
    const deliveries = page.getByRole('table', { name: 'Deliveries' });
    await deliveries.locator('tr', { hasText: 'cto' }).locator('.badge', { hasText: 'processed' }).waitFor();
    const opened = page.getByRole('table', { name: 'Decisions it opened' });
    await opened.getByRole('link', { name: title }).waitFor();

    const thread = page.getByRole('list', { name: 'Thread' });
    // the request is the root, marked as the message shown; its reply and its decision under it,
    // the CEO's hop under the CTO's escalated decision
    await thread.locator('[aria-current="page"]', { hasText: `#${request.seq}` }).waitFor();
    await thread.locator('.k-message .badge', { hasText: 'response' }).waitFor();
    const cto = thread.locator('li.k-decision', { has: page.locator('.badge', { hasText: 'escalated' }) });
    await cto.locator('li.k-decision', { hasText: 'ceo' }).waitFor();
    await shoot('message');

    // the reply's page: the same thread, the reply marked
    await thread
      .locator('.k-message > .line', { has: page.locator('.badge', { hasText: 'response' }) })
      .getByRole('link')
      .first()
      .click();
    await page.getByRole('heading', { level: 1, name: 'Re: approve_technical_proposal' }).waitFor();
    await page.getByRole('link', { name: request.id.slice(-8) }).click();
    await page.getByRole('heading', { level: 1, name: 'approve_technical_proposal' }).waitFor();
  });

  it("builds the compose form from the chosen tool's schema, checks it, and sends the typed input", async () => {
    await open('#/timeline');
    const compose = page.locator('#compose');
    await compose.locator('select[name="to"]').selectOption('operations_head');
    const tool = page.getByLabel("Tool (the recipient's; its fields below)");
    // the recipient's tools are offered
    const offered = await tool.locator('option').allInnerTexts();
    expect(offered).toContain('assess incident');
    await tool.selectOption('assess_incident');
    expect(await page.getByLabel('Subject').inputValue()).toBe('assess_incident');
    const fields = compose.locator('fieldset.schema-form');
    await fields.waitFor();
    await shoot('compose-schema-form');

    // a required field left empty is named, and gets the focus
    await page.getByRole('button', { name: 'Send' }).click();
    const result = page.locator('#compose-result');
    await result.filter({ hasText: /Not sent: \w+: is required\./ }).waitFor();
    const focusedField = () =>
      page.evaluate(() => (globalThis as any).document.activeElement?.dataset.field as string | undefined);
    expect(await result.textContent()).toBe('Not sent: title: is required.');
    expect(await focusedField()).toBe('title');

    const title = `Checkout is down ${Date.now().toString(36)}`;
    await fields.getByLabel('title').fill(title);
    await fields.getByLabel('outage').check();
    await fields.getByLabel('customers affected').fill('1.5');
    await page.getByRole('button', { name: 'Send' }).click();
    await result.filter({ hasText: 'Not sent: customers_affected: must be a whole number.' }).waitFor();
    expect(await focusedField()).toBe('customers_affected');
    await fields.getByLabel('customers affected').fill('120');
    await fields.getByLabel('degraded services').fill('checkout, search');
    await page.getByRole('button', { name: 'Send' }).click();
    await result.filter({ hasText: /^Sent #\d+ to operations_head\.$/ }).waitFor();

    // the input went typed, as the schema says; the operations head ran the tool (no error reply)
    const sent = await eventually(
      async () =>
        ((await rt.get('/messages?to=operations_head&type=request')).body.messages as Message[]).find(
          (m) => m.content.title === title,
        ),
      10_000,
      'the request',
    );
    expect(sent).toMatchObject({ subject: 'assess_incident', from: 'human' });
    expect(sent.content).toEqual({
      title,
      outage: true,
      data_loss: false,
      security: false,
      customers_affected: 120,
      degraded_services: ['checkout', 'search'],
    });
    const reply = await eventually(
      async () => (await rt.get(`/messages?inReplyTo=${sent.id}`)).body.messages[0] as Message | undefined,
      30_000,
      'the reply',
    );
    expect(reply.type).toBe('response');
    // the result links to the message page
    await result.getByRole('link', { name: `#${sent.seq}` }).click();
    await page.getByRole('heading', { level: 1, name: 'assess_incident' }).waitFor();
  });

  it("draws the organization as a chart: reporting lines, live states, the last hour's messages, escalations lit", async () => {
    // a proposal above the CTO's authority climbs to the CEO; one above the CEO's waits for the board
    const climbs = await rt.post({
      to: 'cto',
      subject: 'approve_technical_proposal',
      content: { title: 'A third region', budget_usd: 700_000 },
    });
    const board = await rt.post({
      to: 'ceo',
      subject: 'approve_strategic_initiative',
      content: { title: 'Enter a new market', budget_usd: 5_000_000 },
    });
    for (const m of [climbs, board])
      await eventually(
        async () =>
          (await rt.get(`/messages?inReplyTo=${(m.body.message as Message).id}`)).body.messages.length
            ? true
            : undefined,
        30_000,
        'the reply',
      );
    const activity = (await rt.get('/organization/activity?minutes=60')).body;
    expect(activity.escalations).toEqual(
      expect.arrayContaining([
        { from: 'cto', to: 'ceo', count: expect.any(Number) },
        { from: 'ceo', to: 'human', count: expect.any(Number) },
      ]),
    );
    expect(activity.messages).toEqual(
      expect.arrayContaining([{ from: 'human', to: 'cto', count: expect.any(Number) }]),
    );
    expect((await rt.get('/organization/activity?minutes=0')).body.error).toMatchObject({
      field: 'minutes',
      message: 'query parameter minutes: must be at least 1',
    });

    await open('#/agents');
    const chart = page.locator('[data-testid="org-chart"] svg.org-chart');
    await chart.waitFor();
    // the board and the nine agents, each with its live state
    expect(await chart.locator('g.node').count()).toBe(10);
    expect(await chart.locator('g.node[data-role="cto"]').getAttribute('data-status')).toBe('healthy');
    // who reports to whom: the test lead's line goes to the senior architect
    await chart
      .locator('path.reports[data-from="test_lead"][data-to="senior_architect"]')
      .waitFor({ state: 'attached' });
    // the hops of decisions climbing the chain are lit: cto → ceo, ceo → the board
    await chart
      .locator('path.reports.escalation[data-from="cto"][data-to="ceo"]')
      .waitFor({ state: 'attached' });
    await chart
      .locator('path.reports.escalation[data-from="ceo"][data-to="human"]')
      .waitFor({ state: 'attached' });
    expect(await chart.locator('path.reports[data-from="chro"]').getAttribute('class')).toBe('reports');
    // the last hour's messages as edges weighted by count
    const fromHuman = chart.locator('path.traffic[data-from="human"][data-to="cto"]');
    await fromHuman.waitFor({ state: 'attached' });
    expect(Number(await fromHuman.getAttribute('data-count'))).toBeGreaterThanOrEqual(1);
    expect(await fromHuman.locator('title').textContent()).toMatch(
      /^human → cto: \d+ messages? in the last hour$/,
    );
    await shoot('org-chart');
  });
});
