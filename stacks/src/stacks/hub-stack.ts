import { agentBasePolicy, type JitConfig, placeholderSecretString, SECRET_PREFIX, secretName } from '@jit-access/core';
import { CfnOutput, Stack, type StackProps, Tags, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rolesanywhere from 'aws-cdk-lib/aws-rolesanywhere';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { acknowledge } from '../acknowledge.js';
import { PropsProblems } from '../errors.js';
import { HUB_NAMES, IAM_LIMITS, KEY_ALIASES } from '../names.js';
import { agentPrincipalArn, cdkDeploymentRolePattern } from '../policies/common.js';
import {
  agentPolicyName,
  agentSecretResourcePolicy,
  agentSecretsKeyPolicy,
  approverPolicies,
  approverPolicyName,
  notificationSecretArns,
  notificationsKeyPolicy,
  notificationTopicPolicy,
  rolesAnywhereTrustPolicy,
} from '../policies/hub.js';
import { checkPolicySize } from '../policies/size.js';
import { splitPolicy } from '../policies/split.js';

export interface HubStackProps extends StackProps {
  /** The validated deployment model (`loadConfig('accounts')`). */
  readonly config: JitConfig;
  /**
   * PEM text of the CA bundle for the Roles Anywhere trust anchor, read from the file that
   * `agent.certificate.caBundleFile` names (the stack does no file I/O of its own).
   * @default undefined - required when the agent is `roles-anywhere` with `caBundleFile`; unused otherwise
   */
  readonly caBundlePem?: string;
  /**
   * Principals (ARN patterns) that deploy this stack and so must keep managing the secrets and
   * writing their placeholders. They are exempt from the secrets' deny-everyone statement, but
   * never from "only the agent reads".
   * @default the CDK bootstrap's CloudFormation execution role of the hub account, any qualifier
   * (`arn:aws:iam::<hub>:role/cdk-*-cfn-exec-role-<hub>-<region>`)
   */
  readonly deploymentPrincipalArns?: readonly string[];
}

/** ArnLike semantics, enough to tell whether an approver pattern would match the agent. */
function arnLike(pattern: string, arn: string): boolean {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`).test(arn);
}

/**
 * The hub (tooling) account: the agent's base identity, one secret per workload account with its
 * resource policy, the secrets' KMS key, the notification topic, and the approvers' managed
 * policy (for their IAM Identity Center permission set or IAM role).
 */
export class HubStack extends Stack {
  /** The agent's base identity, as `aws:PrincipalArn` sees it. */
  readonly agentArn: string;
  /** Names of the approvers' managed policies (one, or more when the policy outgrows one). */
  readonly approverPolicyNames: readonly string[];

  constructor(scope: Construct, id: string, props: HubStackProps) {
    super(scope, id, props);
    const { config } = props;
    const problems = new PropsProblems();
    problems.check(
      Token.isUnresolved(this.account) || this.account === config.hub.id,
      'env.account',
      `${this.account} is not the hub account ${config.hub.id} (${config.hub.name})`,
    );
    problems.check(
      Token.isUnresolved(this.region) || this.region === config.region,
      'env.region',
      `${this.region} is not the configured region ${config.region}`,
    );
    const agentArn = agentPrincipalArn(config);
    for (const pattern of config.approvers.principals) {
      problems.check(
        !arnLike(pattern, agentArn),
        'config.approvers.principals',
        `"${pattern}" matches the agent's own identity ${agentArn}: the agent could approve itself; name the approvers more narrowly`,
      );
    }
    const agent = config.agent;
    if (agent.kind === 'roles-anywhere') {
      if (agent.certificate.caBundleFile !== undefined) {
        problems.check(
          props.caBundlePem !== undefined && /-----BEGIN CERTIFICATE-----/.test(props.caBundlePem),
          'caBundlePem',
          props.caBundlePem === undefined
            ? `required: the agent uses Roles Anywhere with caBundleFile "${agent.certificate.caBundleFile}"; pass its PEM text`
            : 'is not a PEM certificate bundle (no "-----BEGIN CERTIFICATE-----" line)',
        );
      }
    }
    const deploymentPatterns = props.deploymentPrincipalArns ?? [
      cdkDeploymentRolePattern(config.hub.id, config.region),
    ];
    for (const arn of deploymentPatterns) {
      problems.check(
        /^arn:aws:iam::(\d{12}|\*):role\/[\w+=,.@/*-]+$/.test(arn),
        'deploymentPrincipalArns',
        `"${arn}" is not an IAM role ARN (pattern): expected arn:aws:iam::<account>:role/<name>`,
      );
      problems.check(
        !arnLike(arn, agentArn),
        'deploymentPrincipalArns',
        `"${arn}" matches the agent's own identity ${agentArn}`,
      );
    }
    const topicNames = config.notifications.flatMap((n) => (n.kind === 'sns' ? [n.topicName] : []));
    for (const arn of notificationSecretArns(config)) {
      problems.check(
        !arn.includes(`:secret:${SECRET_PREFIX}`),
        'config.notifications',
        `the notification secret ${arn} is under ${SECRET_PREFIX}: approvers may read notification secrets, and must never read the agent's`,
      );
    }
    const agentDocs = splitPolicy(agentBasePolicy(config), IAM_LIMITS.managedPolicyChars - 256);
    problems.check(
      agentDocs.length <= IAM_LIMITS.managedPoliciesPerPrincipal,
      'config.workloadAccounts',
      `the agent's base policy needs ${agentDocs.length} managed policies for ${config.workloadAccounts.length} accounts; IAM attaches ${IAM_LIMITS.managedPoliciesPerPrincipal} by default`,
    );
    const secretPolicy = agentSecretResourcePolicy(config, { deploymentPrincipalPatterns: deploymentPatterns });
    checkPolicySize(
      problems,
      'config.approvers.principals',
      secretPolicy,
      IAM_LIMITS.secretPolicyChars,
      "the secrets' resource policy",
      'Use fewer approver principals.',
    );
    problems.throwIfAny(this, 'fix accounts/ (or the stack props) and synthesize again');

    Tags.of(this).add('jit:component', 'hub');

    // The agent's base identity: exactly the base policy, through managed policies (never inline).
    let agentAttrArn: string;
    const agentPolicies = agentDocs.map(
      (policyDocument, i) =>
        new iam.CfnManagedPolicy(this, i === 0 ? 'AgentBasePolicy' : `AgentBasePolicy${i + 1}`, {
          managedPolicyName: agentPolicyName(i),
          description:
            "JIT Access: the agent's standing permissions (read its secrets' current version, LookupEvents, GetCallerIdentity).",
          policyDocument,
        }),
    );
    for (const policy of agentPolicies) {
      acknowledge(policy, [
        {
          rules: 'AwsSolutions-IAM5',
          reason:
            'cloudtrail:LookupEvents and sts:GetCallerIdentity support no resource-level permissions: "*" is the only resource they accept.',
          appliesTo: ['Resource::*'],
        },
      ]);
    }
    if (agent.kind === 'iam-user') {
      const group = new iam.CfnGroup(this, 'AgentGroup', {
        groupName: HUB_NAMES.agentGroup,
        managedPolicyArns: agentPolicies.map((p) => p.ref),
      });
      const user = new iam.CfnUser(this, 'AgentUser', {
        userName: agent.userName,
        groups: [group.ref],
        tags: [{ key: 'jit:component', value: 'agent' }],
      });
      agentAttrArn = user.attrArn;
    } else {
      const anchor = new rolesanywhere.CfnTrustAnchor(this, 'AgentTrustAnchor', {
        name: HUB_NAMES.trustAnchor,
        enabled: true,
        source:
          agent.certificate.acmPcaArn !== undefined
            ? { sourceType: 'AWS_ACM_PCA', sourceData: { acmPcaArn: agent.certificate.acmPcaArn } }
            : { sourceType: 'CERTIFICATE_BUNDLE', sourceData: { x509CertificateData: props.caBundlePem ?? '' } },
      });
      const role = new iam.CfnRole(this, 'AgentRole', {
        roleName: agent.roleName,
        description: "JIT Access: the agent's base identity, through IAM Roles Anywhere.",
        assumeRolePolicyDocument: rolesAnywhereTrustPolicy({
          trustAnchorArn: anchor.attrTrustAnchorArn,
          commonName: agent.certificate.commonName,
        }),
        managedPolicyArns: agentPolicies.map((p) => p.ref),
        maxSessionDuration: 3600,
        tags: [{ key: 'jit:component', value: 'agent' }],
      });
      new rolesanywhere.CfnProfile(this, 'AgentProfile', {
        name: HUB_NAMES.rolesAnywhereProfile,
        enabled: true,
        roleArns: [role.attrArn],
        durationSeconds: 3600,
      });
      agentAttrArn = role.attrArn;
    }
    this.agentArn = agentArn;

    // The secrets' key.
    const secretsKey = new kms.CfnKey(this, 'AgentSecretsKey', {
      description: "JIT Access: encrypts the agent's elevated-credential secrets.",
      enableKeyRotation: true,
      keyPolicy: agentSecretsKeyPolicy(config, {
        agentArn: agentAttrArn,
        deploymentPrincipalPatterns: deploymentPatterns,
      }),
    });
    new kms.CfnAlias(this, 'AgentSecretsKeyAlias', {
      aliasName: KEY_ALIASES.agentSecrets,
      targetKeyId: secretsKey.ref,
    });

    for (const account of config.workloadAccounts) {
      const secret = new secretsmanager.CfnSecret(this, `Secret-${account.name}`, {
        name: secretName(account.id),
        description: `JIT Access: elevated credentials for ${account.name} (${account.id}); a placeholder when no grant is active.`,
        kmsKeyId: secretsKey.attrArn,
        secretString: placeholderSecretString(),
        tags: [
          { key: 'jit:account', value: account.id },
          { key: 'jit:component', value: 'agent-secret' },
        ],
      });
      acknowledge(secret, [
        {
          rules: ['AwsSolutions-SMG4', 'SecretsManagerRotationEnabled'],
          reason:
            'jit-grant writes a fresh short-lived STS credential on every grant and the placeholder on revoke; there is no long-lived value for a rotation function to rotate.',
        },
      ]);
      new secretsmanager.CfnResourcePolicy(this, `SecretPolicy-${account.name}`, {
        secretId: secret.ref,
        resourcePolicy: secretPolicy,
        blockPublicPolicy: true,
      });
    }

    // The notification topic(s), encrypted with their own key.
    let notificationKeyArn: string | undefined;
    if (topicNames.length > 0) {
      const key = new kms.CfnKey(this, 'NotificationsKey', {
        description: 'JIT Access: encrypts the grant notification topic.',
        enableKeyRotation: true,
        keyPolicy: notificationsKeyPolicy(config),
      });
      new kms.CfnAlias(this, 'NotificationsKeyAlias', { aliasName: KEY_ALIASES.notifications, targetKeyId: key.ref });
      notificationKeyArn = key.attrArn;
      for (const topicName of topicNames) {
        const topic = new sns.CfnTopic(this, `Topic-${topicName}`, {
          topicName,
          displayName: 'JIT Access grants',
          kmsMasterKeyId: key.attrArn,
        });
        new sns.CfnTopicPolicy(this, `TopicPolicy-${topicName}`, {
          topics: [topic.ref],
          policyDocument: notificationTopicPolicy(config, topicName),
        });
      }
    }

    // The approvers' managed policies.
    const approverDocs = approverPolicies(config, {
      secretsKeyArn: secretsKey.attrArn,
      ...(notificationKeyArn === undefined ? {} : { notificationKeyArn }),
      topicNames,
    });
    this.approverPolicyNames = approverDocs.map((_, i) => approverPolicyName(i));
    approverDocs.forEach((policyDocument, i) => {
      const policy = new iam.CfnManagedPolicy(this, i === 0 ? 'ApproverPolicy' : `ApproverPolicy${i + 1}`, {
        managedPolicyName: approverPolicyName(i),
        description: "JIT Access: what jit-grant needs (attach to the approvers' permission set or role).",
        policyDocument,
      });
      acknowledge(policy, [
        {
          rules: 'AwsSolutions-IAM5',
          reason:
            'Wildcards here are bounded: agent/elevated/* (with its random suffix) names only the agent secrets; tier roles are named exactly and narrowed to their accounts by aws:ResourceAccount; GetCallerIdentity takes no resource.',
          appliesTo: [
            {
              regex:
                '/^Resource::(\\*|arn:aws:secretsmanager:.*:secret:agent\\/elevated\\/\\*|arn:aws:iam::\\*:role\\/[\\w+=,.@-]+)$/',
            },
          ],
        },
      ]);
    });

    new CfnOutput(this, 'AgentPrincipalArn', { value: agentArn, description: "The agent's base identity." });
    new CfnOutput(this, 'ApproverPolicyNames', {
      value: this.approverPolicyNames.join(','),
      description: "Managed policies to attach to the approvers' permission set or role.",
    });
    new CfnOutput(this, 'AgentSecretsKeyArn', { value: secretsKey.attrArn });
  }
}
