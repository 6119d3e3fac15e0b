/**
 * cdk-nag's AWS Solutions checks on every variant of the app: no finding that is not acknowledged,
 * and every acknowledgment with its reason. (`cdk synth` itself fails on such a finding: the checks
 * are a policy-validation plugin of the app.)
 */
import { App, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { synth } from './synth.ts';
import { PROD, VARIANTS } from './variants.ts';

function findings(app: IConstruct): string[] {
  const report = new AwsSolutionsChecks(app).validateScope(app);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.ruleName} at ${(r as { constructPath?: string }).constructPath}`),
  );
}

/** The acknowledged AWS Solutions rules, as `rule -> reasons`. */
function acknowledged(app: IConstruct): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of app.node.findAll()) {
    for (const m of c.node.metadata) {
      if (m.type !== 'aws:cdk:acknowledged-rules') continue;
      for (const [id, reason] of Object.entries(m.data as Record<string, string>)) {
        if (!id.startsWith('Annotation::AwsSolutions-')) continue;
        const rule = id.slice('Annotation::'.length);
        out.set(rule, [...(out.get(rule) ?? []), reason]);
      }
    }
  }
  return out;
}

/** Each variant synthesized once for the file. */
const apps = new Map<string, ReturnType<typeof synth>['app']>();

beforeAll(() => {
  for (const [name, context] of VARIANTS) apps.set(name, synth(context).app);
}, 240_000);

describe('cdk-nag AwsSolutionsChecks', () => {
  it('finds what it should (the checks are live)', () => {
    const app = new App();
    new sqs.Queue(new Stack(app, 'Bad'), 'Plain', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    expect(findings(app)).toEqual(expect.arrayContaining([expect.stringMatching(/^AwsSolutions-SQS2 /)]));
  });

  it.each(VARIANTS)(
    '%s: no finding that is not acknowledged',
    (name) => {
      expect(findings(apps.get(name)!)).toEqual([]);
    },
    120_000,
  );

  it('every acknowledgment says why; these, and no others', () => {
    const dev = acknowledged(apps.get('dev')!);
    for (const [rule, reasons] of dev) {
      for (const reason of reasons) expect(reason.length, rule).toBeGreaterThan(60);
    }
    expect([...dev.keys()].sort()).toEqual(
      [
        'AwsSolutions-AEC4', // dev only: one cache node
        'AwsSolutions-AEC6', // no Redis AUTH token (network isolation and TLS instead)
        'AwsSolutions-APIG4', // the dashboard's static files load without IAM; every API route has it
        'AwsSolutions-IAM5[Resource::*]', // X-Ray trace upload; EC2 network-interface actions of functions in the VPC
        'AwsSolutions-IAM5[Resource::<MigrateFunctionE2483A46.Arn>:*]', // the Provider invoking the migrate function
        'AwsSolutions-L1', // nodejs22.x, the project's runtime
        'AwsSolutions-RDS10', // dev only: no deletion protection
        'AwsSolutions-SQS3', // the dead-letter queues themselves
      ].sort(),
    );
    const prod = acknowledged(apps.get(PROD)!);
    expect(prod.has('AwsSolutions-RDS10')).toBe(false);
    expect(prod.has('AwsSolutions-AEC4')).toBe(false);
  });
});
