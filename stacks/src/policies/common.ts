import { type JitConfig, type PolicyDocument, type PolicyStatement, SECRET_PREFIX } from '@jit-access/core';

export const VERSION = '2012-10-17' as const;

export function doc(statements: readonly PolicyStatement[]): PolicyDocument {
  return { Version: VERSION, Statement: [...statements] };
}

/** The agent's base identity as `aws:PrincipalArn` sees it (a user, or the Roles Anywhere role). */
export function agentPrincipalArn(config: JitConfig): string {
  const agent = config.agent;
  return agent.kind === 'iam-user'
    ? `arn:aws:iam::${config.hub.id}:user/${agent.userName}`
    : `arn:aws:iam::${config.hub.id}:role/${agent.roleName}`;
}

/** Every agent secret in the hub: `agent/elevated/*` (the random suffix included). */
export function agentSecretsArnPattern(config: JitConfig): string {
  return `arn:aws:secretsmanager:${config.region}:${config.hub.id}:secret:${SECRET_PREFIX}*`;
}

export function serviceEndpoint(service: string, region: string): string {
  return `${service}.${region}.amazonaws.com`;
}

/** The CDK bootstrap's CloudFormation execution role in one account (any qualifier). */
export function cdkDeploymentRolePattern(account: string, region: string): string {
  return `arn:aws:iam::${account}:role/cdk-*-cfn-exec-role-${account}-${region}`;
}

/** Key administration without use: who holds it can manage the key, not encrypt or decrypt with it. */
export const KEY_ADMIN_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:Create*',
  'kms:Delete*',
  'kms:Describe*',
  'kms:Disable*',
  'kms:Enable*',
  'kms:Get*',
  'kms:List*',
  'kms:Put*',
  'kms:Revoke*',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:Update*',
] as const;

export function keyAdministration(account: string): PolicyStatement {
  return {
    Sid: 'AccountAdministersKeyWithoutUsingIt',
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${account}:root` },
    Action: [...KEY_ADMIN_ACTIONS],
    Resource: '*',
  };
}

/** TLS only: refuses every request made over plain HTTP. */
export function denyInsecureTransport(action: string, resource: string | readonly string[]): PolicyStatement {
  return {
    Sid: 'DenyInsecureTransport',
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: action,
    Resource: typeof resource === 'string' ? resource : [...resource],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
}
