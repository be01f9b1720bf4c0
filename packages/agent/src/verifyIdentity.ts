import { sessionNameFor } from '@jit-access/core';
import type { AwsCredentials } from './credentials.js';
import type { ActiveElevation } from './elevation.js';
import { AgentError, AgentErrorCode } from './errors.js';

/** What `sts:GetCallerIdentity` says about a set of credentials. */
export interface CallerIdentity {
  readonly account: string;
  readonly arn: string;
}

/** Asks AWS whose credentials these are (`sts:GetCallerIdentity` signed with them). */
export type CallerIdentityLookup = (credentials: AwsCredentials) => Promise<CallerIdentity>;

/**
 * Refuses (throws AGENT_FOREIGN_CREDENTIALS) unless AWS says the credentials are the grant's own
 * session. Called before the credentials' first use. Resolves to whether it asked STS this time
 * (a call with the grant's credentials that CloudTrail records, so the journal reports it too).
 */
export type CredentialVerifier = (
  grant: Pick<ActiveElevation, 'account' | 'grantId' | 'roleArn' | 'roleName'>,
  credentials: AwsCredentials,
) => Promise<boolean>;

export interface StsLookupOptions {
  /** The region of the STS endpoint. Any works: GetCallerIdentity answers for every account. */
  readonly region: string;
  /** @default the SDK's (honours AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL), as for `agentArn` */
  readonly endpoint?: string;
}

/**
 * A lookup backed by STS. GetCallerIdentity needs no permission, so any valid credentials answer,
 * including ones a revocation deny already blocks. The SDK is loaded on first use.
 */
export function createStsIdentityLookup(options: StsLookupOptions): CallerIdentityLookup {
  return async (credentials) => {
    const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
    const client = new STSClient({
      region: options.region,
      // Only these credentials: never the default chain, which would answer for the base identity.
      credentials: {
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
      },
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      maxAttempts: 2,
    });
    try {
      const out = await client.send(new GetCallerIdentityCommand({}));
      if (!out.Account || !out.Arn) throw new Error('GetCallerIdentity returned no Account or Arn');
      return { account: out.Account, arn: out.Arn };
    } finally {
      client.destroy();
    }
  };
}

/**
 * The ARN STS reports for the grant's session: `arn:<partition>:sts::<account>:assumed-role/<role
 * name>/jit-<grantId>`. The role's path is not part of it, and the partition is the role ARN's.
 */
export function expectedSessionArn(grant: Pick<ActiveElevation, 'account' | 'grantId' | 'roleArn'>): string {
  const partition = grant.roleArn.split(':')[1] ?? 'aws';
  const roleName =
    grant.roleArn
      .slice(grant.roleArn.indexOf(':role/') + ':role/'.length)
      .split('/')
      .pop() ?? '';
  return `arn:${partition}:sts::${grant.account}:assumed-role/${roleName}/${sessionNameFor(grant.grantId)}`;
}

/** How many verified access key ids one verifier remembers (a process rarely sees more than a few). */
const CACHE_LIMIT = 256;

/**
 * A verifier that compares STS's answer with the grant: the requested account, and the session
 * ARN of the payload's role and grant. A successful answer is remembered per access key id for the
 * verifier's lifetime, so a long-lived SDK client that refreshes the same grant asks STS once.
 */
export function createCredentialVerifier(lookup: CallerIdentityLookup): CredentialVerifier {
  // access key id → the session ARN STS confirmed for it. A key id belongs to one principal for
  // its whole life, so the answer cannot go stale while the key is valid.
  const verified = new Map<string, string>();
  return async (grant, credentials) => {
    const expectedArn = expectedSessionArn(grant);
    const roleName = expectedArn.split('/')[1];
    if (roleName !== grant.roleName) {
      throw new AgentError(
        AgentErrorCode.ForeignCredentials,
        `grant ${grant.grantId} names role ${grant.roleName} but its role ARN is ${grant.roleArn}: refusing credentials whose role is ambiguous`,
        { suggestion: SUGGESTION },
      );
    }
    if (verified.get(credentials.accessKeyId) === expectedArn) return false;
    let identity: CallerIdentity;
    try {
      identity = await lookup(credentials);
    } catch (error) {
      const name = (error as { name?: unknown } | null)?.name;
      const detail = `${typeof name === 'string' && name !== 'Error' ? `${name}: ` : ''}${error instanceof Error ? error.message : String(error)}`;
      throw new AgentError(
        AgentErrorCode.ForeignCredentials,
        `cannot confirm that the credentials of grant ${grant.grantId} are its session ${expectedArn} (sts:GetCallerIdentity failed: ${detail})`,
        {
          suggestion:
            'nothing was run; check the network and the STS endpoint (AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL); if STS rejected the credentials, the secret does not hold a valid grant: tell the platform team',
          cause: error,
        },
      );
    }
    if (identity.account !== grant.account || identity.arn !== expectedArn) {
      throw new AgentError(
        AgentErrorCode.ForeignCredentials,
        `the credentials in the secret for account ${grant.account} are not grant ${grant.grantId}'s: expected account ${grant.account} and ${expectedArn}, STS says account ${identity.account} and ${identity.arn}`,
        { suggestion: SUGGESTION },
      );
    }
    if (verified.size >= CACHE_LIMIT) {
      const oldest = verified.keys().next().value;
      if (oldest !== undefined) verified.delete(oldest);
    }
    verified.set(credentials.accessKeyId, expectedArn);
    return true;
  };
}

const SUGGESTION =
  'nothing was run: someone who can write the secret may have planted credentials; tell the platform team and the approvers (the secret was written outside jit-grant)';
