import { GrantError, GrantErrorCode } from '../errors.js';
import { type AwsClients, describeAwsError, isAccessDenied, isNotFound } from './clients.js';

/** What DescribeSecret says about a secret: never its value. */
export interface SecretInfo {
  readonly arn: string;
  readonly name: string;
  readonly currentVersionId: string | undefined;
  /** The version that still carries AWSPREVIOUS, if one does: its value is readable by stage. */
  readonly previousVersionId: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
}

export async function describeSecret(clients: AwsClients, secretId: string): Promise<SecretInfo> {
  const { DescribeSecretCommand } = await import('@aws-sdk/client-secrets-manager');
  try {
    const out = await (await clients.secrets()).send(new DescribeSecretCommand({ SecretId: secretId }));
    const stages = Object.entries(out.VersionIdsToStages ?? {});
    return {
      arn: out.ARN ?? secretId,
      name: out.Name ?? secretId,
      currentVersionId: stages.find(([, s]) => s.includes('AWSCURRENT'))?.[0],
      previousVersionId: stages.find(([, s]) => s.includes('AWSPREVIOUS'))?.[0],
      tags: Object.fromEntries((out.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
    };
  } catch (error) {
    if (error instanceof GrantError) throw error;
    if (isNotFound(error)) {
      throw new GrantError(GrantErrorCode.AwsRefused, `the secret ${secretId} does not exist in the hub account`, {
        suggestion: 'deploy the hub stack for this account (it creates the secret), or check the account id',
        cause: error,
      });
    }
    throw new GrantError(
      GrantErrorCode.AwsRefused,
      describeAwsError(`secretsmanager:DescribeSecret ${secretId}`, error),
      {
        ...(isAccessDenied(error)
          ? { suggestion: 'your approver role needs secretsmanager:DescribeSecret on it' }
          : {}),
        cause: error,
      },
    );
  }
}

/** Writes a new AWSCURRENT value; the SDK's idempotency token makes its retries safe. */
export async function putSecretString(
  clients: AwsClients,
  secretId: string,
  text: string,
): Promise<string | undefined> {
  const { PutSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const out = await (await clients.secrets()).send(
    new PutSecretValueCommand({ SecretId: secretId, SecretString: text }),
  );
  return out.VersionId;
}

/**
 * Takes AWSPREVIOUS off the old version, so the value it held (old credentials) can no longer
 * be read by stage. Returns the version it was removed from, or undefined when none had it.
 */
export async function removePreviousStage(clients: AwsClients, secretId: string): Promise<string | undefined> {
  const { UpdateSecretVersionStageCommand } = await import('@aws-sdk/client-secrets-manager');
  const info = await describeSecret(clients, secretId);
  if (info.previousVersionId === undefined) return undefined;
  await (await clients.secrets()).send(
    new UpdateSecretVersionStageCommand({
      SecretId: secretId,
      VersionStage: 'AWSPREVIOUS',
      RemoveFromVersionId: info.previousVersionId,
    }),
  );
  return info.previousVersionId;
}

export async function tagSecret(clients: AwsClients, secretId: string, tags: Readonly<Record<string, string>>) {
  const { TagResourceCommand } = await import('@aws-sdk/client-secrets-manager');
  await (await clients.secrets()).send(
    new TagResourceCommand({
      SecretId: secretId,
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
}

/** Secret tag keys of the grant metadata that `status` reads (no credentials, ever). */
export const META = {
  state: 'jit:state',
  grant: 'jit:grant',
  tier: 'jit:tier',
  approver: 'jit:approver',
  reason: 'jit:reason',
  until: 'jit:until',
  expiration: 'jit:expiration',
  grantedAt: 'jit:granted-at',
  correlation: 'jit:correlation',
  previous: 'jit:previous',
  revokedAt: 'jit:revoked-at',
  revokedBy: 'jit:revoked-by',
} as const;
