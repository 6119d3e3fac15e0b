/**
 * The `-c localstack=true` variant: no VPC, no Aurora, no ElastiCache, no API Gateway (none is in
 * LocalStack's free tier); the functions reach the docker-compose sidecars by their host names and
 * LocalStack by ECHO_AWS_ENDPOINT. And the context the app reads, checked with the key's name.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../infra/config.ts';
import { synth } from './synth.ts';

let stateful: Template;
let stateless: Template;

beforeAll(() => {
  const s = synth({ stage: 'dev', localstack: 'true' });
  stateful = s.statefulTemplate;
  stateless = s.statelessTemplate;
}, 180_000);

describe('localstack=true', () => {
  it('has no VPC, no Aurora, no ElastiCache, no API Gateway: only the bus (and its policy) is stateful', () => {
    for (const t of [stateful, stateless]) {
      for (const type of [
        'AWS::EC2::VPC',
        'AWS::RDS::DBCluster',
        'AWS::ElastiCache::ReplicationGroup',
        'AWS::ApiGatewayV2::Api',
        'AWS::SecretsManager::Secret',
      ]) {
        t.resourceCountIs(type, 0);
      }
    }
    expect(Object.values(stateful.toJSON().Resources).map((r: any) => r.Type)).toEqual([
      'AWS::Events::EventBus',
      'AWS::Events::EventBusPolicy',
    ]);
  });

  it('functions get DATABASE_URL, REDIS_URL and ECHO_AWS_ENDPOINT for the sidecars, and no Data API', () => {
    const fns = Object.values(stateless.findResources('AWS::Lambda::Function')).filter((f) =>
      /^echo-dev-(agent|ingest|sweeper|deadlines|workflows|api|migrate$)/.test(f.Properties.FunctionName),
    );
    expect(fns).toHaveLength(15);
    for (const f of fns) {
      const env = f.Properties.Environment.Variables;
      expect(env.DATABASE_URL, f.Properties.FunctionName).toBe('postgres://echo:echo@postgres:5432/echo');
      expect(env.ECHO_AWS_ENDPOINT).toBe('http://localstack:4566');
      expect(env.ECHO_DB_CLUSTER_ARN).toBeUndefined();
      expect(f.Properties.VpcConfig).toBeUndefined();
      if (f.Properties.FunctionName !== 'echo-dev-migrate') expect(env.REDIS_URL).toBe('redis://redis:6379');
      expect(env.ECHO_LLM_PROVIDER).toBeUndefined(); // the rules engine: no Bedrock on LocalStack
    }
    expect(JSON.stringify(stateless.findResources('AWS::IAM::Policy'))).not.toMatch(/rds-data|bedrock|ec2:/);
  });

  it('the API is a function URL with IAM authorization', () => {
    stateless.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
  });

  it('keeps the rules, the schedules, the queues and the migration', () => {
    // Per role: its rule and its catch-up (18); ingest on the bus and on the default bus; the sweeper,
    // the deadlines; the workflow coordinator's two rules and its tick.
    expect(Object.keys(stateless.findResources('AWS::Events::Rule'))).toHaveLength(25);
    stateless.resourceCountIs('AWS::SQS::Queue', 2);
    stateless.resourceCountIs('Custom::EchoSchemaMigration', 1);
  });
});

describe('context', () => {
  const read = (ctx: Record<string, unknown>) => readConfig((k) => ctx[k]);

  it('defaults: stage dev, AWS, Bedrock, deletion protection off for dev and on elsewhere', () => {
    const dev = read({});
    expect(dev).toMatchObject({
      stage: 'dev',
      localstack: false,
      deletionProtection: false,
      logRetentionDays: 14,
    });
    expect(dev.bedrockModels).toHaveLength(1);
    expect(read({ stage: 'prod' })).toMatchObject({ deletionProtection: true, retainData: true });
    expect(read({ stage: 'prod', deletionProtection: 'false' }).deletionProtection).toBe(false);
    expect(read({ llm: 'rules' }).bedrockModels).toEqual([]);
    expect(read({ bedrockModels: 'a.b-v1:0, us.c.d-v1:0' }).bedrockModels).toEqual([
      'a.b-v1:0',
      'us.c.d-v1:0',
    ]);
  });

  it('a bad value names its key', () => {
    expect(() => read({ stage: 'Prod_1' })).toThrow(/context stage:/);
    expect(() => read({ localstack: 'yes' })).toThrow(/context localstack: must be true or false/);
    expect(() => read({ logRetentionDays: '10' })).toThrow(/context logRetentionDays:/);
    expect(() => read({ dbMaxCapacity: '0.5' })).toThrow(/context dbMaxCapacity:/);
    expect(() => read({ llm: 'gpt' })).toThrow(/context llm:/);
  });
});
