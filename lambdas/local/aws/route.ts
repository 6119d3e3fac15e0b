/**
 * One AWS service behind the local endpoint. The endpoint server offers every request to each
 * route in turn; a route answers the requests of its protocol and returns undefined for others.
 */
export interface AwsRequest {
  method: string;
  /** Path without the query string, e.g. "/" or "/Execute". */
  path: string;
  /** Header names in lower case. */
  headers: Readonly<Record<string, string | undefined>>;
  body: string;
}

export interface AwsResponse {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export type AwsRoute = (request: AwsRequest) => Promise<AwsResponse | undefined>;
