/**
 * The local EventBridge answers what a user tries next, with the real AWS CLI: put-events naming the
 * deployed bus `echo-<stage>` is delivered; list-event-buses, describe-event-bus, list-rules,
 * describe-rule, list-targets-by-rule and list-rule-names-by-target answer from the local bus, with
 * the rules exactly as the CDK stack makes them for the same stage: compared here with the template
 * synthesized in this test (names, patterns, descriptions, buses, target functions).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROLES } from '../../lambdas/core/roles.ts';
import { synth } from '../infra/synth.ts';
import { aws } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

// Each case runs the AWS CLI (a Python process) several times: generous on a busy machine.
vi.setConfig({ testTimeout: 180_000 });

interface DeployedRule {
  Name: string;
  EventPattern: unknown;
  Description: string;
  EventBusName: string;
  functionName: string;
}

/** The stage's rules as the CDK stack makes them (schedules aside: the local runtime has timers). */
function deployedRules(stage: string): DeployedRule[] {
  const template = synth({ stage }).statelessTemplate.toJSON();
  const resources = template.Resources as Record<string, { Type: string; Properties: any }>;
  const functionName = (arn: unknown) => {
    const id = (arn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    return resources[id]!.Properties.FunctionName as string;
  };
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::Events::Rule' && r.Properties.EventPattern)
    .map((r) => ({
      Name: r.Properties.Name,
      EventPattern: r.Properties.EventPattern,
      Description: r.Properties.Description,
      // the stage's own bus is a reference to the stateful stack's; no bus is the default bus
      EventBusName: r.Properties.EventBusName ? `echo-${stage}` : 'default',
      functionName: functionName(r.Properties.Targets[0].Arn),
    }));
}

describe('aws events against the local EventBridge', () => {
  let rt: TestRuntime;
  let deployed: DeployedRule[];
  const events = async (...args: string[]) => {
    const r = await aws(['events', ...args], rt.awsUrl);
    return { ...r, json: r.code === 0 ? JSON.parse(r.stdout) : undefined };
  };

  beforeAll(async () => {
    deployed = deployedRules('local');
    rt = await startTestRuntime({ database: 'pglite' });
  }, 180_000);
  afterAll(async () => rt?.close());

  it('list-event-buses and describe-event-bus: the default bus and the stage bus echo-local', async () => {
    const buses = await events('list-event-buses');
    expect(buses.json.EventBuses).toEqual([
      { Name: 'default', Arn: 'arn:aws:events:us-east-1:000000000000:event-bus/default' },
      { Name: 'echo-local', Arn: 'arn:aws:events:us-east-1:000000000000:event-bus/echo-local' },
    ]);
    expect((await events('describe-event-bus', '--name', 'echo-local')).json).toEqual({
      Name: 'echo-local',
      Arn: 'arn:aws:events:us-east-1:000000000000:event-bus/echo-local',
    });
    expect((await events('describe-event-bus')).json.Name).toBe('default');
    const unknown = await events('describe-event-bus', '--name', 'echo-prod');
    expect(unknown.stderr).toContain('(ResourceNotFoundException)');
    expect(unknown.stderr).toContain('Event bus echo-prod does not exist.');
  });

  it("list-rules shows the stage bus's rules exactly as the CDK stack makes them, the nine agents' among them", async () => {
    const listed = (await events('list-rules', '--event-bus-name', 'echo-local')).json.Rules as any[];
    const expected = deployed.filter((r) => r.EventBusName === 'echo-local');
    expect(
      listed
        .map((r) => ({ ...r, EventPattern: JSON.parse(r.EventPattern) }))
        .sort((a, b) => (a.Name < b.Name ? -1 : 1)),
    ).toEqual(
      expected
        .map((r) => ({
          Name: r.Name,
          Arn: `arn:aws:events:us-east-1:000000000000:rule/echo-local/${r.Name}`,
          EventPattern: r.EventPattern,
          State: 'ENABLED',
          Description: r.Description,
          EventBusName: 'echo-local',
        }))
        .sort((a, b) => (a.Name < b.Name ? -1 : 1)),
    );
    for (const role of ROLES)
      expect(listed.map((r) => r.Name)).toContain(`echo-local-agent-${role.replaceAll('_', '-')}`);
    expect(listed).toHaveLength(ROLES.length + 3);

    const onDefault = (await events('list-rules')).json.Rules as any[];
    expect(onDefault.map((r) => [r.Name, JSON.parse(r.EventPattern), r.Description])).toEqual(
      deployed
        .filter((r) => r.EventBusName === 'default')
        .map((r) => [r.Name, r.EventPattern, r.Description]),
    );

    const first = await events('list-rules', '--event-bus-name', 'echo-local', '--limit', '5');
    expect(first.json.Rules).toHaveLength(5);
    const rest = await events(
      'list-rules',
      '--event-bus-name',
      'echo-local',
      '--next-token',
      first.json.NextToken,
    );
    expect([...first.json.Rules, ...rest.json.Rules].map((r: any) => r.Name)).toEqual(
      listed.map((r) => r.Name),
    );
    const prefixed = await events(
      'list-rules',
      '--event-bus-name',
      'echo-local',
      '--name-prefix',
      'echo-local-workflow-',
    );
    expect(prefixed.json.Rules.map((r: any) => r.Name)).toEqual([
      'echo-local-workflow-decisions',
      'echo-local-workflow-replies',
    ]);
  });

  it('describe-rule and list-targets-by-rule: the pattern and the function, as deployed', async () => {
    const cto = deployed.find((r) => r.Name === 'echo-local-agent-cto')!;
    const described = await events('describe-rule', '--name', cto.Name, '--event-bus-name', 'echo-local');
    expect({ ...described.json, EventPattern: JSON.parse(described.json.EventPattern) }).toEqual({
      Name: cto.Name,
      Arn: 'arn:aws:events:us-east-1:000000000000:rule/echo-local/echo-local-agent-cto',
      EventPattern: cto.EventPattern,
      State: 'ENABLED',
      Description: cto.Description,
      EventBusName: 'echo-local',
    });
    const targets = await events(
      'list-targets-by-rule',
      '--rule',
      cto.Name,
      '--event-bus-name',
      'echo-local',
    );
    expect(targets.json.Targets).toEqual([
      { Id: 'Target0', Arn: `arn:aws:lambda:us-east-1:000000000000:function:${cto.functionName}` },
    ]);
    const byTarget = await events(
      'list-rule-names-by-target',
      '--target-arn',
      `arn:aws:lambda:us-east-1:000000000000:function:echo-local-ingest`,
      '--event-bus-name',
      'echo-local',
    );
    expect(byTarget.json.RuleNames).toEqual(['echo-local-ingest']);

    const missing = await events('describe-rule', '--name', 'echo-local-agent-cto');
    expect(missing.stderr).toContain('(ResourceNotFoundException)');
    expect(missing.stderr).toContain('Rule echo-local-agent-cto does not exist on EventBus default.');
  });

  it('put-events naming the deployed bus echo-local (by name or ARN) is delivered', async () => {
    const entry = (busName: string, question: string) => ({
      Source: 'echo.client',
      DetailType: 'PostMessage',
      EventBusName: busName,
      Detail: JSON.stringify({ to: 'senior_developer', subject: 'what_do_you_do', content: { question } }),
    });
    const put = await events(
      'put-events',
      '--entries',
      JSON.stringify([
        entry('echo-local', 'named bus?'),
        entry('arn:aws:events:us-east-1:000000000000:event-bus/echo-local', 'bus ARN?'),
        entry('echo-prod', 'another stage?'),
      ]),
    );
    expect(put.json).toMatchObject({
      FailedEntryCount: 1,
      Entries: [
        { EventId: expect.any(String) },
        { EventId: expect.any(String) },
        { ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Event bus echo-prod does not exist.' },
      ],
    });
    const questions = await eventually(
      async () => {
        const { body } = await rt.get('/messages?type=request&limit=100');
        const asked = body.messages.map((m: any) => m.content.question);
        return asked.includes('named bus?') && asked.includes('bus ARN?') ? asked : undefined;
      },
      20_000,
      'both requests',
    );
    expect(questions).not.toContain('another stage?');
  });
});
