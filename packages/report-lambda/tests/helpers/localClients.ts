import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { LocalAws, LocalCredentials } from '@jit-access/local-aws';

/** SDK clients, credentials and admin sessions against one local environment (tools/local-aws). */
export interface LocalClients {
  client<T>(Client: new (config: object) => T, credentials: LocalCredentials): T;
  /** A session of `roleArn`; `extra` adds AssumeRole parameters (source identity, tags). */
  assume(credentials: LocalCredentials, roleArn: string, extra?: Record<string, unknown>): Promise<LocalCredentials>;
  /** The local administrator of an account (role JitLocalAdmin). */
  adminIn(accountId: string): Promise<LocalCredentials>;
}

/** `sessionName` names the admin sessions; it must not start with `jit-`, which marks a grant. */
export function localClients(env: () => LocalAws, sessionName: string): LocalClients {
  const client = <T>(Client: new (config: object) => T, credentials: LocalCredentials): T =>
    new Client({ region: env().region, endpoint: env().endpoint, credentials, forcePathStyle: true, maxAttempts: 1 });
  const assume = async (
    credentials: LocalCredentials,
    roleArn: string,
    extra: Record<string, unknown> = {},
  ): Promise<LocalCredentials> => {
    const sts = client(STSClient, credentials);
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName, ...extra }));
    sts.destroy();
    const c = out.Credentials;
    if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined || c.SessionToken === undefined)
      throw new Error('no credentials');
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  };
  const adminIn = (accountId: string) =>
    assume(env().profiles.admin, `arn:aws:iam::${accountId}:role/${env().accounts.adminRoleName}`);
  return { client, assume, adminIn };
}
