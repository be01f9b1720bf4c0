import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { IAMClient, paginateListAccessKeys, paginateListUsers } from '@aws-sdk/client-iam';
import type { AdminCredentials, AssumedRoleIdentity, IamUserIdentity, KnownIdentity } from './types.js';

/** Admin credentials for an account, used to read moto's IAM directly (never through the edge). */
export type CredentialsFor = (accountId: string) => AdminCredentials | Promise<AdminCredentials>;

export interface IdentityStoreOptions {
  motoEndpoint: string;
  credentialsFor: CredentialsFor;
  accounts: () => readonly string[];
  now: () => Date;
  /** Where learned sessions are kept across restarts (access key ids, roles, tags: no secrets). */
  sessionsFile: string | undefined;
  /** How long an access key that moto's IAM does not know is not asked about again. @default 5000 */
  missTtlMs?: number;
}

/**
 * Resolves an access key id to the identity behind it: assumed-role sessions learned from the
 * AssumeRole responses that passed through the edge, IAM users from moto's IAM (ListUsers and
 * ListAccessKeys in each account, cached and refreshed when a key is not found).
 */
export class IdentityStore {
  readonly #options: IdentityStoreOptions;
  readonly #sessions = new Map<string, AssumedRoleIdentity>();
  #users = new Map<string, IamUserIdentity>();
  readonly #misses = new Map<string, number>();
  #refresh: Promise<void> | undefined;
  #dirty = false;
  readonly #clients = new Map<string, IAMClient>();

  constructor(options: IdentityStoreOptions) {
    this.#options = options;
    this.#load();
  }

  learnSession(session: AssumedRoleIdentity): void {
    this.#sessions.set(session.accessKeyId, session);
    this.#dirty = true;
  }

