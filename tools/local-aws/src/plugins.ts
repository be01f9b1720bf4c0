import path from 'node:path';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { JitConfig } from '@jit-access/core';
import { createCloudTrailPlugin } from './cloudtrail/index.js';
import type { EdgePlugin } from './edge/types.js';
import type { LocalAccounts, LocalCredentials } from './provision/provision.js';
import { createLocalCa, createRolesAnywhereHandler } from './rolesAnywhere/index.js';
import { createSsoPortalPlugin } from './sso/index.js';

/** What a plugin factory gets: the environment after provisioning, before the edge starts. */
export interface LocalAwsPluginContext {
  readonly config: JitConfig;
  readonly accounts: LocalAccounts;
  /** moto's own endpoint: plugins talk to moto directly, so their calls are not recorded. */
  readonly motoEndpoint: string;
  readonly region: string;
  /** The environment's state folder (logs, keys a plugin wants to keep). */
  readonly stateDir: string;
  /** The local admin user's keys; `arn:aws:iam::<id>:role/<accounts.adminRoleName>` reaches every account. */
  readonly adminCredentials: LocalCredentials;
  /** Credentials of the local admin role in one account (assumed through moto directly, cached). */
  readonly adminCredentialsFor: (accountId: string) => Promise<LocalCredentials>;
  readonly log: (line: string) => void;
}

export type EdgePluginFactory = (context: LocalAwsPluginContext) => EdgePlugin | Promise<EdgePlugin>;

/** Every account of the configuration, each once. */
function allAccountIds(context: LocalAwsPluginContext): string[] {
  const a = context.accounts;
  return [
    ...new Set([
      a.hub.id,
      a.logArchive.id,
      ...(a.management === undefined ? [] : [a.management.id]),
      ...a.workloads.map((w) => w.id),
    ]),
  ];
}

/** The CloudTrail recorder (src/cloudtrail): records every call, delivers to the log archive bucket. */
const cloudTrail: EdgePluginFactory = (context) =>
  createCloudTrailPlugin({
    motoEndpoint: context.motoEndpoint,
    credentialsFor: context.adminCredentialsFor,
    logArchive: { accountId: context.accounts.logArchive.id, bucket: context.accounts.logArchive.bucket },
    ...(context.config.organizationId === undefined ? {} : { organizationId: context.config.organizationId }),
    ...(context.accounts.management === undefined ? {} : { managementAccountId: context.accounts.management.id }),
    trailName: context.config.trail.name,
    homeRegion: context.region,
    accounts: allAccountIds(context),
    stateDir: path.join(context.stateDir, 'cloudtrail'),
  }).plugin;

/** Where the local Roles Anywhere CA lives, and the ARNs of its trust anchor and profile. */
export function localRolesAnywhere(context: { stateDir: string; region: string; accounts: LocalAccounts }): {
  readonly caDir: string;
  readonly trustAnchorArn: string;
  readonly profileArn: string;
  readonly roleArn: string;
} {
  const hub = context.accounts.hub.id;
  return {
    caDir: path.join(context.stateDir, 'roles-anywhere-ca'),
    trustAnchorArn: `arn:aws:rolesanywhere:${context.region}:${hub}:trust-anchor/0a11ce00-0000-4000-8000-00000000a001`,
    profileArn: `arn:aws:rolesanywhere:${context.region}:${hub}:profile/0a11ce00-0000-4000-8000-00000000b001`,
    roleArn: context.accounts.hub.certificateAgentRoleArn,
  };
}

/**
 * Roles Anywhere `CreateSession` (src/rolesAnywhere) for certificates issued by a local CA that
 * the environment creates in its state folder: the CA is the trust anchor, one profile allows the
 * certificate agent role, and the session is an STS session of that role with SourceIdentity =
 * the certificate's CN. The STS call goes to moto directly; the recorder learns the session from
 * the CreateSession response it observes.
 */
const rolesAnywhere: EdgePluginFactory = async (context) => {
  const local = localRolesAnywhere(context);
  const ca = await createLocalCa({ dir: local.caDir, commonName: 'JIT Access local agent CA' });
  const handle = createRolesAnywhereHandler({
    trustAnchors: [{ arn: local.trustAnchorArn, caCertificatePem: ca.certificatePem }],
    profiles: [{ arn: local.profileArn, roleArns: [local.roleArn] }],
    region: context.region,
    assumeRole: async ({ roleArn, sessionName, sourceIdentity, durationSeconds }) => {
      // The hub's admin user itself: moto checks a role's trust against the caller's exact ARN, and
      // the certificate role trusts the admin user (not its JitLocalAdmin sessions).
      const sts = new STSClient({
        region: context.region,
        endpoint: context.motoEndpoint,
        credentials: context.adminCredentials,
      });
      try {
        const out = await sts.send(
          new AssumeRoleCommand({
            RoleArn: roleArn,
            RoleSessionName: sessionName,
            SourceIdentity: sourceIdentity,
            DurationSeconds: durationSeconds,
          }),
        );
        const c = out.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
          throw new Error('moto returned no credentials');
        }
        return {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          sessionToken: c.SessionToken,
          expiration: c.Expiration,
          ...(out.AssumedRoleUser?.Arn && out.AssumedRoleUser.AssumedRoleId
            ? { assumedRoleUser: { arn: out.AssumedRoleUser.Arn, assumedRoleId: out.AssumedRoleUser.AssumedRoleId } }
            : {}),
        };
      } finally {
        sts.destroy();
      }
    },
  });
  return { name: 'roles-anywhere', handle };
};

/**
 * The plugins every local environment gets, in order (handlers are tried in this order).
 */
export const BUILTIN_PLUGINS: readonly { readonly name: string; readonly create: EdgePluginFactory }[] = [
  { name: 'roles-anywhere', create: rolesAnywhere },
  // IAM Identity Center portal GetRoleCredentials (src/sso) for tokens from issueLocalSsoToken.
  { name: 'sso-portal', create: createSsoPortalPlugin },
  { name: 'cloudtrail', create: cloudTrail },
];
