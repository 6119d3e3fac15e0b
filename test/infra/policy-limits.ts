/**
 * Every policy a synthesized app would hand to AWS, measured against the limits AWS documents for
 * it, so that a policy that grows past one (the events dead-letter queue's did: 26 statements, where
 * SQS takes 20) fails here rather than in CloudFormation, which answers `OverLimit` and rolls the
 * stack back.
 *
 * A template holds intrinsic functions (`Ref`, `Fn::GetAtt`, `Fn::ImportValue`, `Fn::Join`, ...),
 * not the ARNs AWS will see. They are resolved here as the deployment would resolve them, with the
 * longest values a deployment can have: the `aws-us-gov` partition, a 14-character Region, a
 * 12-digit account, and for a name CloudFormation generates, the longest it generates
 * (`<stack>-<logical id>-<13 characters>`, cut to the resource type's maximum). A value that cannot be
 * worked out (an attribute this file does not know) is a 128-character placeholder: the measure errs
 * long, never short.
 *
 * The limits, with where AWS documents them:
 * - SQS queue policy: 8,192 bytes, 20 statements, 7 actions per statement, 50 principals, 10
 *   conditions (Amazon SQS Developer Guide, "Amazon SQS policy quotas",
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-policies.html).
 *   "Conditions" is read strictly here: every value of every condition key counts.
 * - SNS topic policy: 30 KB, 100 statements, 200 principals (Amazon SNS Developer Guide, "Amazon SNS API
 *   permissions: Actions and resources reference", Policy quotas,
 *   https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html).
 * - IAM: the inline policies of one role together 10,240 characters, a managed policy 6,144, a role's
 *   trust policy 2,048 (the default quota); IAM does not count white space (IAM User Guide, "IAM and
 *   AWS STS quotas, name requirements, and character limits",
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
 * - Lambda: a function's resource-based policy (every `AWS::Lambda::Permission` of it is a statement)
 *   20 KB (Lambda Developer Guide, "Lambda quotas", Function configuration, deployment, and execution,
 *   https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
 * - EventBridge: an event bus's policy 10,240 characters (EventBridge User Guide, "Amazon EventBridge
 *   quotas", Event bus policy size, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html).
 * - Secrets Manager: a secret's resource policy 20,480 characters (Secrets Manager User Guide,
 *   "AWS Secrets Manager quotas", and the API's `ResourcePolicy` length constraint,
 *   https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutResourcePolicy.html).
 * - CloudWatch Logs: a resource policy 5,120 characters (CloudWatch Logs User Guide, "CloudWatch Logs
 *   quotas", https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html).
 * - KMS: a key policy 32 KiB (32,768 bytes) (AWS KMS Developer Guide, "Resource quotas", key policy
 *   document size, https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html; and
 *   the PutKeyPolicy API's Policy parameter).
 * - VPC endpoint policy: 20,480 characters, white space included (Amazon VPC User Guide, AWS PrivateLink
 *   quotas, https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-limits-endpoints.html).
 *
 * A resource that carries a policy of a kind not listed here is reported as such: add its limit.
 */

export const PLACEHOLDER = {
  partition: 'aws-us-gov',
  region: 'ap-southeast-2',
  account: '123456789012',
  urlSuffix: 'amazonaws.com.cn',
  /** A value this file cannot work out. */
  unknown: 'x'.repeat(128),
};

type Json = unknown;
type Resource = { Type: string; Properties?: Record<string, any>; DependsOn?: string[] };
export interface StackTemplate {
  /** The stack's name, as deployed. */
  name: string;
  template: { Resources: Record<string, Resource>; Outputs?: Record<string, any> };
}

/** A policy as AWS would receive it, and what it belongs to. */
export interface MeasuredPolicy {
  stack: string;
  /** e.g. `SQS queue policy of echo-dev-events-dlq`. */
  what: string;
  kind: PolicyKind;
  document: Json;
  /** The bytes (or characters) that count: compact JSON, without white space where the service ignores it. */
  size: number;
  statements: number;
}

export type PolicyKind =
  | 'sqs-queue-policy'
  | 'sns-topic-policy'
  | 'iam-role-inline'
  | 'iam-managed-policy'
  | 'iam-trust-policy'
  | 'lambda-function-policy'
  | 'eventbridge-bus-policy'
  | 'secretsmanager-resource-policy'
  | 'logs-resource-policy'
  | 'kms-key-policy'
  | 'vpc-endpoint-policy';

