/**
 * A message's and a decision's model calls on the dashboard, in headless Chromium (Debian's chromium driven by
 * playwright-core) against the local runtime with a scripted OpenAI-compatible model: the CTO's model
 * asks for its tool above its authority, so the decision escalates, and the CEO's model decides it.
 * The CTO's decision page shows the model turn that opened it (the tool the model asked for); the
 * CEO's hop shows the judgement made about it; both with tokens, latency and cost, and the request
 * and the answer in full behind a disclosure. A screenshot goes to test-results/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { type ScriptedLlmServer, startScriptedLlmServer } from '../support/scripted-llm-servers.ts';
import { redisUrl, requireService } from '../support/services.ts';

const hasServices = requireService('DATABASE_URL') && requireService('REDIS_URL');
const SCREENSHOTS = join(root, 'test-results', 'screenshots');

describe.runIf(hasServices)("model calls on the dashboard's message and decision pages", () => {
  let model: ScriptedLlmServer;
  let rt: TestRuntime;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    model = await startScriptedLlmServer('openai');
    rt = await startTestRuntime({
      database: 'postgres',
      redisUrl,
      env: {
        ECHO_LLM_PROVIDER: 'openai',
        ECHO_LLM_BASE_URL: model.url,
        ECHO_LLM_MAX_RETRIES: '0',
        ECHO_LLM_FAILURE: 'fatal',
      },
    });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(20_000);
    page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (m) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`)));
  });
  afterAll(async () => {
    await browser?.close();
    await rt?.close();
    await model?.close();
  });

  it("shows the model turn that opened a decision, and the superior's judgement of it", async () => {
    model.script(
      {
        kind: 'tool-calls',
        calls: [
          {
            name: 'approve_technical_proposal',
            arguments: { title: 'Kafka everywhere', budget_usd: 900_000 },
          },
        ],
      },
      { kind: 'answer', text: 'Above my authority: it went to the CEO.' },
      { kind: 'answer', text: '{"verdict": "approve", "rationale": "The platform bet of the year."}' },
    );
    const { body } = await rt.post({ to: 'cto', subject: 'Move every service to Kafka, about $900k.' });
    const chain = await eventually(
      async () => {
        const [d] = (await rt.get(`/messages/${body.message.id}/trace`)).body.ledTo.decisions;
        if (!d) return undefined;
        const { decision } = (await rt.get(`/decisions/${d.id}`)).body;
        return decision.chain.at(-1).status === 'approved' ? decision.chain : undefined;
      },
      20_000,
      "the CEO's judgement",
    );
    const [cto, ceo] = chain;

    await page.goto(`${rt.apiUrl}/#/decisions/${cto.id}`);
    await page.getByRole('heading', { level: 2, name: 'Model calls' }).waitFor();
    const opening = page.getByRole('table', { name: 'Model calls that opened this decision' });
    const rows = opening.locator('tbody tr');
    await rows.nth(1).waitFor();
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toMatch(/cto\s*loop\s*openai/);
    expect(await rows.nth(0).locator('summary').textContent()).toBe(
      'approve_technical_proposal({"title":"Kafka everywhere","budget_usd":900000})',
    );
    expect(await rows.nth(1).locator('summary').textContent()).toBe(
      'Above my authority: it went to the CEO.',
    );
    // the request in full behind the disclosure: the tool's result went back to the model
    await rows.nth(1).locator('summary').click();
    expect(await rows.nth(1).locator('pre').first().textContent()).toContain(
      'exceeds cto authority $500,000',
    );
    await page
      .getByText('No model was asked about this decision itself (votes, discussion, judgement, synthesis).')
      .waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'decision-model-calls.png'), fullPage: true });

    // the message's page shows the same two calls, with their totals
    await page.goto(`${rt.apiUrl}/#/messages/${body.message.id}`);
    const forMessage = page.getByRole('table', { name: 'Model calls for this message' }).locator('tbody tr');
    await forMessage.nth(1).waitFor();
    expect(await forMessage.count()).toBe(2);
    expect(await forMessage.nth(0).locator('summary').textContent()).toMatch(/^approve_technical_proposal\(/);
    expect(await page.locator('.totals').textContent()).toMatch(/^2 calls · \d+ tokens in → \d+ out · \$/);
    await page.screenshot({ path: join(SCREENSHOTS, 'message-model-calls.png'), fullPage: true });

    await page.goto(`${rt.apiUrl}/#/decisions/${ceo.id}`);
    const about = page.getByRole('table', { name: 'Model calls about this decision' });
    await about.locator('tbody tr').first().waitFor();
    expect(await about.locator('tbody tr').first().textContent()).toMatch(/ceo\s*judge\s*openai/);
    expect(await page.locator('.totals').textContent()).toMatch(/^1 call · \d+ tokens in → \d+ out · /);
    expect(problems).toEqual([]);
  });
});
