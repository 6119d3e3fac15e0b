/**
 * The HTTP API: API Gateway (HTTP API, payload format 2.0) in front of the API function, IAM
 * authorization on every route but the dashboard's static files, access logs. The handler owns the routing (404 and 405 come from
 * `handleApiRequest`), so one proxy route carries every path and a new route needs no change here.
 * With `localstack`, API Gateway v2 (not in LocalStack's free tier) is replaced by a function URL,
 * IAM-authorized as well.
 */
import { CfnOutput, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { EchoFunction } from './echo-function.ts';

export interface EchoHttpApiProps {
  stage: string;
  handler: EchoFunction;
  localstack: boolean;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
}

export class EchoHttpApi extends Construct {
  readonly api: apigw.HttpApi | undefined;
  readonly functionUrl: lambda.FunctionUrl | undefined;
  readonly url: string;

  constructor(scope: Construct, id: string, props: EchoHttpApiProps) {
    super(scope, id);
    if (props.localstack) {
      this.functionUrl = props.handler.fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
      this.url = this.functionUrl.url;
    } else {
      this.api = new apigw.HttpApi(this, 'Api', {
        apiName: `echo-${props.stage}`,
        description: `ECHO ${props.stage}: messages, decisions, agents, dead letters (IAM-authorized)`,
        createDefaultStage: false,
        defaultAuthorizer: new HttpIamAuthorizer(),
      });
      const integration = new HttpLambdaIntegration('Handler', props.handler.fn, {
        payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
      });
      this.api.addRoutes({ path: '/{proxy+}', methods: [apigw.HttpMethod.ANY], integration });
      // The dashboard's page, modules and style sheet hold no data: a browser must load them before
      // it can sign anything. Every call the page then makes goes to the IAM-authorized routes.
      for (const path of ['/dashboard', '/dashboard/{proxy+}']) {
        for (const route of this.api.addRoutes({
          path,
          methods: [apigw.HttpMethod.GET],
          integration,
          authorizer: new apigw.HttpNoneAuthorizer(),
        })) {
          Validations.of(route).acknowledge({
            id: 'AwsSolutions-APIG4',
            reason:
              "The dashboard's static files (HTML, ES modules, CSS) carry no data and must load before the page can sign requests; every API route stays IAM-authorized.",
          });
        }
      }
      const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
        logGroupName: `/echo/${props.stage}/api-access`,
        retention: props.logRetention,
        removalPolicy: props.removalPolicy,
      });
      this.api.addStage('Stage', {
        stageName: '$default',
        autoDeploy: true,
        throttle: { rateLimit: 50, burstLimit: 100 },
        accessLogSettings: { destination: new apigw.LogGroupLogDestination(accessLogs) },
      });
      this.url = this.api.apiEndpoint;
    }
    new CfnOutput(this, 'Url', { value: this.url, description: 'The HTTP API (SigV4-signed requests)' });
  }
}