export interface Limit {
  /** Maximum size in bytes or characters of the document, as the service measures it. */
  size: number;
  /** White space does not count (IAM). */
  ignoresWhitespace: boolean;
  statements?: number;
  actionsPerStatement?: number;
  principals?: number;
  conditions?: number;
  source: string;
}

export const LIMITS: Record<PolicyKind, Limit> = {
  'sqs-queue-policy': {
    size: 8192,
    ignoresWhitespace: false,
    statements: 20,
    actionsPerStatement: 7,
    principals: 50,
    conditions: 10,
    source: 'Amazon SQS policy quotas',
  },
  'sns-topic-policy': {
    size: 30 * 1024,
    ignoresWhitespace: false,
    statements: 100,
    principals: 200,
    source: 'Amazon SNS policy quotas',
  },
  'iam-role-inline': { size: 10_240, ignoresWhitespace: true, source: 'IAM quotas: role policy size' },
  'iam-managed-policy': { size: 6144, ignoresWhitespace: true, source: 'IAM quotas: managed policy size' },
  'iam-trust-policy': { size: 2048, ignoresWhitespace: true, source: 'IAM quotas: role trust policy length' },
  'lambda-function-policy': {
    size: 20 * 1024,
    ignoresWhitespace: false,
    source: 'Lambda quotas: function resource-based policy',
  },
  'eventbridge-bus-policy': {
    size: 10_240,
    ignoresWhitespace: false,
    source: 'EventBridge quotas: event bus policy size',
  },
  'secretsmanager-resource-policy': {
    size: 20_480,
    ignoresWhitespace: false,
    source: 'Secrets Manager quotas: resource-based policy',
  },
  'logs-resource-policy': {
    size: 5120,
    ignoresWhitespace: false,
    source: 'CloudWatch Logs quotas: resource policies',
  },
  'kms-key-policy': {
    size: 32_768,
    ignoresWhitespace: false,
    source: 'AWS KMS quotas: key policy document size',
  },
  'vpc-endpoint-policy': {
    size: 20_480,
    ignoresWhitespace: false,
    source: 'AWS PrivateLink quotas: VPC endpoint policy',
  },
};

/** The longest name CloudFormation generates for a resource of this type. */
const GENERATED_NAME_MAX: Record<string, number> = {
  'AWS::Lambda::Function': 64,
  'AWS::IAM::Role': 64,
  'AWS::SQS::Queue': 80,
  'AWS::SNS::Topic': 256,
  'AWS::Events::Rule': 64,
  'AWS::Logs::LogGroup': 512,
};

/** The properties holding a resource's physical name, by type. */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Events::Rule': 'Name',
  'AWS::Events::EventBus': 'Name',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::RDS::DBCluster': 'DBClusterIdentifier',
  'AWS::RDS::DBInstance': 'DBInstanceIdentifier',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::ElastiCache::ReplicationGroup': 'ReplicationGroupId',
  'AWS::ApiGatewayV2::Api': 'Name',
};

/** Resolves a template's values as a deployment would, with the longest values it can have. */
export class Resolver {
  private readonly exports = new Map<string, { stack: StackTemplate; value: Json }>();

  constructor(stacks: readonly StackTemplate[]) {
    for (const stack of stacks) {
      for (const output of Object.values(stack.template.Outputs ?? {})) {
        const name = output.Export?.Name;
        if (typeof name === 'string') this.exports.set(name, { stack, value: output.Value });
      }
    }
  }

