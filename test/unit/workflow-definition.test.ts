/** The workflow language's rules, checked when a definition loads (never at run time). */
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { WORKFLOWS } from '../../lambdas/core/workflows/builtin/index.ts';
import {
  allSteps,
  defineWorkflow,
  type Step,
  WorkflowDefinitionError,
} from '../../lambdas/core/workflows/definition.ts';

const input = z.object({}).loose();
const define = (steps: Step[], extra: { name?: string; deadlineMinutes?: number } = {}) =>
  defineWorkflow({ name: 'w', description: 'w', input, deadlineMinutes: 60, steps, ...extra });
const ask = (id: string, extra: Partial<Step> = {}) =>
  ({ id, kind: 'request', to: 'cto', subject: 'q', ...extra }) as Step;

describe('workflow definitions', () => {
  it('the built-in workflows load, and every step id is unique across them', () => {
    expect([...WORKFLOWS.keys()]).toEqual([
      'feature-development',
      'hiring',
      'incident-response',
      'revenue-3x',
    ]);
    for (const w of WORKFLOWS.values()) {
      const ids = [...allSteps(w.steps)].map((s) => s.id);
      expect(new Set(ids).size, w.name).toBe(ids.length);
    }
  });

  it.each([
    ['a step id used twice', () => define([ask('a'), ask('a')]), 'step a: the id is used twice'],
    ['a step id that is not a name', () => define([ask('A b')]), 'step A b: the id must be lowercase'],
    ['a workflow name that is not kebab-case', () => define([ask('a')], { name: 'My Flow' }), 'kebab-case'],
    ['no steps', () => define([]), 'it has no steps'],
    [
      'a run deadline of zero',
      () => define([ask('a')], { deadlineMinutes: 0 }),
      'deadlineMinutes must be from 1',
    ],
    ['a role that does not exist', () => define([ask('a', { to: 'cfo' as never })]), 'step a: no role cfo'],
    [
      'a tool the role does not have',
      () => define([ask('a', { tool: 'approve_hiring_request' })]),
      'step a: cto has no tool approve_hiring_request',
    ],
    [
      'a request with neither tool nor subject',
      () => define([{ id: 'a', kind: 'request', to: 'cto' }]),
      'a request names a tool or a subject',
    ],
    [
      'requireApproval without waiting on the decision',
      () => define([ask('a', { requireApproval: true })]),
      "requireApproval needs await: 'decision'",
    ],
    [
      'retry with one attempt',
      () => define([ask('a', { deadlineMinutes: 5, onTimeout: { action: 'retry', attempts: 1 } })]),
      'retry attempts must be from 2 to 10',
    ],
    [
      'an approval that would retry',
      () => define([{ id: 'h', kind: 'approval', reason: 'r', onTimeout: { action: 'retry', attempts: 2 } }]),
      'step h: a approval step can only fail on timeout',
    ],
    [
      'a parallel step with one branch',
      () => define([{ id: 'p', kind: 'parallel', branches: [[ask('a')]] }]),
      'needs at least two branches',
    ],
    [
      'a join on more branches than there are',
      () => define([{ id: 'p', kind: 'parallel', join: { first: 3 }, branches: [[ask('a')], [ask('b')]] }]),
      'join.first must be from 1 to 2',
    ],
    [
      'a branch with nothing on either side',
      () => define([{ id: 'b', kind: 'branch', when: () => true, steps: [] }]),
      'both branches are empty',
    ],
    [
      'a decision without participants',
      () => define([{ id: 'd', kind: 'decision', owner: 'ceo', participants: [] }]),
      'participants must be roles, at least one',
    ],
    [
      'a nested step with a duplicate id',
      () => define([ask('a'), { id: 'p', kind: 'parallel', branches: [[ask('x')], [ask('a')]] }]),
      'step a: the id is used twice',
    ],
  ])('rejects %s', (_, load, message) => {
    expect(load).toThrow(WorkflowDefinitionError);
    expect(load).toThrow(message);
  });
});
