import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import {
  type ElevatedPayload,
  newGrantId,
  placeholderSecretString,
  SESSION_TAG,
  secretName,
  serializeElevatedPayload,
  sessionNameFor,
} from '@jit-access/core';
import { clientConfig, type LocalAwsTestContext } from '@jit-access/local-aws/testing';

/**
 * What jit-grant does, reduced to what these tests need: the approver assumes the tier role
 * (SourceIdentity and session tags as the grant sets them) and writes the payload. The grant
 * package owns the real flow; this keeps the agent's tests independent of its progress.
 */
export async function grant(
  ctx: LocalAwsTestContext,
  options: {
    account: string;
    windowMinutes?: number;
    effectiveUntil?: Date;
    tier?: string;
    roleName?: string;
    /** Write into this account's secret instead (to test a grant in the wrong secret). */
    secretOf?: string;
    /**
     * Plant real credentials of another role session under this payload (what a stolen approver
     * key could write): the payload still names `account` and `roleName`.
     */
    credentialsOf?: { account?: string; roleName?: string };
  },
): Promise<ElevatedPayload> {
  const grantId = newGrantId();
  const roleName = options.roleName ?? 'AgentElevated-Ops';
  const roleArn = `arn:aws:iam::${options.account}:role/${roleName}`;
  const now = new Date();
  const windowMinutes = options.windowMinutes ?? 15;
  const effectiveUntil = options.effectiveUntil ?? new Date(now.getTime() + windowMinutes * 60_000);
  const sts = new STSClient(clientConfig(ctx, 'approver'));
  const session = sessionNameFor(grantId);
  const assumed = options.credentialsOf
    ? `arn:aws:iam::${options.credentialsOf.account ?? options.account}:role/${options.credentialsOf.roleName ?? roleName}`
    : roleArn;
  const out = await sts.send(
    new AssumeRoleCommand({
      RoleArn: assumed,
      RoleSessionName: session,
      SourceIdentity: session,
      DurationSeconds: 900,
      Tags: [
        { Key: SESSION_TAG.grant, Value: grantId },
        { Key: SESSION_TAG.tier, Value: options.tier ?? 'ops' },
        { Key: SESSION_TAG.reason, Value: 'agent integration test' },
        { Key: SESSION_TAG.until, Value: effectiveUntil.toISOString() },
      ],
    }),
  );
  sts.destroy();
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('AssumeRole returned no credentials');
  const payload: ElevatedPayload = {
    SchemaVersion: 1,
    AccessKeyId: c.AccessKeyId,
    SecretAccessKey: c.SecretAccessKey,
    SessionToken: c.SessionToken,
    // moto returns its own expiry; a real one is 15 minutes from now.
    Expiration: new Date(now.getTime() + 15 * 60_000).toISOString(),
    GrantedFor: 'agent integration test',
    GrantedAt: now.toISOString(),
    RoleName: roleName,
    GrantId: grantId,
    AccountId: options.account,
    RoleArn: roleArn,
    Tier: options.tier ?? 'ops',
    SessionName: session,
    SourceIdentity: session,
    Approver: `arn:aws:iam::${ctx.accounts.hub.id}:user/jit-approver`,
    EffectiveUntil: effectiveUntil.toISOString(),
    Region: ctx.region,
  };
  await writeSecret(ctx, options.secretOf ?? options.account, serializeElevatedPayload(payload));
  return payload;
}

/** Writes any value into an account's secret, as the approver. */
export async function writeSecret(ctx: LocalAwsTestContext, account: string, text: string): Promise<void> {
  const sm = new SecretsManagerClient(clientConfig(ctx, 'approver'));
  await sm.send(new PutSecretValueCommand({ SecretId: secretName(account), SecretString: text }));
  sm.destroy();
}

/** Puts the placeholder back with the revocation time, as `jit-grant revoke` does. */
export async function revoke(ctx: LocalAwsTestContext, account: string, grantId: string): Promise<void> {
  await writeSecret(ctx, account, placeholderSecretString({ revokedAt: new Date(), grantId }));
}

/** The agent's environment for the CLI: its base keys and the local endpoint, nothing else. */
export function agentEnv(ctx: LocalAwsTestContext, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const agent = ctx.profiles.agent;
  return {
    AWS_ENDPOINT_URL: ctx.endpoint,
    AWS_ACCESS_KEY_ID: agent.accessKeyId,
    AWS_SECRET_ACCESS_KEY: agent.secretAccessKey,
    ...(agent.sessionToken ? { AWS_SESSION_TOKEN: agent.sessionToken } : {}),
    JIT_REGION: ctx.region,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}
