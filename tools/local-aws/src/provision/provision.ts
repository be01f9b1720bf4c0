import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  ListUsersCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutObjectLockConfigurationCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient, VerifyDomainIdentityCommand, VerifyEmailIdentityCommand } from '@aws-sdk/client-ses';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import {
  agentBasePolicy,
  denyCeilingPolicy,
  elevatedRoleTrustPolicy,
  type JitConfig,
  MANAGED_POLICY_NAMES,
  type PolicyDocument,
  placeholderSecretString,
  REVOKER_ROLE_NAME,
  revokerPermissionsPolicy,
  revokerTrustPolicy,
  roleArn,
  secretArnPattern,
  secretName,
  securityBoundaryPolicy,
  tierPermissionsPolicy,
} from '@jit-access/core';
import { LocalAwsError, LocalAwsErrorCode } from '../errors.js';
import { localSsoApproverRole } from '../sso/issueToken.js';
import { adaptPolicyForMoto, type MotoWidening, mfaWidenings, trustPolicyWidenings } from './motoPolicy.js';

/** Fake static credentials: moto does not look at them while the bootstrap window is open. */
const BOOTSTRAP_CREDENTIALS = { accessKeyId: 'AKIAJITLOCALBOOTSTRAP', secretAccessKey: 'bootstrap-not-a-secret' };

/** Names of what the local environment adds beyond the stacks. */
export const LOCAL_NAMES = {
  /** A role with every permission in every account, assumable by the local admin user. */
  adminRole: 'JitLocalAdmin',
  adminUser: 'jit-local-admin',
  approverUser: 'jit-approver',
  approverPolicy: 'JitLocalApprover',
  agentPolicy: 'JitAgentBase',
  secretsKeyAlias: 'alias/jit-secrets',
  trailKeyAlias: 'alias/jit-trail',
  defaultTopic: 'jit-notifications',
  /**
   * The Roles Anywhere agent role when accounts/ configures an IAM-user agent: the local
   * environment offers both base identities so that both can be tried and tested.
   */
  certificateAgentRole: 'JitAgentCertificate',
  /** The log archive's SES identities: the domain and the report sender. */
  sesDomain: 'example.com',
  sesSender: 'jit-reports@example.com',
} as const;

export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface ProvisionedRole {
  readonly tier: string;
  readonly roleName: string;
  readonly roleArn: string;
  readonly managedPolicies: readonly string[];
  /** The role's permissions boundary: its own tier policy (decision 0007). moto stores it but never evaluates it. */
  readonly permissionsBoundary: string;
}

export interface ProvisionedIdentity {
  readonly name: string;
  readonly arn: string;
  /** The access key id (never the secret key). */
  readonly accessKeyId: string;
}

/** What was created, by account. Holds no secret keys, so it may be written and printed. */
export interface LocalAccounts {
  readonly region: string;
  /** In every account: `arn:aws:iam::<id>:role/JitLocalAdmin`, assumable by the admin user. */
  readonly adminRoleName: string;
  readonly hub: {
    readonly id: string;
    readonly name: string;
    readonly kmsKeyArn: string;
    readonly kmsKeyAlias: string;
    readonly secrets: readonly { readonly accountId: string; readonly name: string; readonly arn: string }[];
    readonly topics: readonly { readonly name: string; readonly arn: string }[];
    readonly admin: ProvisionedIdentity;
    readonly approver: ProvisionedIdentity;
    readonly agent: ProvisionedIdentity & { readonly kind: 'iam-user' | 'roles-anywhere' };
    /** The role a Roles Anywhere certificate session gets (the base policy, like the agent). */
    readonly certificateAgentRoleArn: string;
  };
  readonly logArchive: {
    readonly id: string;
    readonly name: string;
    readonly bucket: string;
    readonly kmsKeyArn: string;
    readonly objectLock: { readonly mode: 'COMPLIANCE'; readonly days: number };
    readonly sesIdentities: readonly string[];
  };
  readonly management?: { readonly id: string; readonly name: string };
  readonly workloads: readonly {
    readonly id: string;
    readonly name: string;
    readonly roles: readonly ProvisionedRole[];
    /** The role approvers assume to attach and remove revocation denies on the tier roles. */
    readonly revokerRoleArn: string;
  }[];
}