  /** A value with every intrinsic function replaced by what it becomes. */
  resolve(stack: StackTemplate, value: Json): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(stack, v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, Json>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0]!;
      switch (fn) {
        case 'Ref':
          return this.ref(stack, arg as string);
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? arg : String(arg).split('.');
          return this.getAtt(stack, id as string, attr as string);
        }
        case 'Fn::ImportValue': {
          const name = this.str(stack, arg);
          const exported = this.exports.get(name);
          return exported ? this.str(exported.stack, exported.value) : PLACEHOLDER.unknown;
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, Json[]];
          return (this.resolve(stack, parts) as Json[]).map((p) => this.str(stack, p)).join(sep);
        }
        case 'Fn::Sub': {
          const [text, vars] = Array.isArray(arg)
            ? (arg as [string, Record<string, Json>])
            : [arg as string, {}];
          return text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
            if (name in vars) return this.str(stack, vars[name]);
            const [id, attr] = name.split('.');
            return attr
              ? this.str(stack, this.getAtt(stack, id!, attr))
              : this.str(stack, this.ref(stack, id!));
          });
        }
        case 'Fn::Select': {
          const [index, list] = arg as [number, Json];
          const items = this.resolve(stack, list);
          return Array.isArray(items) ? items[Number(index)] : PLACEHOLDER.unknown;
        }
        case 'Fn::Split': {
          const [sep, text] = arg as [string, Json];
          return this.str(stack, text).split(sep);
        }
        case 'Fn::If': {
          // Either branch may be taken: the longer one.
          const [, a, b] = arg as [string, Json, Json];
          const [ra, rb] = [this.resolve(stack, a), this.resolve(stack, b)];
          return JSON.stringify(ra).length >= JSON.stringify(rb).length ? ra : rb;
        }
        case 'Fn::GetAZs':
          return ['ap-southeast-2a', 'ap-southeast-2b', 'ap-southeast-2c'];
        case 'Fn::Base64':
          return Buffer.from(this.str(stack, arg)).toString('base64');
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(stack, v)]));
  }

  private str(stack: StackTemplate, value: Json): string {
    const resolved = this.resolve(stack, value);
    return typeof resolved === 'string' ? resolved : String(resolved);
  }

  private resource(stack: StackTemplate, id: string): Resource | undefined {
    return stack.template.Resources[id];
  }

  /** The physical name: the one the template gives, else the longest CloudFormation would generate. */
  nameOf(stack: StackTemplate, id: string): string {
    const r = this.resource(stack, id);
    const prop = r && NAME_PROPERTY[r.Type];
    const given = prop ? r.Properties?.[prop] : undefined;
    if (given !== undefined) return this.str(stack, given);
    const max = (r && GENERATED_NAME_MAX[r.Type]) ?? 128;
    return `${stack.name}-${id}-ABCDEFGHIJKLM`.slice(0, max);
  }

  private ref(stack: StackTemplate, id: string): Json {
    switch (id) {
      case 'AWS::Partition':
        return PLACEHOLDER.partition;
      case 'AWS::Region':
        return PLACEHOLDER.region;
      case 'AWS::AccountId':
        return PLACEHOLDER.account;
      case 'AWS::URLSuffix':
        return PLACEHOLDER.urlSuffix;
      case 'AWS::StackName':
        return stack.name;
      case 'AWS::StackId':
        return `arn:${PLACEHOLDER.partition}:cloudformation:${PLACEHOLDER.region}:${PLACEHOLDER.account}:stack/${stack.name}/01234567-89ab-cdef-0123-456789abcdef`;
      case 'AWS::NoValue':
        return '';
    }
    const r = this.resource(stack, id);
    if (!r) return PLACEHOLDER.unknown; // a parameter
    const { partition: p, region: g, account: a } = PLACEHOLDER;
    switch (r.Type) {
      // Types whose Ref is their ARN.
      case 'AWS::SNS::Topic':
      case 'AWS::SecretsManager::Secret':
      case 'AWS::SecretsManager::SecretTargetAttachment':
      case 'AWS::IAM::ManagedPolicy':
        return this.arnOf(stack, id);
      case 'AWS::SQS::Queue':
        return `https://sqs.${g}.${PLACEHOLDER.urlSuffix}/${a}/${this.nameOf(stack, id)}`;
      case 'AWS::ApiGatewayV2::Api':
        return 'abcdefghij';
      default:
        if (NAME_PROPERTY[r.Type]) return this.nameOf(stack, id);
        return `${p}-${id}`.padEnd(64, 'x');
    }
  }

  private getAtt(stack: StackTemplate, id: string, attr: string): Json {
    const r = this.resource(stack, id);
    if (!r) return PLACEHOLDER.unknown;
    if (attr === 'Arn') return this.arnOf(stack, id);
    if (r.Type === 'AWS::SQS::Queue' && attr === 'QueueName') return this.nameOf(stack, id);
    if (r.Type === 'AWS::SQS::Queue' && attr === 'QueueUrl') return this.ref(stack, id);
    if (r.Type === 'AWS::Events::EventBus' && attr === 'Name') return this.nameOf(stack, id);
    if (r.Type === 'AWS::IAM::Role' && attr === 'RoleId') return 'AROAABCDEFGHIJKLMNOPQ';
    return PLACEHOLDER.unknown;
  }

  /** A resource's ARN, as AWS forms it for its type. */
  arnOf(stack: StackTemplate, id: string): string {
    const r = this.resource(stack, id);
    const { partition: p, region: g, account: a } = PLACEHOLDER;
    const name = this.nameOf(stack, id);
    switch (r?.Type) {
      case 'AWS::Lambda::Function':
        return `arn:${p}:lambda:${g}:${a}:function:${name}`;
      case 'AWS::SQS::Queue':
        return `arn:${p}:sqs:${g}:${a}:${name}`;
      case 'AWS::SNS::Topic':
        return `arn:${p}:sns:${g}:${a}:${name}`;
      case 'AWS::Events::EventBus':
        return `arn:${p}:events:${g}:${a}:event-bus/${name}`;
      case 'AWS::Events::Rule': {
        const bus = r.Properties?.EventBusName;
        const busName = bus === undefined ? '' : this.str(stack, bus).replace(/^arn:.*:event-bus\//, '');
        return `arn:${p}:events:${g}:${a}:rule/${busName && busName !== 'default' ? `${busName}/` : ''}${name}`;
      }
      case 'AWS::Logs::LogGroup':
        return `arn:${p}:logs:${g}:${a}:log-group:${name}:*`;
      case 'AWS::IAM::Role':
        return `arn:${p}:iam::${a}:role/${name}`;
      case 'AWS::IAM::ManagedPolicy':
        return `arn:${p}:iam::${a}:policy/${this.nameOf(stack, id)}`;
      case 'AWS::RDS::DBCluster':
        return `arn:${p}:rds:${g}:${a}:cluster:${name}`;
      case 'AWS::SecretsManager::Secret':
      case 'AWS::SecretsManager::SecretTargetAttachment':
        // Secrets Manager appends a dash and six random characters to the name.
        return `arn:${p}:secretsmanager:${g}:${a}:secret:${name}-AbCdEf`;
      case 'AWS::CloudWatch::Alarm':
        return `arn:${p}:cloudwatch:${g}:${a}:alarm:${name}`;
      case 'AWS::Events::Archive':
        return `arn:${p}:events:${g}:${a}:archive/${name}`;
      default:
        return `arn:${p}:service:${g}:${a}:${PLACEHOLDER.unknown}`;
    }
  }
}

