/**
 * The AWS SDK clients' credentials in a Lambda bundle: esbuild puts this module in place of
 * `@aws-sdk/credential-provider-node` (infra/bundling.ts, `lambdaBundling`), so the clients read the
 * credentials Lambda gives every function in its environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) and nothing else. The default chain it replaces also
 * looks for SSO, shared files, processes, web identity and instance metadata, none of which a Lambda
 * has, and brings the STS, SSO and sign-in clients into the bundle for them. The local runtime and
 * the tests, unbundled, keep the default chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { ConfigError } from '../core/errors.ts';

type Init = Parameters<typeof fromEnv>[0];
type AwsCredentialIdentity = Awaited<ReturnType<ReturnType<typeof fromEnv>>>;

export const defaultProvider = (init?: Init) => async (): Promise<AwsCredentialIdentity> => {
  try {
    return await fromEnv(init)();
  } catch {
    throw new ConfigError(
      'AWS_ACCESS_KEY_ID',
      "is not set (nor AWS_SECRET_ACCESS_KEY): this Lambda bundle reads AWS credentials from the environment only, where Lambda puts the function role's; run it in Lambda, or set them",
    );
  }
};

/** As the default chain's: credentials that carry an expiry are refreshed 5 minutes before it. */
export const credentialsWillNeedRefresh = (credentials?: AwsCredentialIdentity): boolean =>
  credentials?.expiration !== undefined;
export const credentialsTreatedAsExpired = (credentials?: AwsCredentialIdentity): boolean =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