export interface ProvisionResult {
  readonly accounts: LocalAccounts;
  readonly credentials: {
    readonly admin: LocalCredentials;
    readonly approver: LocalCredentials;
    readonly agent: LocalCredentials;
  };
  /** Every statement moto gets in a wider form than AWS would (see motoPolicy.ts). */
  readonly widenings: readonly MotoWidening[];
}

export interface ProvisionOptions {
  readonly config: JitConfig;
  /** moto's own endpoint (not the edge: provisioning is not an audited API call). */
  readonly motoEndpoint: string;
  /** One line per widened statement and per step. @default ignore */
  readonly log?: (line: string) => void;
}

/**
 * Creates in a fresh moto what the stacks create in AWS, from the same core model, plus the
 * local identities (admin, approver, agent). moto runs with IAM enforcement on from its first
 * request; provisioning opens a bootstrap window (`/moto-api/reset-auth`, no checks), creates
 * everything in each account by addressing it with moto's `x-moto-account-id` header, and
 * closes the window again, then checks that enforcement is back on.
 */
export async function provision(options: ProvisionOptions): Promise<ProvisionResult> {
  const { config, motoEndpoint } = options;
  const log = options.log ?? (() => {});
  const widenings: MotoWidening[] = [];
  const forMoto = (label: string, document: PolicyDocument): string => {
    const adapted = adaptPolicyForMoto(label, document);
    for (const w of adapted.widenings) log(`moto: ${w.policy} ${w.statement}: ${w.change} (${w.reason})`);
    widenings.push(...adapted.widenings);
    return JSON.stringify(adapted.document);
  };

  const made: SdkClient[] = [];
  const client = <T extends SdkClient>(
    Client: new (clientConfig: never) => T,
    endpoint: string,
    region: string,
    accountId: string,
    extra: Record<string, unknown> = {},
  ): T => {
    const instance = motoClient(Client, endpoint, region, accountId, extra);
    made.push(instance);
    return instance;
  };

  await setEnforcement(motoEndpoint, false);
  let accounts: LocalAccounts;
  let credentials: { admin: LocalCredentials; approver: LocalCredentials; agent: LocalCredentials };
  try {
    const hubId = config.hub.id;
    const adminUserArn = `arn:aws:iam::${hubId}:user/${LOCAL_NAMES.adminUser}`;
    const every = uniqueAccounts(config);
    const adminAll = JSON.stringify(allowAll());

    // The local admin: a user in the hub and a role in every account it can assume.
    const hubIam = client(IAMClient, motoEndpoint, config.region, hubId);
    await hubIam.send(new CreateUserCommand({ UserName: LOCAL_NAMES.adminUser }));
    await hubIam.send(
      new PutUserPolicyCommand({
        UserName: LOCAL_NAMES.adminUser,
        PolicyName: 'JitLocalAdmin',
        PolicyDocument: adminAll,
      }),
    );
    const adminKey = await accessKey(hubIam, LOCAL_NAMES.adminUser);
    for (const accountId of every) {
      const iam = client(IAMClient, motoEndpoint, config.region, accountId);
      await iam.send(
        new CreateRoleCommand({
          RoleName: LOCAL_NAMES.adminRole,
          Description: 'Local environment only: full access, assumable by the local admin user',
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { AWS: adminUserArn }, Action: 'sts:AssumeRole' }],
          }),
          MaxSessionDuration: 43_200,
        }),
      );
      await iam.send(
        new PutRolePolicyCommand({ RoleName: LOCAL_NAMES.adminRole, PolicyName: 'AllowAll', PolicyDocument: adminAll }),
      );
    }
    log(
      `provisioned the local admin (user ${LOCAL_NAMES.adminUser}, role ${LOCAL_NAMES.adminRole} in ${every.length} accounts)`,
    );

    // Workload accounts: one role per tier with its tier policy and the ceiling, and the tier
    // policy as its permissions boundary (as the stacks do).
    const ceiling = forMoto(`${MANAGED_POLICY_NAMES.ceiling} (every workload account)`, denyCeilingPolicy(config));
    const trust = elevatedRoleTrustPolicy(config);
    const revokerTrust = revokerTrustPolicy(config);
    // With approvers.requireMfa the stacks' trust policies refuse the local approver (access keys,
    // no MFA); moto does not evaluate them, so the local environment keeps working, and says why.
    const trustWidenings = [
      ...trustPolicyWidenings('trust policy of the elevated roles', trust),
      ...mfaWidenings('trust policy of the elevated roles', trust),
      ...trustPolicyWidenings(`trust policy of ${REVOKER_ROLE_NAME}`, revokerTrust),
      ...mfaWidenings(`trust policy of ${REVOKER_ROLE_NAME}`, revokerTrust),
    ];
    for (const w of trustWidenings) log(`moto: ${w.policy} ${w.statement}: ${w.change} (${w.reason})`);
    widenings.push(...trustWidenings);
    widenings.push({
      policy: `${MANAGED_POLICY_NAMES.boundary} (every workload account)`,
      statement: '*',
      change: 'created but never evaluated',
      reason: 'moto ignores permissions boundaries',
    });
    log(`moto: ${MANAGED_POLICY_NAMES.boundary}: created but never evaluated (moto ignores permissions boundaries)`);
    const tierPolicies = new Map(
      config.tiers.map((tier) => [
        tier.name,
        forMoto(MANAGED_POLICY_NAMES.tier(tier.name), tierPermissionsPolicy(config, tier.name)),
      ]),
    );
    for (const tier of config.tiers.filter((t) => config.workloadAccounts.some((a) => a.tiers.includes(t.name)))) {
      const boundary: MotoWidening = {
        policy: `${MANAGED_POLICY_NAMES.tier(tier.name)} as permissions boundary of ${tier.roleName} (every workload account)`,
        statement: '*',
        change: 'attached but never evaluated',
        reason:
          'moto ignores permissions boundaries: locally an inline Allow put on the tier role (JitRevoker can) widens the tier',
      };
      widenings.push(boundary);
      log(`moto: ${boundary.policy}: ${boundary.change} (${boundary.reason})`);
    }
    const workloads: LocalAccounts['workloads'][number][] = [];
    for (const account of config.workloadAccounts) {
      const iam = client(IAMClient, motoEndpoint, config.region, account.id);
      const policyArn = async (name: string, document: string, description: string): Promise<string> => {
        const created = await iam.send(
          new CreatePolicyCommand({ PolicyName: name, PolicyDocument: document, Description: description }),
        );
        return required(created.Policy?.Arn, `policy ${name} in ${account.id}`);
      };
      const ceilingArn = await policyArn(MANAGED_POLICY_NAMES.ceiling, ceiling, 'JIT Access deny ceiling (moto form)');
      await policyArn(
        MANAGED_POLICY_NAMES.boundary,
        JSON.stringify(securityBoundaryPolicy(config)),
        'JIT Access boundary for principals created by elevated sessions',
      );
      const roles: ProvisionedRole[] = [];
      for (const tierName of account.tiers) {
        const tier = config.tiers.find((t) => t.name === tierName);
        if (tier === undefined) continue;
        const tierPolicyName = MANAGED_POLICY_NAMES.tier(tier.name);
        const tierArn = await policyArn(
          tierPolicyName,
          tierPolicies.get(tier.name) ?? '',
          `JIT Access tier ${tier.name}`,
        );
        await iam.send(
          new CreateRoleCommand({
            RoleName: tier.roleName,
            Description: tier.description,
            AssumeRolePolicyDocument: JSON.stringify(trust),
            MaxSessionDuration: 3_600,
            PermissionsBoundary: tierArn,
            Tags: [{ Key: 'jit:tier', Value: tier.name }],
          }),
        );
        for (const arn of [tierArn, ceilingArn]) {
          await iam.send(new AttachRolePolicyCommand({ RoleName: tier.roleName, PolicyArn: arn }));
        }
        roles.push({
          tier: tier.name,
          roleName: tier.roleName,
          roleArn: roleArn(account.id, tier.roleName),
          managedPolicies: [tierPolicyName, MANAGED_POLICY_NAMES.ceiling],
          permissionsBoundary: tierPolicyName,
        });
      }
      await iam.send(
        new CreateRoleCommand({
          RoleName: REVOKER_ROLE_NAME,
          Description: 'JIT Access: approvers attach and remove revocation denies on the tier roles',
          AssumeRolePolicyDocument: JSON.stringify(revokerTrust),
          MaxSessionDuration: 3_600,
        }),
      );
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: REVOKER_ROLE_NAME,
          PolicyName: 'JitRevoker',
          PolicyDocument: forMoto(`${account.id} ${REVOKER_ROLE_NAME}`, revokerPermissionsPolicy(config, account.id)),
        }),
      );
      workloads.push({
        id: account.id,
        name: account.name,
        roles,
        revokerRoleArn: roleArn(account.id, REVOKER_ROLE_NAME),
      });
      log(`provisioned workload ${account.name} (${account.id}): ${roles.map((r) => r.roleName).join(', ')}`);
    }

    // Hub: the secrets' key, one secret per workload account, the topic(s), agent and approver.
    const kms = client(KMSClient, motoEndpoint, config.region, hubId);
    const key = await kms.send(
      new CreateKeyCommand({
        Description: 'JIT Access: encrypts the agent/elevated/* secrets',
        KeyUsage: 'ENCRYPT_DECRYPT',
      }),
    );
    const kmsKeyArn = required(key.KeyMetadata?.Arn, 'the hub KMS key');
    await kms.send(
      new CreateAliasCommand({ AliasName: LOCAL_NAMES.secretsKeyAlias, TargetKeyId: key.KeyMetadata?.KeyId }),
    );
    const sm = client(SecretsManagerClient, motoEndpoint, config.region, hubId);
    const secrets: { accountId: string; name: string; arn: string }[] = [];
    for (const account of config.workloadAccounts) {
      const name = secretName(account.id);
      const created = await sm.send(
        new CreateSecretCommand({
          Name: name,
          Description: `JIT Access: elevated credentials for ${account.name} (${account.id})`,
          SecretString: placeholderSecretString(),
          KmsKeyId: kmsKeyArn,
          Tags: [{ Key: 'jit:account', Value: account.id }],
        }),
      );
      secrets.push({ accountId: account.id, name, arn: required(created.ARN, `secret ${name}`) });
    }
    const sns = client(SNSClient, motoEndpoint, config.region, hubId);
    const topicNames = config.notifications.flatMap((n) => (n.kind === 'sns' ? [n.topicName] : []));
    if (topicNames.length === 0) topicNames.push(LOCAL_NAMES.defaultTopic);
    const topics: { name: string; arn: string }[] = [];
    for (const name of topicNames) {
      const created = await sns.send(new CreateTopicCommand({ Name: name }));
      topics.push({ name, arn: required(created.TopicArn, `topic ${name}`) });
    }

    const agentPolicy = forMoto(`${hubId} agent ${LOCAL_NAMES.agentPolicy}`, agentBasePolicy(config));
    const certificateRoleName =
      config.agent.kind === 'roles-anywhere' ? config.agent.roleName : LOCAL_NAMES.certificateAgentRole;
    const createCertificateRole = async (): Promise<void> => {
      await hubIam.send(
        new CreateRoleCommand({
          RoleName: certificateRoleName,
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            // In AWS this role trusts rolesanywhere.amazonaws.com (the stacks write that). Locally the
            // edge's CreateSession assumes it as the admin user; moto 5.2 answers HTTP 500 to an
            // AssumeRole whose trust policy names a service principal, so only the admin is trusted.
            Statement: [{ Effect: 'Allow', Principal: { AWS: adminUserArn }, Action: 'sts:AssumeRole' }],
          }),
          MaxSessionDuration: 3_600,
        }),
      );
      await hubIam.send(
        new PutRolePolicyCommand({
          RoleName: certificateRoleName,
          PolicyName: LOCAL_NAMES.agentPolicy,
          PolicyDocument: agentPolicy,
        }),
      );
    };
    await createCertificateRole();
    let agent: LocalAccounts['hub']['agent'];
    let agentCredentials: LocalCredentials;
    if (config.agent.kind === 'iam-user') {
      const userName = config.agent.userName;
      await hubIam.send(new CreateUserCommand({ UserName: userName }));
      await hubIam.send(
        new PutUserPolicyCommand({
          UserName: userName,
          PolicyName: LOCAL_NAMES.agentPolicy,
          PolicyDocument: agentPolicy,
        }),
      );
      agentCredentials = await accessKey(hubIam, userName);
      agent = {
        kind: 'iam-user',
        name: userName,
        arn: `arn:aws:iam::${hubId}:user/${userName}`,
        accessKeyId: agentCredentials.accessKeyId,
      };
    } else {
      // The Roles Anywhere role (created above); the `agent` profile holds a session of it, issued
      // once to the local admin (moto ignores expiry), so tools can act as the agent without a certificate.
      const name = certificateRoleName;
      const sts = client(STSClient, motoEndpoint, config.region, hubId);
      const session = await sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn(hubId, name),
          RoleSessionName: 'local-agent',
          DurationSeconds: 3_600,
        }),
      );
      agentCredentials = {
        accessKeyId: required(session.Credentials?.AccessKeyId, 'agent session'),
        secretAccessKey: required(session.Credentials?.SecretAccessKey, 'agent session'),
        sessionToken: required(session.Credentials?.SessionToken, 'agent session'),
      };
      agent = { kind: 'roles-anywhere', name, arn: roleArn(hubId, name), accessKeyId: agentCredentials.accessKeyId };
    }

    const tierRoleArns = workloads.flatMap((w) => [...w.roles.map((r) => r.roleArn), w.revokerRoleArn]);
    const approverPolicy = forMoto(
      `${hubId} user ${LOCAL_NAMES.approverUser}: ${LOCAL_NAMES.approverPolicy}`,
      localApproverPolicy(
        config,
        tierRoleArns,
        kmsKeyArn,
        topics.map((t) => t.arn),
      ),
    );
    await hubIam.send(new CreateUserCommand({ UserName: LOCAL_NAMES.approverUser }));
    await hubIam.send(
      new PutUserPolicyCommand({
        UserName: LOCAL_NAMES.approverUser,
        PolicyName: LOCAL_NAMES.approverPolicy,
        PolicyDocument: approverPolicy,
      }),
    );
    const approverKey = await accessKey(hubIam, LOCAL_NAMES.approverUser);
    // The role an IAM Identity Center sign-in gets from the local portal (src/sso): the approver
    // principal that is a role, with the local approver's permissions, assumable by the admin
    // (the portal issues its sessions with the admin user's keys: moto checks the trust policy).
    const ssoRole = localSsoApproverRole(config);
    await hubIam.send(
      new CreateRoleCommand({
        RoleName: ssoRole.roleName,
        Path: ssoRole.path,
        Description: 'Local environment only: the approver role that the local SSO portal issues sessions of',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: adminUserArn }, Action: 'sts:AssumeRole' }],
        }),
        MaxSessionDuration: 43_200,
      }),
    );
    await hubIam.send(
      new PutRolePolicyCommand({
        RoleName: ssoRole.roleName,
        PolicyName: LOCAL_NAMES.approverPolicy,
        PolicyDocument: approverPolicy,
      }),
    );
    log(
      `provisioned hub ${config.hub.name} (${hubId}): ${secrets.length} secrets, ${topics.length} topic(s), agent, approver`,
    );

    // Log archive: the trail bucket with Object Lock (COMPLIANCE) and SSE-KMS, and SES identities.
    const archiveId = config.logArchive.id;
    const archiveKms = client(KMSClient, motoEndpoint, config.region, archiveId);
    const trailKey = await archiveKms.send(
      new CreateKeyCommand({ Description: 'JIT Access: encrypts the trail bucket' }),
    );
    const trailKeyArn = required(trailKey.KeyMetadata?.Arn, 'the log archive KMS key');
    await archiveKms.send(
      new CreateAliasCommand({ AliasName: LOCAL_NAMES.trailKeyAlias, TargetKeyId: trailKey.KeyMetadata?.KeyId }),
    );
    const s3 = client(S3Client, motoEndpoint, config.region, archiveId, { forcePathStyle: true });
    const bucket = config.logArchive.bucketName;
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        ObjectLockEnabledForBucket: true,
        ...(config.region === 'us-east-1'
          ? {}
          : { CreateBucketConfiguration: { LocationConstraint: config.region as never } }),
      }),
    );
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: bucket,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: config.logArchive.retentionDays } },
        },
      }),
    );
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [
            {
              ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: trailKeyArn },
              BucketKeyEnabled: true,
            },
          ],
        },
      }),
    );
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      }),
    );
    const ses = client(SESClient, motoEndpoint, config.region, archiveId);
    await ses.send(new VerifyDomainIdentityCommand({ Domain: LOCAL_NAMES.sesDomain }));
    await ses.send(new VerifyEmailIdentityCommand({ EmailAddress: LOCAL_NAMES.sesSender }));
    log(
      `provisioned log archive ${config.logArchive.name} (${archiveId}): bucket ${bucket} (Object Lock COMPLIANCE), SES`,
    );

    accounts = {
      region: config.region,
      adminRoleName: LOCAL_NAMES.adminRole,
      hub: {
        id: hubId,
        name: config.hub.name,
        kmsKeyArn,
        kmsKeyAlias: LOCAL_NAMES.secretsKeyAlias,
        secrets,
        topics,
        admin: { name: LOCAL_NAMES.adminUser, arn: adminUserArn, accessKeyId: adminKey.accessKeyId },
        approver: {
          name: LOCAL_NAMES.approverUser,
          arn: `arn:aws:iam::${hubId}:user/${LOCAL_NAMES.approverUser}`,
          accessKeyId: approverKey.accessKeyId,
        },
        agent,
        certificateAgentRoleArn: roleArn(hubId, certificateRoleName),
      },
      logArchive: {
        id: archiveId,
        name: config.logArchive.name,
        bucket,
        kmsKeyArn: trailKeyArn,
        objectLock: { mode: 'COMPLIANCE', days: config.logArchive.retentionDays },
        sesIdentities: [LOCAL_NAMES.sesDomain, LOCAL_NAMES.sesSender],
      },
      ...(config.management === undefined
        ? {}
        : { management: { id: config.management.id, name: config.management.name } }),
      workloads,
    };
    credentials = { admin: adminKey, approver: approverKey, agent: agentCredentials };
  } catch (error) {
    if (error instanceof LocalAwsError) throw error;
    throw new LocalAwsError(
      LocalAwsErrorCode.ProvisionFailed,
      `provisioning the accounts into moto failed: ${errorText(error)}`,
      {
        suggestion: 'check that accounts/ is valid (it is also checked by packages/core tests) and see the moto log',
        cause: error,
      },
    );
  } finally {
    for (const instance of made) instance.destroy();
    await setEnforcement(motoEndpoint, true);
  }

  await assertEnforced(motoEndpoint, config.region);
  return { accounts, credentials, widenings };
}

