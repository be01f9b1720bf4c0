import type { ElevatedCredentials } from './credentials.js';
import type { ActiveElevation } from './elevation.js';

/**
 * Variables removed from the child's environment: every other way an AWS SDK or CLI could pick up
 * credentials (the agent's own base keys among them), so that the child runs as the grant and
 * nothing else.
 */
const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
] as const;

/**
 * The environment of the one child that gets the grant: the parent's environment without any
 * other credentials, plus the grant's credentials and region. `remove` names further variables
 * to drop, e.g. the listener's HMAC secret.
 */
export function childEnvironment(
  base: NodeJS.ProcessEnv,
  grant: Pick<ActiveElevation, 'grantId' | 'account' | 'region'>,
  credentials: ElevatedCredentials,
  remove: readonly string[] = [],
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const drop = new Set<string>([...CREDENTIAL_VARIABLES, ...remove]);
  for (const [key, value] of Object.entries(base)) {
    if (value !== undefined && !drop.has(key)) env[key] = value;
  }
  env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
  env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  env.AWS_SESSION_TOKEN = credentials.sessionToken;
  // SDKs that read it stop using the credentials at the window's end rather than at STS's expiry.
  env.AWS_CREDENTIAL_EXPIRATION = credentials.expiration.toISOString();
  env.AWS_REGION = grant.region;
  env.AWS_DEFAULT_REGION = grant.region;
  env.JIT_GRANT_ID = grant.grantId;
  env.JIT_ACCOUNT_ID = grant.account;
  return env;
}