const compact = (doc: Json, ignoresWhitespace: boolean) => {
  const json = JSON.stringify(doc);
  return ignoresWhitespace ? json.replace(/\s/g, '') : json;
};
const sizeOf = (doc: Json, kind: PolicyKind) =>
  Buffer.byteLength(compact(doc, LIMITS[kind].ignoresWhitespace), 'utf8');
const statementsOf = (doc: any): any[] => [doc?.Statement ?? []].flat();

/** Property names that hold a policy document. */
const POLICY_PROPERTY = /Polic(y|ies)|^KeyPolicy$|^PolicyText$/;

/** Every policy the stacks would hand to AWS, resolved and measured; and the policies of kinds not known here. */
export function measurePolicies(stacks: readonly StackTemplate[]): {
  policies: MeasuredPolicy[];
  unknown: string[];
} {
  const resolver = new Resolver(stacks);
  const policies: MeasuredPolicy[] = [];
  const unknown: string[] = [];
  const add = (stack: StackTemplate, what: string, kind: PolicyKind, document: Json) =>
    policies.push({
      stack: stack.name,
      what,
      kind,
      document,
      size: sizeOf(document, kind),
      statements: statementsOf(document).length,
    });

  for (const stack of stacks) {
    const resources = Object.entries(stack.template.Resources);
    const byQueue = new Map<string, { ids: string[]; statements: any[] }>();
    const byRole = new Map<string, { documents: Json[] }>();
    const byFunction = new Map<string, any[]>();
    const handled = new Set<string>();

    for (const [id, r] of resources) {
      const props = r.Properties ?? {};
      const resolved = () => resolver.resolve(stack, props) as Record<string, any>;
      switch (r.Type) {
        case 'AWS::SQS::QueuePolicy': {
          const p = resolved();
          for (const queue of p.Queues as string[]) {
            const entry = byQueue.get(queue) ?? { ids: [], statements: [] };
            entry.ids.push(id);
            entry.statements.push(...statementsOf(p.PolicyDocument));
            byQueue.set(queue, entry);
          }
          handled.add(id);
          break;
        }
        case 'AWS::SNS::TopicPolicy': {
          const p = resolved();
          for (const topic of p.Topics as string[])
            add(stack, `SNS topic policy of ${topic}`, 'sns-topic-policy', p.PolicyDocument);
          handled.add(id);
          break;
        }
        case 'AWS::IAM::Role': {
          const p = resolved();
          const name = resolver.nameOf(stack, id);
          add(stack, `trust policy of role ${name}`, 'iam-trust-policy', p.AssumeRolePolicyDocument);
          const entry = byRole.get(name) ?? { documents: [] };
          for (const inline of p.Policies ?? []) entry.documents.push(inline.PolicyDocument);
          byRole.set(name, entry);
          handled.add(id);
          break;
        }
        case 'AWS::IAM::Policy': {
          const p = resolved();
          for (const role of p.Roles ?? []) {
            const entry = byRole.get(role) ?? { documents: [] };
            entry.documents.push(p.PolicyDocument);
            byRole.set(role, entry);
          }
          if ((p.Users ?? []).length || (p.Groups ?? []).length)
            unknown.push(`${stack.name} ${id}: an inline policy of a user or group (add its limit)`);
          handled.add(id);
          break;
        }
        case 'AWS::IAM::ManagedPolicy':
          add(
            stack,
            `managed policy ${resolver.nameOf(stack, id)}`,
            'iam-managed-policy',
            resolved().PolicyDocument,
          );
          handled.add(id);
          break;
        case 'AWS::Lambda::Permission': {
          const p = resolved();
          const fn = String(p.FunctionName).replace(/^arn:[^:]+:lambda:[^:]+:\d+:function:/, '');
          const condition: Record<string, any> = {};
          if (p.SourceArn) condition.ArnLike = { 'AWS:SourceArn': p.SourceArn };
          if (p.SourceAccount) condition.StringEquals = { 'AWS:SourceAccount': p.SourceAccount };
          if (p.FunctionUrlAuthType)
            condition.StringEquals = {
              ...condition.StringEquals,
              'lambda:FunctionUrlAuthType': p.FunctionUrlAuthType,
            };
          if (p.PrincipalOrgID)
            condition.StringEquals = { ...condition.StringEquals, 'aws:PrincipalOrgID': p.PrincipalOrgID };
          const principal = String(p.Principal);
          const statement = {
            // The statement id CloudFormation gives a permission: its physical id.
            Sid: `${stack.name}-${id}-ABCDEFGHIJKLM`.slice(0, 100),
            Effect: 'Allow',
            Principal: principal.includes('.amazonaws.com') ? { Service: principal } : { AWS: principal },
            Action: p.Action,
            Resource: `arn:${PLACEHOLDER.partition}:lambda:${PLACEHOLDER.region}:${PLACEHOLDER.account}:function:${fn}`,
            ...(Object.keys(condition).length ? { Condition: condition } : {}),
          };
          byFunction.set(fn, [...(byFunction.get(fn) ?? []), statement]);
          handled.add(id);
          break;
        }
        case 'AWS::Events::EventBusPolicy': {
          const p = resolved();
          const bus = p.EventBusName ?? 'default';
          const document = p.Statement
            ? { Version: '2012-10-17', Statement: [{ Sid: p.StatementId, ...p.Statement }] }
            : p.Policy;
          add(stack, `event bus policy of ${bus} (${id})`, 'eventbridge-bus-policy', document);
          handled.add(id);
          break;
        }
        case 'AWS::SecretsManager::ResourcePolicy':
          add(
            stack,
            `resource policy of secret ${id}`,
            'secretsmanager-resource-policy',
            resolved().ResourcePolicy,
          );
          handled.add(id);
          break;
        case 'AWS::Logs::ResourcePolicy': {
          const p = resolved();
          const doc = typeof p.PolicyDocument === 'string' ? JSON.parse(p.PolicyDocument) : p.PolicyDocument;
          add(stack, `CloudWatch Logs resource policy ${p.PolicyName}`, 'logs-resource-policy', doc);
          handled.add(id);
          break;
        }
        case 'AWS::EC2::VPCEndpoint':
          if (props.PolicyDocument)
            add(stack, `VPC endpoint policy ${id}`, 'vpc-endpoint-policy', resolved().PolicyDocument);
          handled.add(id);
          break;
        case 'AWS::KMS::Key':
          add(stack, `key policy of ${id}`, 'kms-key-policy', resolved().KeyPolicy);
          handled.add(id);
          break;
        case 'AWS::Events::EventBus':
          if (props.Policy)
            add(
              stack,
              `event bus policy of ${resolver.nameOf(stack, id)}`,
              'eventbridge-bus-policy',
              resolved().Policy,
            );
          handled.add(id);
          break;
      }
    }

    for (const [queue, { ids, statements }] of byQueue) {
      // SQS keeps one policy per queue: two QueuePolicy resources on one queue overwrite each other.
      if (ids.length > 1)
        unknown.push(`${stack.name}: ${ids.join(', ')} all set the policy of ${queue} (SQS keeps one)`);
      add(stack, `SQS queue policy of ${queue.replace(/^.*\//, '')}`, 'sqs-queue-policy', {
        Version: '2012-10-17',
        Statement: statements,
      });
    }
    for (const [role, { documents }] of byRole) {
      if (!documents.length) continue;
      // The inline policies of one role count together.
      add(stack, `inline policies of role ${role} (${documents.length})`, 'iam-role-inline', documents);
    }
    for (const [fn, statements] of byFunction) {
      add(
        stack,
        `resource-based policy of function ${fn} (${statements.length} permissions)`,
        'lambda-function-policy',
        {
          Version: '2012-10-17',
          Id: 'default',
          Statement: statements,
        },
      );
    }

    // Anything else that holds a policy document is a kind this file does not know yet.
    for (const [id, r] of resources) {
      if (handled.has(id)) continue;
      const holder = findPolicyProperty(r.Properties ?? {});
      if (holder)
        unknown.push(`${stack.name} ${id} (${r.Type}): property ${holder} holds a policy; add its limit`);
    }
  }
  return { policies, unknown };
}

