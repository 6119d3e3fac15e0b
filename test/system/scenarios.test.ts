/**
 * The acceptance scenarios (cli/scenarios.ts) as system tests: the whole local runtime (real PostgreSQL and Redis; the rules
 * engine), driven through its HTTP API by the same code as `echoctl scenario <name>`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../cli/client.ts';
import { runScenario, SCENARIOS } from '../../cli/scenarios.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { redisUrl, requireService } from '../support/services.ts';

const hasServices = requireService('DATABASE_URL') && requireService('REDIS_URL');
const TOKEN = 'scenario-test-token';

describe.runIf(hasServices)('scenarios on the local runtime', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({
      database: 'postgres',
      redisUrl,
      env: { ECHO_HUMAN_TOKEN: TOKEN, ECHO_DEADLINE_INTERVAL_MS: '200' },
    });
  });
  afterAll(async () => rt?.close());

  // catch-up needs a failing CEO model: test/system/catch-up.test.ts runs it
  for (const { name } of SCENARIOS.filter((s) => s.name !== 'catch-up')) {
    it(name, async () => {
      const result = await runScenario(createClient(rt.apiUrl, { token: TOKEN, human: 'tester' }), name);
      const failed = result.checks.filter((c) => !c.ok);
      expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
      expect(result.ok).toBe(true);
    });
  }

  it('the runtime counts what happened: messages, deliveries by outcome, decisions by status', async () => {
    const { metrics } = (await rt.get('/health')).body.detail;
    expect(metrics.MessagesPosted).toBeGreaterThan(0);
    expect(metrics['Deliveries{outcome=processed}']).toBeGreaterThan(0);
    expect(metrics['Decisions{status=approved}']).toBeGreaterThan(0);
    expect(metrics['Decisions{status=awaiting_human}']).toBeGreaterThan(0);
    expect(metrics.FanOutPublished).toBeGreaterThan(0);
  });

  it('an agent cannot resolve a human item: without the human token the API refuses', async () => {
    const result = await runScenario(createClient(rt.apiUrl, { token: 'wrong' }), 'enterprise-expansion');
    const refused = result.checks.find(
      (c) => c.name === 'a human rejects it' || c.name === 'the scenario ran to its end',
    );
    expect(refused?.ok).toBe(false);
    expect(refused?.detail).toMatch(/authenticated human/);
  });
});
