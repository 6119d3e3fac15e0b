/** An API Gateway HTTP API (payload 2.0) event with an IAM caller, as the API Lambda receives it. */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';

const joined = (query: Record<string, string> | [string, string][]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [name, value] of Array.isArray(query) ? query : Object.entries(query))
    out[name] = name in out ? `${out[name]},${value}` : value;
  return out;
};

export function apiGatewayEvent(
  method: string,
  rawPath: string,
  options: {
    /** Pairs may repeat a name: API Gateway then joins its values with commas in queryStringParameters. */
    query?: Record<string, string> | [string, string][];
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
    ...(options.query ? { queryStringParameters: joined(options.query) } : {}),
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
