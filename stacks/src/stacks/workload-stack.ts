import {
  denyCeilingPolicy,
  elevatedRoleTrustPolicy,
  type JitConfig,
  MANAGED_POLICY_NAMES,
  REVOKER_ROLE_NAME,
  revokerPermissionsPolicy,
  revokerTrustPolicy,
  securityBoundaryPolicy,
  tierPermissionsPolicy,
} from '@jit-access/core';
import { Stack, type StackProps, Tags, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { acknowledge } from '../acknowledge.js';
import { PropsProblems } from '../errors.js';
import { IAM_LIMITS, WORKLOAD_NAMES } from '../names.js';
import { checkPolicySize } from '../policies/size.js';

export interface WorkloadStackProps extends StackProps {
  /** The validated deployment model (`loadConfig('accounts')`). */
  readonly config: JitConfig;
  /**
   * The workload account this stack is for: its tiers become roles, and `env.account` must be it.
   * @default undefined - an account-agnostic template (no account in `env`), for a service-managed
   * StackSet deployed to an organizational unit
   */
  readonly workloadAccountId?: string;
  /**
   * The tiers the account-agnostic template creates roles for. Ignored with `workloadAccountId`,
   * which takes the account's own tiers.
   * @default every tier in the configuration (which accounts may use a tier is then enforced by
   * the approvers' policy, `aws:ResourceAccount`)
   */
  readonly tiers?: readonly string[];
}

/** Role session limits of a tier: at least an hour (STS's default maximum), at least the tier's window. */
export function maxSessionSeconds(maxMinutes: number): number {
  return Math.max(3600, maxMinutes * 60);
}

/**
 * One workload account: a role per tier (its tier policy, the deny ceiling, and its own tier
 * policy as permissions boundary), the permissions boundary that anything the tiers create must
 * carry, and the revoker role the approvers use to attach revocation denies. Nothing else: no
 * assets, no lookups, so the same template can be a StackSet.
 */
export class WorkloadStack extends Stack {
  /** Role names by tier name. */
  readonly tierRoleNames: ReadonlyMap<string, string>;

  constructor(scope: Construct, id: string, props: WorkloadStackProps) {
    super(scope, id, props);
    const { config } = props;
    const problems = new PropsProblems();

    const account = props.workloadAccountId
      ? config.workloadAccounts.find((a) => a.id === props.workloadAccountId)
      : undefined;
    let tierNames: readonly string[];
    if (props.workloadAccountId !== undefined) {
      problems.check(
        account !== undefined,
        'workloadAccountId',
        `"${props.workloadAccountId}" is not a workload account in the configuration; known: ${config.workloadAccounts.map((a) => `${a.name} (${a.id})`).join(', ')}`,
      );
      problems.check(
        Token.isUnresolved(this.account) || this.account === props.workloadAccountId,
        'env.account',
        `${this.account} is not the workload account ${props.workloadAccountId}; deploy each workload stack into its own account`,
      );
      tierNames = account?.tiers ?? [];
    } else {
      problems.check(
        Token.isUnresolved(this.account),
        'env.account',
        `the account-agnostic template must not name an account (got ${this.account}); set workloadAccountId for a per-account stack`,
      );
      tierNames = props.tiers ?? config.tiers.map((t) => t.name);
      for (const name of tierNames) {
        problems.check(
          config.tiers.some((t) => t.name === name),
          'tiers',
          `unknown tier "${name}"; defined tiers: ${config.tiers.map((t) => t.name).join(', ')}`,
        );
      }
      problems.check(tierNames.length > 0, 'tiers', 'at least one tier is needed');
    }
    problems.check(
      Token.isUnresolved(this.region) || this.region === config.region,
      'env.region',
      `${this.region} is not the configured region ${config.region}`,
    );

    const tiers = config.tiers.filter((t) => tierNames.includes(t.name));
    const ceilingDoc = denyCeilingPolicy(config);
    const boundaryDoc = securityBoundaryPolicy(config);
    const trustDoc = elevatedRoleTrustPolicy(config);
    const tooBig = 'Shorten the tier or approver lists in accounts/.';
    checkPolicySize(
      problems,
      'config (deny ceiling)',
      ceilingDoc,
      IAM_LIMITS.managedPolicyChars,
      'the deny ceiling',
      tooBig,
    );
    checkPolicySize(
      problems,
      'config (boundary)',
      boundaryDoc,
      IAM_LIMITS.managedPolicyChars,
      'the permissions boundary',
      tooBig,
    );
    checkPolicySize(
      problems,
      'config (trust policy)',
      trustDoc,
      IAM_LIMITS.trustPolicyChars,
      "the tier roles' trust policy",
      'Use fewer approver principals, or patterns (arn:aws:iam::<id>:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_Approver_*).',
    );
    for (const tier of tiers) {
      checkPolicySize(
        problems,
        `config (tier ${tier.name})`,
        tierPermissionsPolicy(config, tier.name),
        IAM_LIMITS.managedPolicyChars,
        `tier "${tier.name}"'s policy`,
        'Use fewer or wildcard actions.',
      );
    }
    problems.throwIfAny(this, 'fix accounts/ (or the stack props) and synthesize again');

    Tags.of(this).add('jit:component', 'workload');

    const ceiling = new iam.CfnManagedPolicy(this, 'DenyCeiling', {
      managedPolicyName: MANAGED_POLICY_NAMES.ceiling,
      description: 'JIT Access: what no elevated session may ever do (attached to every tier role).',
      policyDocument: ceilingDoc,
    });
    const boundary = new iam.CfnManagedPolicy(this, 'WorkloadBoundary', {
      managedPolicyName: MANAGED_POLICY_NAMES.boundary,
      description: 'JIT Access: permissions boundary every role or user created by an elevated session must carry.',
      policyDocument: boundaryDoc,
    });
    acknowledge(boundary, [
      {
        rules: ['AwsSolutions-IAM5', 'IAMPolicyNoStatementsWithAdminAccess', 'IAMPolicyNoStatementsWithFullAccess'],
        reason:
          'A permissions boundary limits and never grants: "*" minus the deny ceiling is the most a role or user created by the security tier can ever have, whatever it is given.',
      },
    ]);

    const roleNames = new Map<string, string>();
    for (const tier of tiers) {
      const policy = new iam.CfnManagedPolicy(this, `Tier-${tier.name}`, {
        managedPolicyName: MANAGED_POLICY_NAMES.tier(tier.name),
        description: `JIT Access tier "${tier.name}": ${tier.description}`.slice(0, 1000),
        policyDocument: tierPermissionsPolicy(config, tier.name),
      });
      const wildcards = tier.actions.filter((a) => a.includes('*'));
      acknowledge(policy, [
        {
          rules: 'AwsSolutions-IAM5',
          reason: `The tier's actions come from accounts/tiers.yaml and apply to every resource of the account for the grant's window; the deny ceiling attached beside it removes what no tier may do, and grants can narrow resources with a session policy (--scope).`,
          appliesTo: ['Resource::*', ...wildcards.map((a) => `Action::${a}`)],
        },
        ...(wildcards.some((a) => a.endsWith(':*') || a === '*')
          ? [
              {
                rules: [
                  'IAMPolicyNoStatementsWithFullAccess',
                  ...(tier.actions.includes('*') ? ['IAMPolicyNoStatementsWithAdminAccess'] : []),
                ],
                reason: `Tier "${tier.name}" is defined in accounts/tiers.yaml with whole-service actions for a time-boxed, human-approved window; the deny ceiling and the role's permissions boundary still apply.`,
              },
            ]
          : []),
      ]);
      new iam.CfnRole(this, `TierRole-${tier.name}`, {
        roleName: tier.roleName,
        description: `JIT Access elevated role, tier "${tier.name}" (assumed by approvers for the agent)`.slice(
          0,
          1000,
        ),
        assumeRolePolicyDocument: trustDoc,
        managedPolicyArns: [policy.ref, ceiling.ref],
        // The tier policy doubles as the boundary: an inline policy put on the role (the revoker
        // can) may deny, but can never allow more than the tier.
        permissionsBoundary: policy.ref,
        maxSessionDuration: maxSessionSeconds(tier.minutes.max),
        tags: [
          { key: 'jit:tier', value: tier.name },
          { key: 'jit:component', value: 'tier-role' },
        ],
      });
      roleNames.set(tier.name, tier.roleName);
    }
    this.tierRoleNames = roleNames;

    // The core model's revoker, for this account's tiers. The account-agnostic template names the
    // account it is deployed in (AWS::AccountId) and every tier it creates.
    const revokerAccount = props.workloadAccountId ?? this.account;
    const revokerConfig: JitConfig =
      props.workloadAccountId === undefined
        ? { ...config, workloadAccounts: [{ id: revokerAccount, name: 'stackset', tiers: tiers.map((t) => t.name) }] }
        : config;
    const revoker = new iam.CfnManagedPolicy(this, 'RevokerPolicy', {
      managedPolicyName: WORKLOAD_NAMES.revokerPolicy,
      description:
        'JIT Access: attach and remove revocation denies (inline policies) on the tier roles of this account.',
      policyDocument: revokerPermissionsPolicy(revokerConfig, revokerAccount),
    });
    new iam.CfnRole(this, 'RevokerRole', {
      roleName: REVOKER_ROLE_NAME,
      description: 'JIT Access: assumed by approvers to revoke elevated sessions in this account.',
      assumeRolePolicyDocument: revokerTrustPolicy(config),
      managedPolicyArns: [revoker.ref],
      maxSessionDuration: 3600,
      tags: [{ key: 'jit:component', value: 'revoker' }],
    });
  }
}