function findPolicyProperty(value: Json, path = ''): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  for (const [k, v] of Object.entries(value as Record<string, Json>)) {
    const here = path ? `${path}.${k}` : k;
    if (POLICY_PROPERTY.test(k) && v && typeof v === 'object' && JSON.stringify(v).includes('"Statement"'))
      return here;
    const deeper = findPolicyProperty(v, here);
    if (deeper) return deeper;
  }
  return undefined;
}

/** What is over a limit, one line each: the policy, the limit, by how much. */
export function overLimits(policy: MeasuredPolicy): string[] {
  const limit = LIMITS[policy.kind];
  const out: string[] = [];
  const unit = limit.ignoresWhitespace ? 'characters (white space not counted)' : 'bytes';
  if (policy.size > limit.size)
    out.push(`${policy.what}: ${policy.size} ${unit}, over the ${limit.size} of ${limit.source}`);
  const statements = statementsOf(policy.document);
  if (limit.statements !== undefined && statements.length > limit.statements)
    out.push(
      `${policy.what}: ${statements.length} statements, over the ${limit.statements} of ${limit.source}`,
    );
  for (const s of statements) {
    const actions = [s.Action ?? s.NotAction ?? []].flat().length;
    if (limit.actionsPerStatement !== undefined && actions > limit.actionsPerStatement)
      out.push(
        `${policy.what}: ${actions} actions in statement ${s.Sid ?? ''}, over the ${limit.actionsPerStatement} of ${limit.source}`,
      );
    const conditions = Object.values(s.Condition ?? {}).flatMap((keys: any) =>
      Object.values(keys).flatMap((v) => [v].flat()),
    ).length;
    if (limit.conditions !== undefined && conditions > limit.conditions)
      out.push(
        `${policy.what}: ${conditions} condition values in statement ${s.Sid ?? ''}, over the ${limit.conditions} of ${limit.source}`,
      );
  }
  if (limit.principals !== undefined) {
    const principals = statements.flatMap((s) =>
      s.Principal === '*' ? ['*'] : Object.values(s.Principal ?? {}).flatMap((v) => [v].flat()),
    ).length;
    if (principals > limit.principals)
      out.push(`${policy.what}: ${principals} principals, over the ${limit.principals} of ${limit.source}`);
  }
  return out;
}
