import type { JitConfig } from './config/schema.js';
import { approverTrustStatements } from './policy/documents.js';
import type { PolicyDocument } from './policy/types.js';

/**
 * The role in every workload account that approvers assume to attach (and later remove) the
 * revocation denies on the tier roles. The tier roles cannot do it: the deny ceiling forbids
 * changing them. It manages inline policies on the tier roles, and nothing else: `JitRevoke*` is
 * only the CLI's naming, so an inline Allow it could put there is capped by the role's
 * permissions boundary, its own tier policy (decision 0007).
 */
export const REVOKER_ROLE_NAME = 'JitRevoker';

/**
 * Approvers only; with `approvers.requireMfa`, like the tier roles, only from sessions made with
 * MFA unless they are IAM Identity Center roles: whoever can assume the revoker can also delete a
 * revocation deny (threat 5.3), so a stolen access key without MFA must not reach it either.
 */
export function revokerTrustPolicy(config: JitConfig): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: approverTrustStatements(config, { sid: 'ApproversRevoke', action: 'sts:AssumeRole', conditions: {} }),
  };
}

/**
 * What the revoker may do in `accountId`: put, read, list and delete inline policies on that
 * account's tier roles, and read the roles (their MaxSessionDuration dates a deny's expiry).
 * IAM has no condition key for an inline policy's name, so the `JitRevoke*` naming is the CLI's
 * convention; the blast radius is bounded by the resources (the tier roles only) and by their
 * permissions boundaries. Never add boundary, attach/detach or policy-version actions here: they
 * would let an inline Allow past the boundary.
 */
export function revokerPermissionsPolicy(config: JitConfig, accountId: string): PolicyDocument {
  const account = config.workloadAccounts.find((a) => a.id === accountId);
  const roles = (account?.tiers ?? []).flatMap((name) => {
    const tier = config.tiers.find((t) => t.name === name);
    return tier ? [`arn:aws:iam::${accountId}:role/${tier.roleName}`] : [];
  });
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ManageRevocationDenies',
        Effect: 'Allow',
        Action: [
          'iam:PutRolePolicy',
          'iam:DeleteRolePolicy',
          'iam:GetRolePolicy',
          'iam:ListRolePolicies',
          'iam:GetRole',
        ],
        Resource: roles,
      },
    ],
  };
}
