/**
 * AWS Signature Version 4 on the local AWS endpoint, checked as AWS checks it (over node:crypto).
 *
 * Every request must carry `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
 * Signature=...`: no cross-site "simple" request (a form, a text/plain fetch) can set that header, so
 * a web page cannot reach the endpoint whatever it sends. When local credentials are configured
 * (ECHO_AWS_ACCESS_KEY_ID / ECHO_AWS_SECRET_ACCESS_KEY) the signature itself is verified: the access
 * key must be the configured one and the signature must be the one its secret makes for this
 * request, within 15 minutes of now. Refusals are AWS's own errors (HTTP 403):
 * MissingAuthenticationTokenException, IncompleteSignatureException, UnrecognizedClientException,
 * InvalidSignatureException.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface LocalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SignedRequest {
  method: string;
  /** The request target as sent: path and query string, still encoded. */
  target: string;
  /** Header names in lower case; repeated headers joined with ','. */
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
}

export interface SignatureRefusal {
  type:
    | 'MissingAuthenticationTokenException'
    | 'IncompleteSignatureException'
    | 'UnrecognizedClientException'
    | 'InvalidSignatureException';
  message: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** How far the request's X-Amz-Date may be from now, either way (AWS: 15 minutes). */
const MAX_SKEW_MS = 15 * 60 * 1000;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding, as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ percent-encoded. */
const encode = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const decode = (s: string) => {
  try {
    return decodeURIComponent(s.replace(/\+/g, '%20'));
  } catch {
    return s;
  }
};

/**
 * The canonical URI: the path as sent, each segment encoded once more (SigV4 for every service but
 * S3 encodes the already-encoded path, as botocore and the JavaScript SDK do).
 */
function canonicalUri(path: string): string {
  if (path === '') return '/';
  return path
    .split('/')
    .map((segment) => encode(segment))
    .join('/');
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const i = pair.indexOf('=');
      const [k, v] = i < 0 ? [pair, ''] : [pair.slice(0, i), pair.slice(i + 1)];
      return [encode(decode(k)), encode(decode(v))] as const;
    })
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** `Credential=AK/20250101/us-east-1/events/aws4_request, SignedHeaders=a;b, Signature=hex`, parsed. */
function parseAuthorization(
  header: string,
): { accessKeyId: string; scope: string[]; signedHeaders: string[]; signature: string } | SignatureRefusal {
  const fields = new Map<string, string>();
  for (const part of header.slice(ALGORITHM.length).split(',')) {
    const i = part.indexOf('=');
    if (i > 0) fields.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  for (const name of ['Credential', 'SignedHeaders', 'Signature']) {
    if (!fields.get(name))
      return {
        type: 'IncompleteSignatureException',
        message: `Authorization header requires '${name}' parameter. Authorization=${header}`,
      };
  }
  const [accessKeyId, ...scope] = fields.get('Credential')!.split('/');
  if (!accessKeyId || scope.length !== 4 || scope[3] !== 'aws4_request')
    return {
      type: 'IncompleteSignatureException',
      message: `Credential should be scoped to a valid Region, not '${scope[1] ?? ''}'. Credential=<key>/<yyyymmdd>/<region>/<service>/aws4_request`,
    };
  return {
    accessKeyId,
    scope,
    signedHeaders: fields.get('SignedHeaders')!.split(';'),
    signature: fields.get('Signature')!,
  };
}

/** `20250102T030405Z` -> its instant, or undefined. */
function amzInstant(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const at = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

const compactIso = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/**
 * Checks the request's SigV4 Authorization header: its presence and form always; the key, the date
 * and the signature when `credentials` are given. Undefined when the request may go on.
 */
export function checkSignature(
  request: SignedRequest,
  options: { credentials?: LocalCredentials | undefined; now: Date },
): SignatureRefusal | undefined {
  const header = request.headers.authorization;
  if (!header)
    return {
      type: 'MissingAuthenticationTokenException',
      message:
        'Missing Authentication Token: sign the request with AWS Signature Version 4 (the AWS CLI and SDKs do; set any AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the ones in ECHO_AWS_ACCESS_KEY_ID and ECHO_AWS_SECRET_ACCESS_KEY when the runtime has them)',
    };
  if (!header.startsWith(`${ALGORITHM} `))
    return {
      type: 'IncompleteSignatureException',
      message: `Authorization header requires the ${ALGORITHM} algorithm (AWS Signature Version 4). Authorization=${header.split(' ')[0]}`,
    };
  const auth = parseAuthorization(header);
  if ('type' in auth) return auth;
  const { credentials } = options;
  if (!credentials) return undefined;

  if (auth.accessKeyId !== credentials.accessKeyId)
    return {
      type: 'UnrecognizedClientException',
      message: `The security token included in the request is invalid: access key ${auth.accessKeyId} is not the one the local runtime has (ECHO_AWS_ACCESS_KEY_ID)`,
    };
  const amzDate = request.headers['x-amz-date'] ?? '';
  const at = amzInstant(amzDate);
  if (!at || !auth.signedHeaders.includes('x-amz-date') || !auth.signedHeaders.includes('host'))
    return {
      type: 'IncompleteSignatureException',
      message: "the request must carry a signed X-Amz-Date (yyyymmddThhmmssZ) and sign the 'host' header",
    };
  if (auth.scope[0] !== amzDate.slice(0, 8))
    return {
      type: 'InvalidSignatureException',
      message: `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.scope[0]}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    };
  const skew = at.getTime() - options.now.getTime();
  if (Math.abs(skew) > MAX_SKEW_MS) {
    const bound = new Date(options.now.getTime() + Math.sign(skew) * MAX_SKEW_MS);
    return {
      type: 'InvalidSignatureException',
      message:
        skew < 0
          ? `Signature expired: ${amzDate} is now earlier than ${compactIso(bound)} (${compactIso(options.now)} - 15 min.)`
          : `Signature not yet current: ${amzDate} is still later than ${compactIso(bound)} (${compactIso(options.now)} + 15 min.)`,
    };
  }

  const q = request.target.indexOf('?');
  const path = q < 0 ? request.target : request.target.slice(0, q);
  const query = q < 0 ? '' : request.target.slice(q + 1);
  const signedHeaders = [...auth.signedHeaders].sort();
  const canonicalHeaders = signedHeaders
    .map((name) => `${name}:${(request.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const payloadHash =
    request.headers['x-amz-content-sha256'] === 'UNSIGNED-PAYLOAD'
      ? 'UNSIGNED-PAYLOAD'
      : sha256(request.body);
  const canonicalRequest = [
    request.method,
    canonicalUri(path),
    canonicalQuery(query),
    canonicalHeaders,
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = [auth.scope[0], auth.scope[1], auth.scope[2], 'aws4_request'].join('/');
  const stringToSign = [ALGORITHM, amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key: Buffer = hmac(`AWS4${credentials.secretAccessKey}`, auth.scope[0]!);
  for (const part of [auth.scope[1]!, auth.scope[2]!, 'aws4_request']) key = hmac(key, part);
  const expected = Buffer.from(createHmac('sha256', key).update(stringToSign).digest('hex'));
  const given = Buffer.from(auth.signature);
  if (given.length === expected.length && timingSafeEqual(given, expected)) return undefined;
  return {
    type: 'InvalidSignatureException',
    message: `The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method (the local runtime's is ECHO_AWS_SECRET_ACCESS_KEY). Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'${canonicalRequest}'\n\nThe String-to-Sign should have been\n'${stringToSign}'\n`,
  };
}
