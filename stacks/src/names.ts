import { REVOKER_ROLE_NAME } from '@jit-access/core';

/**
 * Names the stacks give to what they create. Fixed names (not CloudFormation-generated ones) so
 * that the CLIs, the local environment and the runbooks can find each resource without lookups,
 * and so that the deny ceiling's `Jit*` / `alias/jit-*` patterns cover all of them.
 */
export const STACK_NAMES = {
  hub: 'Jit-Hub',
  logArchive: 'Jit-LogArchive',
  report: 'Jit-Report',
  organizationTrail: 'Jit-OrgTrail',
  accountTrail: (accountName: string) => `Jit-Trail-${accountName}`,
  workload: (accountName: string) => `Jit-Workload-${accountName}`,
  /** The account-agnostic workload template, deployed as a service-managed StackSet to an OU. */
  workloadStackSet: 'Jit-Workload-StackSet',
} as const;

export const KEY_ALIASES = {
  agentSecrets: 'alias/jit-agent-secrets',
  notifications: 'alias/jit-notifications',
  trailLogs: 'alias/jit-trail-logs',
  report: 'alias/jit-report',
} as const;

/** IAM names in the hub account. */
export const HUB_NAMES = {
  /** Group of the agent's IAM user; its managed policies carry the base policy. */
  agentGroup: 'JitAgent',
  /** The agent's base policy; split into `JitAgentBase`, `JitAgentBase-2`, ... when it outgrows one policy. */
  agentPolicy: 'JitAgentBase',
  /** The approvers' policy for their IAM Identity Center permission set or IAM role (split like the above). */
  approverPolicy: 'JitApprover',
  trustAnchor: 'jit-agent-ca',
  rolesAnywhereProfile: 'jit-agent',
} as const;

/** IAM names in each workload account (besides the tier roles and the core model's managed policies). */
export const WORKLOAD_NAMES = {
  /** Role the approvers assume to attach and remove revocation denies on the tier roles (core's REVOKER_ROLE_NAME). */
  revokerRole: REVOKER_ROLE_NAME,
  revokerPolicy: 'JitRevokeTierRoles',
  /** Prefix of every inline policy the revoker may write (core: revokeGrantPolicyName / revokeAllPolicyName). */
  revocationPolicyPrefix: 'JitRevoke',
} as const;

/** Report Lambda: its name, and the bucket prefix under which it keeps its own records. */
export const REPORT_NAMES = {
  functionName: 'jit-session-report',
  stateKeyPrefix: 'jit-reports/',
} as const;

/** IAM caps that decide how policies are split (AWS IAM quotas, without whitespace). */
export const IAM_LIMITS = {
  managedPolicyChars: 6144,
  trustPolicyChars: 2048,
  /** Managed policies attached to one role, user or group (default quota). */
  managedPoliciesPerPrincipal: 10,
  /** Secrets Manager resource policy. */
  secretPolicyChars: 20480,
  /** S3 bucket policy. */
  bucketPolicyChars: 20480,
  /** KMS key policy. */
  keyPolicyChars: 32768,
} as const;
