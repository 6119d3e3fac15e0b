/** An API Gateway HTTP API (payload 2.0) event with an IAM caller, as the API Lambda receives it. */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';

export function apiGatewayEvent(
  method: string,
  rawPath: string,
  options: {
    query?: Record<string, string>;
    body?: string;
    base64?: boolean;
    caller?: string;
    headers?: Record<string, string>;
  } = {},
): APIGatewayProxyEventV2WithIAMAuthorizer {
  const body =
    options.body === undefined
      ? undefined
      : options.base64
        ? Buffer.from(options.body).toString('base64')
        : options.body;
  return {
    version: '2.0',
    routeKey: 'ANY /{proxy+}',
    rawPath,
    rawQueryString: new URLSearchParams(options.query).toString(),
    headers: { 'content-type': 'application/json', ...options.headers },
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: options.base64 ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example',
      domainPrefix: 'api',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: randomUUID(),
      routeKey: 'ANY /{proxy+}',
      stage: '$default',
      time: '',
      timeEpoch: 0,
      authorizer: {
        iam: {
          accessKey: 'AKIA',
          accountId: '123456789012',
          callerId: 'AIDA',
          cognitoIdentity: null as never,
          principalOrgId: null as never,
          userArn: options.caller ?? 'arn:aws:iam::123456789012:user/ada',
          userId: 'AIDA',
        },
      },
    },
  } as APIGatewayProxyEventV2WithIAMAuthorizer;
}
