import {
  approverAccounts,
  denyCeilingPolicy,
  type JitConfig,
  type PolicyDocument,
  type PolicyStatement,
  SECRET_PREFIX,
} from '@jit-access/core';
import { HUB_NAMES, IAM_LIMITS, WORKLOAD_NAMES } from '../names.js';
import { agentPrincipalArn, agentSecretsArnPattern, doc, keyAdministration, serviceEndpoint } from './common.js';
import { splitPolicy } from './split.js';

/**
 * Resource policy of every agent secret. Secrets Manager evaluates it on every call, whatever the
 * caller's own policies say, so it holds even against an administrator's broad identity policy:
 * - nobody but the agent, the approvers and the deployment role may touch the secret at all;
 * - nobody but the agent may read it, and the agent may do nothing else;
 * - a read may only name the AWSCURRENT stage (or none), never an old stage or a version id.
 */
export function agentSecretResourcePolicy(
  config: JitConfig,
  options: { readonly deploymentPrincipalPatterns: readonly string[] },
): PolicyDocument {
  const agent = agentPrincipalArn(config);
  const everyone = { AWS: '*' } as const;
  return doc([
    {
      Sid: 'OnlyAgentApproversAndDeployment',
      Effect: 'Deny',
      Principal: everyone,
      Action: 'secretsmanager:*',
      Resource: '*',
      Condition: {
        ArnNotLike: {
          'aws:PrincipalArn': [agent, ...config.approvers.principals, ...options.deploymentPrincipalPatterns],
        },
      },
    },
    {
      Sid: 'OnlyTheAgentReads',
      Effect: 'Deny',
      Principal: everyone,
      Action: 'secretsmanager:GetSecretValue',
      Resource: '*',
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': agent } },
    },
    {
      Sid: 'TheAgentOnlyReads',
      Effect: 'Deny',
      Principal: everyone,
      NotAction: 'secretsmanager:GetSecretValue',
      Resource: '*',
      Condition: { ArnEquals: { 'aws:PrincipalArn': agent } },
    },
    {
      // Both conditions must hold: a stage is named, and it is not AWSCURRENT. (A negated
      // operator alone would also match requests that name no stage, which read AWSCURRENT.)
      Sid: 'OnlyTheCurrentStageIsReadable',
      Effect: 'Deny',
      Principal: everyone,
      Action: 'secretsmanager:GetSecretValue',
      Resource: '*',
      Condition: {
        Null: { 'secretsmanager:VersionStage': 'false' },
        StringNotEquals: { 'secretsmanager:VersionStage': 'AWSCURRENT' },
      },
    },
    {
      // A version id can name a version that no longer carries AWSCURRENT.
      Sid: 'NoReadsByVersionId',
      Effect: 'Deny',
      Principal: everyone,
      Action: 'secretsmanager:GetSecretValue',
      Resource: '*',
      Condition: { Null: { 'secretsmanager:VersionId': 'false' } },
    },
  ]);
}

/**
 * Key policy of the agent secrets' key: the account administers it without using it; approvers
 * and the deployment role encrypt (with the Decrypt that Secrets Manager documents for writers)
 * only through Secrets Manager; the agent decrypts only through Secrets Manager. The key serves
 * the agent secrets alone, and their resource policies decide who reads them. (An encryption
 * context condition on the secret's ARN would say the same once more, but the IAM simulator the
 * gates use ignores `kms:EncryptionContext:*` keys, so it could not be checked; see the README.)
 * `agentArn` is the agent principal as the template knows it (a GetAtt), so CloudFormation creates
 * the principal first.
 */