  /** Sessions learned so far (no secrets: key ids, roles, names, tags). */
  sessions(): AssumedRoleIdentity[] {
    return [...this.#sessions.values()];
  }

  known(accessKeyId: string): KnownIdentity | undefined {
    return this.#sessions.get(accessKeyId) ?? this.#users.get(accessKeyId);
  }

  async resolve(accessKeyId: string | undefined): Promise<KnownIdentity | undefined> {
    if (accessKeyId === undefined) return undefined;
    const cached = this.known(accessKeyId);
    if (cached !== undefined) return cached;
    const now = this.#options.now();
    const missedAt = this.#misses.get(accessKeyId);
    if (missedAt !== undefined && now.getTime() - missedAt < (this.#options.missTtlMs ?? 5_000)) return undefined;
    let found: KnownIdentity | undefined;
    if (accessKeyId.startsWith('ASIA')) {
      found = await this.#motoSession(accessKeyId, now);
      if (found !== undefined) this.learnSession(found);
    } else {
      await this.refreshUsers();
      found = this.#users.get(accessKeyId);
    }
    if (found === undefined) this.#misses.set(accessKeyId, now.getTime());
    else this.#misses.delete(accessKeyId);
    return found;
  }

  /**
   * A session started without passing through the edge (the provisioner's and this plugin's own
   * admin sessions, or a client talking to moto directly): moto's state dump knows its role and
   * session name, not its source identity or tags, which moto never kept.
   */
  async #motoSession(accessKeyId: string, now: Date): Promise<AssumedRoleIdentity | undefined> {
    let dump: unknown;
    try {
      const response = await fetch(`${this.#options.motoEndpoint}/moto-api/data.json`, {
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) return undefined;
      dump = await response.json();
    } catch {
      return undefined;
    }
    const sessions = (dump as { sts?: { AssumedRole?: unknown } } | null)?.sts?.AssumedRole;
    if (!Array.isArray(sessions)) return undefined;
    for (const item of sessions as Record<string, unknown>[]) {
      if (item.access_key_id !== accessKeyId) continue;
      const { account_id: accountId, arn, role_arn: roleArn, session_name: sessionName, user_id: userId } = item;
      if (
        typeof accountId !== 'string' ||
        typeof arn !== 'string' ||
        typeof roleArn !== 'string' ||
        typeof sessionName !== 'string'
      ) {
        return undefined;
      }
      // Only identifying fields are copied: the dump also holds the session's secret key and token.
      return {
        kind: 'AssumedRole',
        accessKeyId,
        accountId,
        roleArn,
        roleName: roleArn.slice(roleArn.lastIndexOf('/') + 1),
        roleId: typeof userId === 'string' ? (userId.split(':')[0] ?? userId) : '',
        sessionName,
        assumedRoleArn: arn,
        sourceIdentity: undefined,
        tags: [],
        // moto keeps no creation time; the first call seen with the key is the best estimate.
        creationDate: `${now.toISOString().slice(0, 19)}Z`,
        expiration: undefined,
        mfaAuthenticated: false,
      };
    }
    return undefined;
  }

  /** Re-reads every account's IAM users and keys from moto; concurrent callers share one refresh. */
  refreshUsers(): Promise<void> {
    this.#refresh ??= this.#readUsers().finally(() => {
      this.#refresh = undefined;
    });
    return this.#refresh;
  }

  async #readUsers(): Promise<void> {
    const next = new Map<string, IamUserIdentity>();
    await Promise.all(
      this.#options.accounts().map(async (accountId) => {
        try {
          const client = this.#client(accountId);
          for await (const page of paginateListUsers({ client }, {})) {
            for (const user of page.Users ?? []) {
              if (user.UserName === undefined || user.UserId === undefined || user.Arn === undefined) continue;
              for await (const keys of paginateListAccessKeys({ client }, { UserName: user.UserName })) {
                for (const key of keys.AccessKeyMetadata ?? []) {
                  if (key.AccessKeyId === undefined) continue;
                  next.set(key.AccessKeyId, {
                    kind: 'IAMUser',
                    accessKeyId: key.AccessKeyId,
                    accountId,
                    userName: user.UserName,
                    userId: user.UserId,
                    arn: user.Arn,
                  });
                }
              }
            }
          }
        } catch {
          // An account that is not provisioned yet (or a moto that went away) has no users to find;
          // its callers are recorded with what is known, and the next miss asks again.
          for (const [key, user] of this.#users) if (user.accountId === accountId) next.set(key, user);
        }
      }),
    );
    this.#users = next;
  }

  #client(accountId: string): IAMClient {
    let client = this.#clients.get(accountId);
    if (client === undefined) {
      const credentialsFor = this.#options.credentialsFor;
      client = new IAMClient({
        endpoint: this.#options.motoEndpoint,
        region: 'us-east-1',
        credentials: async () => credentialsFor(accountId),
        maxAttempts: 1,
      });
      this.#clients.set(accountId, client);
    }
    return client;
  }

  /** Writes learned sessions to the state file when they changed. */
  save(): void {
    const file = this.#options.sessionsFile;
    if (file === undefined || !this.#dirty) return;
    mkdirSync(dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify({ sessions: this.sessions() }, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, file);
    this.#dirty = false;
  }

  #load(): void {
    const file = this.#options.sessionsFile;
    if (file === undefined) return;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return;
    }
    try {
      const parsed = JSON.parse(text) as { sessions?: unknown };
      if (!Array.isArray(parsed.sessions)) return;
      for (const item of parsed.sessions) {
        if (isSession(item)) this.#sessions.set(item.accessKeyId, item);
      }
    } catch {
      // A damaged state file only costs the identities of old sessions; they are learned anew.
    }
  }

  close(): void {
    this.save();
    for (const client of this.#clients.values()) client.destroy();
    this.#clients.clear();
  }
}

function isSession(value: unknown): value is AssumedRoleIdentity {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.kind === 'AssumedRole' &&
    [
      'accessKeyId',
      'accountId',
      'roleArn',
      'roleName',
      'roleId',
      'sessionName',
      'assumedRoleArn',
      'creationDate',
    ].every((field) => typeof v[field] === 'string') &&
    Array.isArray(v.tags)
  );
}