/**
 * The local approver's permissions: assume the tier roles, write, stage and tag the secrets,
 * use their key, publish to the topics. (In AWS the approver is a person's SSO role.)
 */
export function localApproverPolicy(
  config: JitConfig,
  tierRoleArns: readonly string[],
  kmsKeyArn: string,
  topicArns: readonly string[],
): PolicyDocument {
  const secretArns = config.workloadAccounts.map((a) => secretArnPattern(config.region, config.hub.id, a.id));
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'AssumeTierRoles', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: [...tierRoleArns] },
      // Separate from AssumeTierRoles: moto never checks these two, and widening them must not widen AssumeRole.
      {
        Sid: 'TagTierSessions',
        Effect: 'Allow',
        Action: ['sts:TagSession', 'sts:SetSourceIdentity'],
        Resource: [...tierRoleArns],
      },
      {
        Sid: 'WriteElevatedSecrets',
        Effect: 'Allow',
        Action: [
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:ListSecretVersionIds',
          'secretsmanager:TagResource',
          'secretsmanager:UntagResource',
        ],
        Resource: secretArns,
      },
      {
        Sid: 'UseSecretsKey',
        Effect: 'Allow',
        Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        Resource: kmsKeyArn,
      },
      { Sid: 'Notify', Effect: 'Allow', Action: 'sns:Publish', Resource: [...topicArns] },
      {
        Sid: 'WhoAmIAndAudit',
        Effect: 'Allow',
        Action: ['sts:GetCallerIdentity', 'cloudtrail:LookupEvents'],
        Resource: '*',
      },
    ],
  };
}

