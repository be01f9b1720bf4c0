import type { CredentialProvider } from './credentials.js';
import { AgentError, AgentErrorCode } from './errors.js';

/** Reads one secret's current value (`AWSCURRENT`) as a string. */
export type SecretReader = (secretId: string) => Promise<string>;

export interface SecretReaderOptions {
  /** The hub account's region, where the secrets live. */
  readonly region: string;
  /** The agent's base identity. @default the AWS SDK's default chain (environment, profile, …) */
  readonly credentials?: CredentialProvider;
  /** A named profile for the default chain. Ignored when `credentials` is given. */
  readonly profile?: string;
  /** @default the SDK's (honours AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_SECRETS_MANAGER) */
  readonly endpoint?: string;
}

/**
 * A reader backed by Secrets Manager. The SDK is loaded on first use, so commands that never read
 * a secret (`--version`, `--help`, `report`) do not pay for it.
 */
export function createSecretReader(options: SecretReaderOptions): SecretReader {
  type Sdk = typeof import('@aws-sdk/client-secrets-manager');
  let ready: Promise<{ sdk: Sdk; client: InstanceType<Sdk['SecretsManagerClient']> }> | undefined;
  const load = () => {
    ready ??= import('@aws-sdk/client-secrets-manager').then((sdk) => ({
      sdk,
      client: new sdk.SecretsManagerClient({
        region: options.region,
        ...(options.credentials ? { credentials: options.credentials } : {}),
        ...(options.profile && !options.credentials ? { profile: options.profile } : {}),
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        maxAttempts: 2,
      }),
    }));
    return ready;
  };
  return async (secretId) => {
    const { sdk, client } = await load();
    let value: string | undefined;
    try {
      // Naming the stage matches the base policy's condition (AWSCURRENT only) explicitly.
      const out = await client.send(new sdk.GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }));
      value = out.SecretString;
    } catch (error) {
      throw readError(error, secretId, options.region);
    }
    if (value === undefined) {
      throw new AgentError(AgentErrorCode.Unreadable, `secret ${secretId} has no string value (a binary secret?)`, {
        suggestion: 'the grant writes a JSON string; ask the platform team to check the secret',
      });
    }
    return value;
  };
}

// AWS's answers to keys it does not know or cannot verify: the identity is at fault, not the secret.
const REJECTED_IDENTITY = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'ExpiredTokenException',
  'IncompleteSignatureException',
]);

function readError(error: unknown, secretId: string, region: string): AgentError {
  const name = (error as { name?: unknown } | null)?.name;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && code.startsWith('ROLES_ANYWHERE_')) {
    return new AgentError(AgentErrorCode.Identity, `the Roles Anywhere base identity failed: ${message}`, {
      ...(typeof (error as { suggestion?: unknown }).suggestion === 'string'
        ? { suggestion: (error as { suggestion: string }).suggestion }
        : {}),
      cause: error,
    });
  }
  if (typeof name === 'string' && REJECTED_IDENTITY.has(name)) {
    return new AgentError(AgentErrorCode.Identity, `AWS rejected the base identity: ${name}`, {
      suggestion: "check the agent's keys (or certificate): they are unknown, wrong or expired",
      cause: error,
    });
  }
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return new AgentError(AgentErrorCode.Identity, `no base identity: ${message}`, {
      suggestion:
        "set the agent user's keys (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) or a profile, or use --identity roles-anywhere",
      cause: error,
    });
  }
  if (name === 'ResourceNotFoundException') {
    return new AgentError(AgentErrorCode.Unreadable, `secret ${secretId} does not exist in ${region}`, {
      suggestion:
        'check the account id and the hub region (--region); the platform stack creates one secret per account',
      cause: error,
    });
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied') {
    return new AgentError(AgentErrorCode.Unreadable, `the base identity may not read ${secretId}: ${name}`, {
      suggestion: 'check that the account is one of the workload accounts the agent policy names',
      cause: error,
    });
  }
  return new AgentError(
    AgentErrorCode.Unreadable,
    `cannot read ${secretId} in ${region}: ${typeof name === 'string' ? `${name}: ` : ''}${message}`,
    { suggestion: 'check the network and the endpoint, then retry', cause: error },
  );
}
