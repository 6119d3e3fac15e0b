/**
 * Every resource policy and inline IAM policy of every stack, in every variant the tests synthesize
 * (variants.ts, LocalStack included), against the size and count limits AWS documents for it
 * (policy-limits.ts lists each limit with its source). CloudFormation refuses a policy over one with
 * `OverLimit` and rolls the whole stack back: this is where it is caught instead.
 */
import { describe, expect, it } from 'vitest';
import { stackNames } from '../../infra/echo.ts';
import { LIMITS, type MeasuredPolicy, measurePolicies, overLimits, Resolver } from './policy-limits.ts';
import { synth } from './synth.ts';
import { VARIANTS } from './variants.ts';

function measure(context: Record<string, string>) {
  const s = synth(context);
  const names = stackNames(s.config.stage);
  return measurePolicies([
    { name: names.stateful, template: s.statefulTemplate.toJSON() as any },
    { name: names.stateless, template: s.statelessTemplate.toJSON() as any },
  ]);
}

describe.each(VARIANTS)('%s', (_, context) => {
  let measured: ReturnType<typeof measure>;
  const policies = (kind?: MeasuredPolicy['kind']) =>
    measured.policies.filter((p) => !kind || p.kind === kind);

  it('every policy is within its documented limits, and none is of a kind without one', () => {
    measured = measure(context);
    expect(measured.unknown).toEqual([]);
    expect(measured.policies.flatMap(overLimits)).toEqual([]);
  }, 180_000);

  it("measures what deploys: the queue policies, each role's inline policies, each function's permissions, the alarms topic and its key", () => {
    expect(policies('sqs-queue-policy').length).toBeGreaterThanOrEqual(2);
    expect(policies('iam-role-inline').length).toBeGreaterThanOrEqual(15);
    expect(policies('iam-trust-policy').length).toBeGreaterThanOrEqual(15);
    expect(policies('lambda-function-policy').length).toBeGreaterThanOrEqual(11);
    // The alarms topic and its key.
    expect(policies('sns-topic-policy')).toHaveLength(1);
    expect(policies('kms-key-policy')).toHaveLength(1);
  });
});

describe('the measure itself', () => {
  it('resolves ARNs as AWS forms them, with the longest partition, Region and account', () => {
    const stack = {
      name: 'echo-x-stateless',
      template: {
        Resources: {
          Fn: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'echo-x-agent-cto' } },
          Rule: {
            Type: 'AWS::Events::Rule',
            Properties: { Name: 'echo-x-agent-cto', EventBusName: 'echo-x' },
          },
          Q: { Type: 'AWS::SQS::Queue', Properties: {} },
        },
      },
    };
    const r = new Resolver([stack]);
    expect(r.resolve(stack, { 'Fn::GetAtt': ['Fn', 'Arn'] })).toBe(
      'arn:aws-us-gov:lambda:ap-southeast-2:123456789012:function:echo-x-agent-cto',
    );
    expect(r.resolve(stack, { 'Fn::GetAtt': ['Rule', 'Arn'] })).toBe(
      'arn:aws-us-gov:events:ap-southeast-2:123456789012:rule/echo-x/echo-x-agent-cto',
    );
    // A generated name: <stack>-<logical id>-<13 characters>, at most 80 for a queue.
    expect(r.resolve(stack, { 'Fn::GetAtt': ['Q', 'Arn'] })).toBe(
      'arn:aws-us-gov:sqs:ap-southeast-2:123456789012:echo-x-stateless-Q-ABCDEFGHIJKLM',
    );
    expect(
      r.resolve(stack, { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { Ref: 'Fn' }]] }),
    ).toBe('arn:aws-us-gov:s3:::echo-x-agent-cto');
  });

  it('catches the failure it exists for: a queue policy of 21 statements, or of 8,193 bytes', () => {
    const statement = (i: number) => ({
      Sid: `S${i}`,
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: { 'Fn::GetAtt': ['Q', 'Arn'] },
    });
    const template = (n: number, pad = '') => ({
      Resources: {
        Q: { Type: 'AWS::SQS::Queue', Properties: {} },
        P: {
          Type: 'AWS::SQS::QueuePolicy',
          Properties: {
            Queues: [{ Ref: 'Q' }],
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                ...Array.from({ length: n }, (_, i) => statement(i)),
                ...(pad ? [{ Sid: pad }] : []),
              ],
            },
          },
        },
      },
    });
    const over = (t: any) => measurePolicies([{ name: 's', template: t }]).policies.flatMap(overLimits);
    expect(over(template(20))).toEqual([]);
    expect(over(template(21))).toEqual([
      expect.stringMatching(/21 statements, over the 20 of Amazon SQS policy quotas/),
    ]);
    const { policies } = measurePolicies([{ name: 's', template: template(1) }]);
    const padTo = LIMITS['sqs-queue-policy'].size + 1 - policies[0]!.size - ',{"Sid":""}'.length;
    expect(over(template(1, 'x'.repeat(padTo)))).toEqual([
      expect.stringMatching(/: 8193 bytes, over the 8192 of Amazon SQS policy quotas/),
    ]);
  });

  it("counts a role's inline policies together, without white space, against 10,240 characters", () => {
    const doc = (n: number) => ({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${'b'.repeat(n)}/ *` }],
    });
    const t = {
      Resources: {
        R: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'r', AssumeRolePolicyDocument: doc(1) } },
        A: { Type: 'AWS::IAM::Policy', Properties: { Roles: [{ Ref: 'R' }], PolicyDocument: doc(5200) } },
        B: { Type: 'AWS::IAM::Policy', Properties: { Roles: [{ Ref: 'R' }], PolicyDocument: doc(5200) } },
      },
    };
    const { policies } = measurePolicies([{ name: 's', template: t }]);
    const inline = policies.find((p) => p.kind === 'iam-role-inline')!;
    expect(inline.what).toBe('inline policies of role r (2)');
    expect(overLimits(inline)).toEqual([
      expect.stringMatching(/over the 10240 of IAM quotas: role policy size/),
    ]);
  });

  it('reports a policy of a kind it has no limit for', () => {
    const t = {
      Resources: {
        B: { Type: 'AWS::S3::Bucket', Properties: {} },
        P: {
          Type: 'AWS::S3::BucketPolicy',
          Properties: { Bucket: { Ref: 'B' }, PolicyDocument: { Statement: [{ Effect: 'Allow' }] } },
        },
      },
    };
    expect(measurePolicies([{ name: 's', template: t }]).unknown).toEqual([
      expect.stringContaining('P (AWS::S3::BucketPolicy): property PolicyDocument holds a policy'),
    ]);
  });
});