export function agentSecretsKeyPolicy(
  config: JitConfig,
  options: { readonly agentArn: string; readonly deploymentPrincipalPatterns: readonly string[] },
): PolicyDocument {
  const viaSecretsManager = serviceEndpoint('secretsmanager', config.region);
  return doc([
    keyAdministration(config.hub.id),
    {
      Sid: 'ApproversEncryptAgentSecretsThroughSecretsManager',
      Effect: 'Allow',
      Principal: { AWS: approverAccounts(config).map((id) => `arn:aws:iam::${id}:root`) },
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: '*',
      Condition: {
        ArnLike: { 'aws:PrincipalArn': [...config.approvers.principals] },
        StringEquals: { 'kms:ViaService': viaSecretsManager },
      },
    },
    {
      Sid: 'DeploymentWritesPlaceholdersThroughSecretsManager',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${config.hub.id}:root` },
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: '*',
      Condition: {
        ArnLike: { 'aws:PrincipalArn': [...options.deploymentPrincipalPatterns] },
        StringEquals: { 'kms:ViaService': viaSecretsManager },
      },
    },
    {
      Sid: 'AgentDecryptsOnlyThroughSecretsManager',
      Effect: 'Allow',
      Principal: { AWS: options.agentArn },
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: { StringEquals: { 'kms:ViaService': viaSecretsManager } },
    },
  ]);
}

/** Key policy of the notification topic's key: SNS uses it; approvers publish through SNS only. */
export function notificationsKeyPolicy(config: JitConfig): PolicyDocument {
  return doc([
    keyAdministration(config.hub.id),
    {
      Sid: 'ApproversPublishThroughSns',
      Effect: 'Allow',
      Principal: { AWS: approverAccounts(config).map((id) => `arn:aws:iam::${id}:root`) },
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: '*',
      Condition: {
        ArnLike: { 'aws:PrincipalArn': [...config.approvers.principals] },
        StringEquals: { 'kms:ViaService': serviceEndpoint('sns', config.region) },
      },
    },
    {
      // Subscriptions (an encrypted SQS queue, say) need SNS itself to use the key.
      Sid: 'SnsDeliversToSubscribers',
      Effect: 'Allow',
      Principal: { Service: 'sns.amazonaws.com' },
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': config.hub.id } },
    },
  ]);
}

export function topicArn(config: JitConfig, topicName: string): string {
  return `arn:aws:sns:${config.region}:${config.hub.id}:${topicName}`;
}

/** Topic policy: publishing only over TLS, and only by the approvers (besides the account's administrators). */
export function notificationTopicPolicy(config: JitConfig, topicName: string): PolicyDocument {
  const arn = topicArn(config, topicName);
  return doc([
    {
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'sns:Publish',
      Resource: arn,
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
    {
      Sid: 'ApproversPublish',
      Effect: 'Allow',
      Principal: { AWS: approverAccounts(config).map((id) => `arn:aws:iam::${id}:root`) },
      Action: 'sns:Publish',
      Resource: arn,
      Condition: { ArnLike: { 'aws:PrincipalArn': [...config.approvers.principals] } },
    },
  ]);
}

/** The most accounts one `aws:ResourceAccount` list carries before a statement is split (keeps each well under the policy cap). */
const ACCOUNTS_PER_STATEMENT = 250;

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Assuming a role in some accounts: a wildcard-account role ARN narrowed by `aws:ResourceAccount`,
 * so the policy grows by 15 characters per account rather than by a whole ARN.
 */
function assumeInAccounts(
  sid: string,
  roleName: string,
  accountIds: readonly string[],
  actions: readonly string[],
): PolicyStatement[] {
  return chunk(accountIds, ACCOUNTS_PER_STATEMENT).map((ids, i) => ({
    Sid: i === 0 ? sid : `${sid}Part${i + 1}`,
    Effect: 'Allow',
    Action: [...actions],
    Resource: `arn:aws:iam::*:role/${roleName}`,
    Condition: { StringEquals: { 'aws:ResourceAccount': ids } },
  }));
}

function sidPart(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => (w[0] ?? '').toUpperCase() + w.slice(1))
    .join('');
}

/**
 * What `jit-grant` needs in the hub, and nothing more: write, stage and tag the agent secrets,
 * describe them (grant metadata lives in their `jit:` tags), encrypt through Secrets Manager,
 * publish notifications, assume each tier's role only in the accounts the tier allows and the
 * revoker role in every workload account. Reading the agent's credentials and touching the audit
 * trail are denied outright, whatever else the approver's permission set grants.
 * Returned as one or more documents of at most one managed policy each.
 */
export function approverPolicies(
  config: JitConfig,
  options: {
    readonly secretsKeyArn: string;
    readonly notificationKeyArn?: string;
    readonly topicNames: readonly string[];
  },
): PolicyDocument[] {
  const secrets = agentSecretsArnPattern(config);
  const ceiling = denyCeilingPolicy(config).Statement;
  const fromCeiling = (sid: string): PolicyStatement[] => ceiling.filter((s) => s.Sid === sid);
  const statements: PolicyStatement[] = [
    {
      Sid: 'WriteAndStageAgentSecrets',
      Effect: 'Allow',
      Action: [
        'secretsmanager:PutSecretValue',
        'secretsmanager:UpdateSecretVersionStage',
        'secretsmanager:DescribeSecret',
        'secretsmanager:ListSecretVersionIds',
      ],
      Resource: secrets,
    },
    {
      Sid: 'TagAgentSecretsWithGrantMetadata',
      Effect: 'Allow',
      Action: ['secretsmanager:TagResource', 'secretsmanager:UntagResource'],
      Resource: secrets,
      Condition: { 'ForAllValues:StringLike': { 'aws:TagKeys': ['jit:*'] } },
    },
    {
      Sid: 'EncryptAgentSecretsThroughSecretsManager',
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: options.secretsKeyArn,
      Condition: { StringEquals: { 'kms:ViaService': serviceEndpoint('secretsmanager', config.region) } },
    },
    ...(options.topicNames.length === 0
      ? []
      : [
          {
            Sid: 'PublishNotifications',
            Effect: 'Allow',
            Action: 'sns:Publish',
            Resource: options.topicNames.map((t) => topicArn(config, t)),
          } satisfies PolicyStatement,
          ...(options.notificationKeyArn === undefined
            ? []
            : [
                {
                  Sid: 'EncryptNotificationsThroughSns',
                  Effect: 'Allow',
                  Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
                  Resource: options.notificationKeyArn,
                  Condition: { StringEquals: { 'kms:ViaService': serviceEndpoint('sns', config.region) } },
                } satisfies PolicyStatement,
              ]),
        ]),
    ...(notificationSecretArns(config).length === 0
      ? []
      : [
          {
            Sid: 'ReadNotificationSigningSecrets',
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource: notificationSecretArns(config),
          } satisfies PolicyStatement,
        ]),
    { Sid: 'KnowOwnIdentity', Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' },
    ...config.tiers.flatMap((tier) =>
      tier.accountIds.length === 0
        ? []
        : assumeInAccounts(`AssumeTier${sidPart(tier.name)}`, tier.roleName, tier.accountIds, [
            'sts:AssumeRole',
            'sts:SetSourceIdentity',
            'sts:TagSession',
          ]),
    ),
    // Revocation is not an elevated session: no source identity, no tags (core's revokerTrustPolicy).
    ...assumeInAccounts(
      'AssumeRevoker',
      WORKLOAD_NAMES.revokerRole,
      config.workloadAccounts.map((a) => a.id),
      ['sts:AssumeRole'],
    ),
    {
      Sid: 'NeverReadAgentCredentials',
      Effect: 'Deny',
      Action: 'secretsmanager:GetSecretValue',
      Resource: `arn:aws:secretsmanager:*:*:secret:${SECRET_PREFIX}*`,
    },
    ...fromCeiling('NeverTouchAuditTrail'),
    ...fromCeiling('NeverTouchLogArchive'),
  ];
  // Leave room for CloudFormation tokens (key ARNs) that are longer once deployed than here.
  return splitPolicy(doc(statements), IAM_LIMITS.managedPolicyChars - 256);
}

/**
 * Secrets that jit-grant reads to sign or send notifications (a webhook's shared secret, a Slack
 * webhook URL) when accounts/ names them by `secretId`: a name in the hub, or a full ARN.
 */
export function notificationSecretArns(config: JitConfig): string[] {
  const ids = config.notifications.flatMap((n) => {
    if (n.kind === 'webhook' && 'secretId' in n.secret) return [n.secret.secretId];
    if (n.kind === 'slack' && 'secretId' in n.webhookUrl) return [n.webhookUrl.secretId];
    return [];
  });
  return [...new Set(ids)].map((id) =>
    id.startsWith('arn:') ? id : `arn:aws:secretsmanager:${config.region}:${config.hub.id}:secret:${id}-??????`,
  );
}

export function approverPolicyName(index: number): string {
  return index === 0 ? HUB_NAMES.approverPolicy : `${HUB_NAMES.approverPolicy}-${index + 1}`;
}

export function agentPolicyName(index: number): string {
  return index === 0 ? HUB_NAMES.agentPolicy : `${HUB_NAMES.agentPolicy}-${index + 1}`;
}

/** Trust policy of the Roles Anywhere agent role: only sessions from our trust anchor, for the agent's certificate. */
export function rolesAnywhereTrustPolicy(options: {
  readonly trustAnchorArn: string;
  readonly commonName: string;
}): PolicyDocument {
  return doc([
    {
      Sid: 'AgentCertificateThroughTrustAnchor',
      Effect: 'Allow',
      Principal: { Service: 'rolesanywhere.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
      Condition: {
        ArnEquals: { 'aws:SourceArn': options.trustAnchorArn },
        StringEquals: { 'aws:PrincipalTag/x509Subject/CN': options.commonName },
      },
    },
  ]);
}
