/** The lexicon at its boundaries: word forms, synonyms, whole words, figures, and the registry's hygiene. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REGISTRY } from '../../lambdas/core/org/registry.ts';
import { closestRoles, flattenText, scoreRelevance, selfSelect } from '../../lambdas/core/org/relevance.ts';
import { phraseStems, stem, words } from '../../lambdas/core/org/words.ts';
import { ROLES, type Role } from '../../lambdas/core/roles.ts';

const verdicts = (text: string) =>
  Object.fromEntries(ROLES.map((role) => [role, selfSelect(role, text, { llmVerdict: undefined })]));

describe('word forms', () => {
  it.each([
    [['hire', 'hires', 'hiring', 'hired'], 'hir'],
    [['migrate', 'migrates', 'migrating', 'migrated', 'migration', 'migrations'], 'migr'],
    [['adopt', 'adopts', 'adopting', 'adopted', 'adoption'], 'adopt'],
    [['optimize', 'optimise', 'optimizing', 'optimised', 'optimization', 'optimisation'], 'optim'],
    [['deploy', 'deploys', 'deployed', 'deploying', 'deployment', 'deployments'], 'deploy'],
    [['scale', 'scaling', 'scalable', 'scalability'], 'scal'],
    [['implement', 'implementing', 'implementation'], 'impl'],
    [['company', 'companies'], 'company'],
    [['process', 'processes'], 'process'],
    [['plan', 'plans', 'planned', 'planning'], 'plan'],
    [['secure', 'security', 'securing'], 'secur'],
    [['operate', 'operations', 'operational'], 'oper'],
    [['availability', 'available'], 'avail'],
  ])('%j all reduce to "%s"', (forms, expected) => {
    for (const form of forms) expect(stem(form), form).toBe(expected);
  });

  it('leaves short words, words with digits and known traps whole', () => {
    expect(
      ['hr', 'ops', 'aws', 'us', 'api', 'k8s', 'q3', '3x', 'status', 'analysis', 'redis'].map(stem),
    ).toEqual(['hr', 'ops', 'aws', 'us', 'api', 'k8s', 'q3', '3x', 'status', 'analysis', 'redis']);
    expect(stem('production')).not.toBe(stem('product'));
    expect(stem('string')).toBe('string');
  });

  it('splits text into whole words: percentages are one word, sentences are counted, other scripts are not words', () => {
    const ws = words('Churn rose 12.5% in Q3. Revenue fell 3 percent!\nPostgreSQLを採用');
    expect(ws.map((w) => w.stem)).toEqual([
      'churn',
      'ros',
      '%',
      'in',
      'q3',
      'revenu',
      'fell',
      '3',
      '%',
      'postgresql',
    ]);
    expect(ws.map((w) => w.sentence)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 2]);
    expect(phraseStems('event-driven')).toEqual(['event', 'driven']);
    expect(words('ＰｏｓｔｇｒｅＳＱＬ')[0]!.stem).toBe('postgresql');
    expect(words("the customer's churn").map((w) => w.stem)).toEqual(['the', 'customer', 'churn']);
    expect(words('')).toEqual([]);
  });
});

describe('relevance through the lexicon', () => {
  it('keeps whole words: "hr" is not in "three", nor "ui" in "build"', () => {
    expect(scoreRelevance('chro', 'three threads').matched).toEqual([]);
    expect(scoreRelevance('chro', "HR's question").matched).toEqual(['hr']);
    expect(scoreRelevance('uiux_engineer', 'build a guide').matched).toEqual([]);
  });

  it('"Adopt PostgreSQL" is the CTO\'s: a technology choice of a database', () => {
    expect(scoreRelevance('cto', 'Adopt PostgreSQL').matched).toEqual(['database', 'technology choice']);
    expect(scoreRelevance('cto', 'We are migrating the orders service to Kubernetes on AWS').matched).toEqual(
      ['infrastructure', 'cloud', 'technology choice'],
    );
    expect(scoreRelevance('chro', 'Adopt PostgreSQL').matched).toEqual([]);
  });

  it('word forms and synonyms meet the CHRO: hires, recruited, onboard, salaries', () => {
    expect(
      scoreRelevance('chro', 'We hired two recruiters; onboard them and review salaries').matched,
    ).toEqual(['hiring', 'onboarding', 'compensation']);
  });

  it('a concept counts once, however many of its words occur', () => {
    expect(scoreRelevance('chro', 'hire, hiring, hired, recruit, recruiting').matched).toEqual(['hiring']);
    expect(scoreRelevance('cto', 'PostgreSQL, MySQL, Redis and DynamoDB').matched).toEqual(['database']);
  });

  it('an anti-keyword declines in any of its forms', () => {
    expect(selfSelect('senior_architect', 'Recruitment drive for the architecture team', {})).toMatchObject({
      join: false,
      reason: 'not for senior_architect: mentions "recruiting"',
    });
  });

  it('"a 12% rise in churn" is owned: the product manager leads, the CEO assists, no one else joins', () => {
    for (const text of [
      'A 12% rise in churn',
      'Churn is up 12% this quarter',
      'Customer churn rose 12% in Q3',
      'churn jumped from 4% to 4.5%',
      'Our churn rate has doubled since March.',
    ]) {
      const v = verdicts(text);
      expect(v.product_manager, text).toMatchObject({ join: true, as: 'lead', needsLlm: false });
      expect(v.product_manager!.reason, text).toMatch(/^product_manager owns churn/);
      expect(v.ceo, text).toMatchObject({ join: true, as: 'assist' });
      for (const role of ROLES.filter((r) => r !== 'product_manager' && r !== 'ceo'))
        expect(v[role]!.join, `${role}: ${text}`).toBe(false);
    }
  });

  it("employee churn is the CHRO's, not the product manager's", () => {
    const v = verdicts('Employee churn rose 12% this year');
    expect(v.chro).toMatchObject({ join: true, as: 'lead' });
    expect(v.product_manager).toMatchObject({
      join: false,
      reason: 'not for product_manager: mentions "employee churn"',
    });
  });

  it('a figure mentioned with no move, or its move in another sentence, is not a report', () => {
    expect(verdicts('Churn is a topic for the offsite.').product_manager).toMatchObject({
      join: false,
      as: 'observe',
    });
    expect(verdicts('Let us talk about churn. Coffee prices rose 12%.').product_manager!.join).toBe(false);
  });

  it('other figures find their owners: uptime to operations, coverage to the test lead, revenue to the CEO', () => {
    expect(verdicts('Uptime fell to 99.2% last week').operations_head).toMatchObject({
      join: true,
      as: 'lead',
    });
    expect(verdicts('Uptime fell to 99.2% last week').cto).toMatchObject({ join: true, as: 'assist' });
    expect(verdicts('Test coverage dropped to 61%').test_lead).toMatchObject({ join: true, as: 'lead' });
    expect(verdicts('Revenue is down 8% on last quarter').ceo).toMatchObject({ join: true, as: 'lead' });
    expect(verdicts('Attrition hit 18% in support').chro).toMatchObject({ join: true, as: 'lead' });
  });

  it('the short broadcasts of the tests stay as they were: a hiring plan is in between for the CHRO only', () => {
    const v = verdicts('Hiring plan for next quarter');
    expect(selfSelect('chro', 'Hiring plan for next quarter', {})).toMatchObject({ needsLlm: true });
    for (const role of ROLES.filter((r) => r !== 'chro'))
      expect(selfSelect(role, 'Hiring plan for next quarter', {}), role).toMatchObject({
        join: false,
        needsLlm: false,
      });
    expect(v.chro).toMatchObject({ join: false, as: 'observe' });
    for (const text of ['All hands on Monday', 'Town hall', 'Quarterly planning', ''])
      expect(
        Object.values(verdicts(text)).every((x) => !x.join && x.as === null),
        text,
      ).toBe(true);
  });

  it('the revenue-3x broadcast, as the organization posts it, still draws the four that own it and not the CHRO', () => {
    const brief = JSON.parse(
      readFileSync(new URL('../../scenarios/revenue-3x.json', import.meta.url), 'utf8'),
    );
    const text = `STRATEGIC INITIATIVE: 3x Revenue Growth in 18 Months\n${flattenText({
      decisionId: '5b0f7c1e-8a4d-4c52-9a51-2f1e0d9c8b7a',
      ...brief,
      budget_usd: 2_000_000,
    })}`;
    const v = verdicts(text);
    for (const role of ['cto', 'product_manager', 'senior_architect', 'operations_head'] as Role[])
      expect(['lead', 'assist'], role).toContain(v[role]!.as);
    for (const role of ['chro', 'senior_developer', 'test_lead', 'uiux_engineer'] as Role[])
      expect(v[role]!.join, role).toBe(false);
  });

  it('text in another language or script meets nothing, except the names it borrows', () => {
    expect(closestRoles('Wir müssen zwei Entwickler einstellen')).toEqual([]);
    expect(closestRoles('PostgreSQLを採用する')).toEqual([{ role: 'cto', matched: ['database'] }]);
  });

  it('closestRoles ranks who the text is for', () => {
    expect(closestRoles('Hire a recruiter to improve onboarding and training')[0]!.role).toBe('chro');
    expect(closestRoles('Refactor the code and fix the crash in the SDK')[0]!.role).toBe('senior_developer');
    expect(closestRoles('Refactor the code', ['senior_developer'])).toEqual([]);
  });
});

describe('the lexicon of the registry', () => {
  it('no word or phrase means two concepts of the same role, and no anti-keyword is its own concept', () => {
    for (const role of ROLES) {
      const lex = REGISTRY[role].lexicon;
      const seen = new Map<string, string>();
      for (const k of lex.keywords)
        for (const phrase of [k, ...(lex.synonyms[k] ?? [])]) {
          const key = phraseStems(phrase).join(' ');
          expect(seen.get(key), `${role}: "${phrase}" (${k}) is also ${seen.get(key)}`).toBeUndefined();
          seen.set(key, k);
        }
      for (const a of lex.antiKeywords)
        expect(seen.has(phraseStems(a).join(' ')), `${role}: anti-keyword ${a}`).toBe(false);
      for (const name of Object.keys(lex.synonyms)) expect(lex.keywords, role).toContain(name);
    }
  });

  it("tool cues name only the role's own tools, and every tool a request may run has cues", () => {
    for (const role of ROLES) {
      const def = REGISTRY[role];
      const names = def.tools.map((t) => t.name);
      for (const tool of Object.keys(def.lexicon.toolCues)) expect(names, role).toContain(tool);
      const runnable = names.filter(
        (n) =>
          !/^escalate_to_/.test(n) &&
          ![
            'ai_consult',
            'session_consult',
            'remember',
            'recall',
            'override_decision',
            'initiate_decision',
          ].includes(n),
      );
      for (const tool of runnable)
        expect(def.lexicon.toolCues[tool]?.length, `${role}.${tool}`).toBeGreaterThan(0);
    }
  });
});
