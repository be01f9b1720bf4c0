import { createHash } from 'node:crypto';
import { GrantError, GrantErrorCode } from '../errors.js';
import { type AwsClients, awsErrorInfo, describeAwsError, isAccessDenied, isNotFound } from './clients.js';

/** What DescribeSecret says about a secret: never its value. */
export interface SecretInfo {
  readonly arn: string;
  readonly name: string;
  readonly currentVersionId: string | undefined;
  /** The labels of the current version (AWSCURRENT, and grantStage(id) for a grant's payload). */
  readonly currentStages: readonly string[];
  /** The version that still carries AWSPREVIOUS, if one does: its value is readable by stage. */
  readonly previousVersionId: string | undefined;
  /** Every labelled version with its labels. */
  readonly versions: Readonly<Record<string, readonly string[]>>;
  readonly tags: Readonly<Record<string, string>>;
}

export async function describeSecret(clients: AwsClients, secretId: string): Promise<SecretInfo> {
  const { DescribeSecretCommand } = await import('@aws-sdk/client-secrets-manager');
  try {
    const out = await (await clients.secrets()).send(new DescribeSecretCommand({ SecretId: secretId }));
    const stages = Object.entries(out.VersionIdsToStages ?? {});
    const current = stages.find(([, s]) => s.includes('AWSCURRENT'));
    return {
      arn: out.ARN ?? secretId,
      name: out.Name ?? secretId,
      currentVersionId: current?.[0],
      currentStages: current?.[1] ?? [],
      previousVersionId: stages.find(([, s]) => s.includes('AWSPREVIOUS'))?.[0],
      versions: Object.fromEntries(stages),
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

const GRANT_STAGE = /^jit-grant-([0-9A-HJKMNP-TV-Z]{26})$/;

/**
 * The staging label a grant's payload carries next to AWSCURRENT: `jit-grant-<grantId>`. It is
 * written in the same PutSecretValue as the value, so DescribeSecret tells which grant the current
 * value holds at once (the tags, written just after, can lag or fail).
 */
export function grantStage(grantId: string): string {
  return `jit-grant-${grantId}`;
}

/** The grant a version's labels name; undefined for placeholders and values written otherwise. */
export function grantIdOfStages(stages: readonly string[]): string | undefined {
  for (const stage of stages) {
    const id = GRANT_STAGE.exec(stage)?.[1];
    if (id !== undefined) return id;
  }
  return undefined;
}

/**
 * The ClientRequestToken of the version that follows `versionId`: the same for every writer that
 * saw `versionId` as AWSCURRENT, and new for each version (ids are never reused).
 */
export function successorToken(versionId: string): string {
  return `jit-after-${createHash('sha256').update(versionId).digest('hex').slice(0, 40)}`;
}

/**
 * Writes `text` as the new AWSCURRENT only if no one else has written since `after` was current:
 * a compare-and-swap. Secrets Manager has no conditional write, but a ClientRequestToken names the
 * version it creates, and a second PutSecretValue with the same token and another value is refused
 * (ResourceExistsException) while a retry with the same value is a no-op. Every writer that checked
 * the secret at version X uses the token derived from X, so exactly one of them creates X's
 * successor; the others learn they lost instead of overwriting a grant they never saw. Plain
 * PutSecretValue calls only (no stage moves), so moto behaves as AWS does.
 *
 * Every jit-grant write goes through here; a write by other means (an admin's) does not take part.
 * `grantId` labels the version with grantStage(grantId).
 */
export async function writeSecretAfter(
  clients: AwsClients,
  secretId: string,
  text: string,
  options: { readonly after: string | undefined; readonly grantId?: string | undefined },
): Promise<{ readonly written: true; readonly versionId: string | undefined } | { readonly written: false }> {
  const { PutSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  try {
    const out = await (await clients.secrets()).send(
      new PutSecretValueCommand({
        SecretId: secretId,
        SecretString: text,
        ...(options.after === undefined ? {} : { ClientRequestToken: successorToken(options.after) }),
        ...(options.grantId === undefined ? {} : { VersionStages: ['AWSCURRENT', grantStage(options.grantId)] }),
      }),
    );
    return { written: true, versionId: out.VersionId };
  } catch (error) {
    if (options.after !== undefined && awsErrorInfo(error).name === 'ResourceExistsException') {
      return { written: false };
    }
    throw error;
  }
}

/**
 * Takes AWSPREVIOUS off the old version, so the value it held (old credentials) can no longer
 * be read by stage, and the grant label off every version that is no longer current (labels per
 * secret are limited; a version left without labels is deprecated). Returns the
 * version AWSPREVIOUS was removed from, or undefined when none had it.
 */
export async function removePreviousStage(clients: AwsClients, secretId: string): Promise<string | undefined> {
  const { UpdateSecretVersionStageCommand } = await import('@aws-sdk/client-secrets-manager');
  const info = await describeSecret(clients, secretId);
  const sm = await clients.secrets();
  // AWSPREVIOUS first: it is the one that keeps old credentials readable.
  const stale = Object.entries(info.versions)
    .filter(([id]) => id !== info.currentVersionId)
    .flatMap(([id, stages]) =>
      stages.filter((s) => s === 'AWSPREVIOUS' || grantIdOfStages([s]) !== undefined).map((stage) => ({ id, stage })),
    )
    .sort((a, b) => Number(b.stage === 'AWSPREVIOUS') - Number(a.stage === 'AWSPREVIOUS'));
  for (const { id, stage } of stale) {
    await sm.send(
      new UpdateSecretVersionStageCommand({ SecretId: secretId, VersionStage: stage, RemoveFromVersionId: id }),
    );
  }
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
