/** The agents' models on Amazon Bedrock: the configured model ids, and nothing else, may be invoked. */
import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { Binding, EchoFunction } from './echo-function.ts';

/** Cross-Region inference profiles are named `<geography>.<model id>`. */
const PROFILE = /^(us|eu|apac|us-gov|jp|au|ca|global)\.(.+)$/;

/**
 * The statements InvokeModel needs for a model id (or an ARN, taken as it is): a foundation model
 * in this Region; or an inference profile, plus its foundation model in whichever Region the
 * profile routes a request to, and only through that profile. Converse needs InvokeModel,
 * ConverseStream (the agents' default, `ECHO_LLM_STREAM=on`) InvokeModelWithResponseStream.
 */
export function modelStatements(scope: Construct, model: string): iam.PolicyStatement[] {
  const actions = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'];
  if (model.startsWith('arn:')) return [new iam.PolicyStatement({ actions, resources: [model] })];
  const stack = Stack.of(scope);
  const profile = PROFILE.exec(model);
  if (!profile) {
    return [
      new iam.PolicyStatement({
        actions,
        resources: [`arn:${stack.partition}:bedrock:${stack.region}::foundation-model/${model}`],
      }),
    ];
  }
  const profileArn = stack.formatArn({
    service: 'bedrock',
    resource: 'inference-profile',
    resourceName: model,
  });
  return [
    new iam.PolicyStatement({ actions, resources: [profileArn] }),
    new iam.PolicyStatement({
      actions,
      resources: [`arn:${stack.partition}:bedrock:*::foundation-model/${profile[2]}`],
      conditions: { StringEquals: { 'bedrock:InferenceProfileArn': profileArn } },
    }),
  ];
}

export class BedrockModels implements Binding {
  constructor(
    private readonly scope: Construct,
    readonly models: readonly string[],
  ) {}

  /**
   * Sets ECHO_LLM_PROVIDER=bedrock and ECHO_LLM_MODEL (the first model: one model for every role
   * until the registry names one per role), and grants InvokeModel on the configured models only.
   * With no model configured the function keeps the rules engine and is granted nothing.
   */
  bindTo(target: EchoFunction): void {
    if (this.models.length === 0) return;
    target.addEnvironment('ECHO_LLM_PROVIDER', 'bedrock');
    target.addEnvironment('ECHO_LLM_MODEL', this.models[0]!);
    for (const model of this.models) {
      for (const statement of modelStatements(this.scope, model)) target.allow(statement);
      const profile = PROFILE.exec(model);
      if (profile) {
        Validations.of(target.role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:*::foundation-model/${profile[2]}]`,
          reason: `The inference profile ${model} routes a request to ${profile[2]} in any Region of its geography; the statement is limited to that one model, and by its condition to requests through that profile.`,
        });
      }
    }
  }
}