function allowAll(): PolicyDocument {
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
}

function uniqueAccounts(config: JitConfig): string[] {
  const ids = [
    config.hub.id,
    config.logArchive.id,
    ...(config.management === undefined ? [] : [config.management.id]),
    ...config.workloadAccounts.map((a) => a.id),
  ];
  return [...new Set(ids)];
}

/** Opens (false) or closes (true) moto's bootstrap window; see moto/moto_api/_internal/responses.py. */
async function setEnforcement(motoEndpoint: string, on: boolean): Promise<void> {
  const response = await fetch(`${motoEndpoint}/moto-api/reset-auth`, { method: 'POST', body: on ? '0' : 'inf' });
  await response.arrayBuffer();
  if (!response.ok) {
    throw new LocalAwsError(
      LocalAwsErrorCode.EnforcementOff,
      `moto refused to switch IAM enforcement ${on ? 'on' : 'off'} (HTTP ${response.status} from /moto-api/reset-auth)`,
      { suggestion: 'use moto 5.x: pip install "moto[server]"' },
    );
  }
}

/** An unknown access key must be refused; otherwise enforcement is off and every test would lie. */
async function assertEnforced(motoEndpoint: string, region: string): Promise<void> {
  const iam = new IAMClient({ endpoint: motoEndpoint, region, credentials: BOOTSTRAP_CREDENTIALS, maxAttempts: 1 });
  try {
    await iam.send(new ListUsersCommand({}));
  } catch (error) {
    if ((error as { name?: string }).name === 'InvalidClientTokenId') return;
    throw new LocalAwsError(
      LocalAwsErrorCode.EnforcementOff,
      `cannot confirm IAM enforcement in moto: ${errorText(error)}`,
      {
        cause: error,
      },
    );
  } finally {
    iam.destroy();
  }
  throw new LocalAwsError(
    LocalAwsErrorCode.EnforcementOff,
    'moto accepted an unknown access key: IAM enforcement is off',
    {
      suggestion: 'use moto 5.x and do not set INITIAL_NO_AUTH_ACTION_COUNT yourself',
    },
  );
}

