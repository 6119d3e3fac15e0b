/**
 * The context variants the infra tests synthesize: cdk-nag runs on each, and every policy of each is
 * measured against AWS's limits (policy-limits.test.ts). A test that synthesizes another variant adds
 * it here.
 */
export const PROD = 'prod (deletion protection, cache replica, data retained)';
export const ALARMS = 'alarms by email, a reader instance, 5 per agent';

export const VARIANTS: [string, Record<string, string>][] = [
  ['dev', { stage: 'dev' }],
  [PROD, { stage: 'prod' }],
  ['localstack', { stage: 'dev', localstack: 'true' }],
  ['a Bedrock inference profile', { stage: 'dev', bedrockModels: 'us.amazon.nova-lite-v1:0' }],
  ['the rules engine only', { stage: 'dev', llm: 'rules', defaultBusIngest: 'false' }],
  [
    ALARMS,
    {
      stage: 'dev',
      alarmEmail: 'ops@example.com,oncall@example.com',
      dbReader: 'true',
      agentConcurrency: '5',
    },
  ],
  // Every name carries the stage: the longest one a stage can have makes every policy its largest.
  [
    'the longest stage name (20 characters), data retained',
    { stage: 'a-stage-of-20-chars0', retainData: 'true' },
  ],
  ['the longest stage name on LocalStack', { stage: 'a-stage-of-20-chars0', localstack: 'true' }],
];