async function accessKey(iam: IAMClient, userName: string): Promise<LocalCredentials> {
  const created = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  return {
    accessKeyId: required(created.AccessKey?.AccessKeyId, `access key of ${userName}`),
    secretAccessKey: required(created.AccessKey?.SecretAccessKey, `access key of ${userName}`),
  };
}

interface SdkClient {
  destroy(): void;
  middlewareStack: unknown;
}

interface BuildStack {
  add(
    middleware: (
      next: (args: { request: unknown }) => Promise<unknown>,
    ) => (args: { request: unknown }) => Promise<unknown>,
    options: { step: 'build'; name: string },
  ): void;
}

/** An SDK client for moto that addresses `accountId` with moto's account header. */
function motoClient<T extends SdkClient>(
  Client: new (config: never) => T,
  endpoint: string,
  region: string,
  accountId: string,
  extra: Record<string, unknown> = {},
): T {
  const clientConfig = { endpoint, region, credentials: BOOTSTRAP_CREDENTIALS, maxAttempts: 2, ...extra };
  const instance = new Client(clientConfig as never);
  (instance.middlewareStack as BuildStack).add(
    (next) => (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-moto-account-id'] = accountId;
      return next(args);
    },
    { step: 'build', name: 'jitMotoAccount' },
  );
  return instance;
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) {
    throw new LocalAwsError(LocalAwsErrorCode.ProvisionFailed, `moto returned no value for ${what}`);
  }
  return value;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
