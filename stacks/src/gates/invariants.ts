import {
  boundaryPolicyArn,
  denyCeilingPolicy,
  ESCALATION_CATALOGUE,
  isIdentityCenterRole,
  type JitConfig,
  MANAGED_POLICY_NAMES,
  type PolicyDocument,
  type PolicyStatement,
  revokeGrantPolicy,
  SECRET_PREFIX,
  secretName,
  type Tier,
} from '@jit-access/core';
import { HUB_NAMES, REPORT_NAMES, STACK_NAMES, WORKLOAD_NAMES } from '../names.js';
import { agentPrincipalArn } from '../policies/common.js';
import { trailSources } from '../policies/logArchive.js';
import {
  actionMatches,
  arnFitsAction,
  expandActionPattern,
  requestCarriesKey,
  sampleResources,
  serviceActions,
} from './actions.js';
import { SECRET_SUFFIX } from './cfnResolve.js';
import { type Context, conditionKeys, contextsSatisfying } from './conditions.js';
import { IamModel, type PrincipalModel } from './iamModel.js';
import type { StackTemplate } from './templates.js';
import { type Caller, type Decision, IamWorld, type Simulate, type WorldOptions } from './world.js';

/** What a check expects: allowed, not allowed (either way), or denied by an explicit deny. */
export type Expected = 'Allowed' | 'Denied' | 'ExplicitlyDenied';

export interface Expectation {
  readonly caller: Caller;
  readonly action: string;
  readonly resource: string;
  readonly context?: Context;
  readonly expect: Expected;
  /** Why this outcome is required (the invariant, in words). */
  readonly why: string;
}

export interface CheckFailure {
  readonly caller: string;
  readonly action: string;
  readonly resource: string;
  readonly context?: Context;
  readonly expected: Expected;
  readonly actual: Decision | string;
  readonly why: string;
}

export interface CheckResult {
  readonly name: string;
  readonly checked: number;
  readonly failures: readonly CheckFailure[];
}

/** A source identity of a grant, as jit-grant sets it (`jit-<ULID>`). */
export const SAMPLE_SOURCE_IDENTITY = 'jit-01JD0000000000000000000000';
const OTHER_SOURCE_IDENTITY = 'jit-01JD0000000000000000000001';

function meets(expected: Expected, actual: Decision): boolean {
  if (expected === 'Allowed') return actual === 'Allowed';
  if (expected === 'ExplicitlyDenied') return actual === 'ExplicitlyDenied';
  return actual !== 'Allowed';
}

/** Runs expectations through the world; a simulator error is a failure, never a pass. */
export async function evaluate(
  world: IamWorld,
  name: string,
  expectations: readonly Expectation[],
): Promise<CheckResult> {
  const failures: CheckFailure[] = [];
  for (const e of expectations) {
    let actual: Decision | string;
    let passed: boolean;
    try {
      const decision = await world.decide(e.caller, e.action, e.resource, e.context ?? {});
      actual = decision;
      passed = meets(e.expect, decision);
    } catch (error) {
      // The simulator refused the request (an unknown action, a resource of the wrong type):
      // nothing was checked, which must never count as "denied".
      actual = `error: ${error instanceof Error ? error.message : String(error)}`;
      passed = false;
    }
    if (!passed) {
      failures.push({
        caller: e.caller.label,
        action: e.action,
        resource: e.resource,
        ...(e.context && Object.keys(e.context).length > 0 ? { context: e.context } : {}),
        expected: e.expect,
        actual,
        why: e.why,
      });
    }
  }
  return { name, checked: expectations.length, failures };
}

/** One line per failure, for assertion messages and the benchmark's output. */
export function formatFailures(failures: readonly CheckFailure[]): string {
  return failures
    .map(
      (f) =>
        `${f.caller} ${f.action} on ${f.resource}${f.context ? ` ${JSON.stringify(f.context)}` : ''}: expected ${f.expected}, got ${f.actual} (${f.why})`,
    )
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// The world of the synthesized templates.

/** The workload StackSet template is resolved as if deployed in this account: the first workload account. */
export interface GateWorlds {
  /** Hub, log archive, trails, report and the per-account workload stacks. */
  readonly accounts: IamWorld;
  /** The account-agnostic workload template, resolved in the first workload account (with the hub). */
  readonly stackSet?: IamWorld;
}

export function buildWorlds(
  config: JitConfig,
  templates: readonly StackTemplate[],
  simulate: Simulate,
  options: WorldOptions = {},
): GateWorlds {
  const concrete = templates.filter((t) => t.account !== undefined);
  const agnostic = templates.filter((t) => t.account === undefined);
  const accounts = new IamWorld(IamModel.fromTemplates(concrete, { defaultRegion: config.region }), simulate, options);
  const first = config.workloadAccounts[0]?.id;
  if (agnostic.length === 0 || first === undefined) return { accounts };
  const hub = concrete.filter((t) => t.account === config.hub.id);
  const stackSet = new IamWorld(
    IamModel.fromTemplates([...hub, ...agnostic], { agnosticAccount: first, defaultRegion: config.region }),
    simulate,
    options,
  );
  return { accounts, stackSet };
}

function secretArn(config: JitConfig, accountId: string, suffix = SECRET_SUFFIX): string {
  return `arn:aws:secretsmanager:${config.region}:${config.hub.id}:secret:${secretName(accountId)}-${suffix}`;
}

function agentCaller(world: IamWorld, config: JitConfig): Caller {
  const arn = agentPrincipalArn(config);
  return config.agent.kind === 'iam-user' ? world.user(arn) : world.session(arn, { sessionName: '1234567890' });
}

function keyArnByAlias(world: IamWorld, alias: string): string {
  const key = world.model.resourcePolicies.find((r) => r.kind === 'key' && r.aliases.includes(alias));
  if (!key) throw new Error(`no key with alias ${alias} in the templates`);
  return key.arn;
}

function tierRoles(world: IamWorld, config: JitConfig): PrincipalModel[] {
  const names = new Set(config.tiers.map((t) => t.roleName));
  return world.model.principals.filter((p) => p.kind === 'role' && names.has(p.name));
}

function revokerRoles(world: IamWorld): PrincipalModel[] {
  return world.model.principals.filter((p) => p.kind === 'role' && p.name === WORKLOAD_NAMES.revokerRole);
}

/** The approvers' identity policies: the hub's JitApprover managed policies, as a permission set would carry them. */
function approverIdentityPolicies(world: IamWorld, config: JitConfig): PolicyDocument[] {
  return world.model.managedPolicies
    .filter((p) => p.account === config.hub.id && p.name.startsWith(HUB_NAMES.approverPolicy))
    .map((p) => p.document);
}

const MFA_KEY = 'aws:MultiFactorAuthPresent';

/** Whether the configuration wants this approver principal to have signed in with MFA (decision 0008). */
export function approverNeedsMfa(config: JitConfig, principal: string): boolean {
  return config.approvers.requireMfa && !isIdentityCenterRole(principal);
}

function approverFor(
  world: IamWorld,
  config: JitConfig,
  principal: string,
  mfa: 'as-required' | 'absent' | 'false',
  sourceIdentity?: string,
): Caller {
  const caller = world.outsider({
    label: `approver ${principal.split('/').pop()}${mfa === 'as-required' ? '' : ` (MFA ${mfa})`}`,
    principalArn: principal.replace(/\*/g, 'x'),
    identity: approverIdentityPolicies(world, config),
    ...(sourceIdentity === undefined ? {} : { sourceIdentity }),
  });
  const value = mfa === 'as-required' ? (approverNeedsMfa(config, principal) ? 'true' : undefined) : mfa;
  return value === 'true' || value === 'false'
    ? { ...caller, context: { ...caller.context, [MFA_KEY]: value } }
    : caller;
}

/**
 * An approver signed in as the configuration requires (from an MFA session when
 * `approvers.requireMfa` applies to it): the first approver principal without a wildcard.
 */
export function approverCaller(world: IamWorld, config: JitConfig, sourceIdentity?: string): Caller {
  const concrete = config.approvers.principals.find((p) => !p.includes('*')) ?? config.approvers.principals[0] ?? '';
  return approverFor(world, config, concrete, 'as-required', sourceIdentity);
}

/** One approver principal of each kind the configuration names: IAM Identity Center role, IAM role, IAM user. */
function approverKinds(config: JitConfig): string[] {
  const kinds = [
    config.approvers.principals.find(isIdentityCenterRole),
    config.approvers.principals.find((p) => p.includes(':role/') && !isIdentityCenterRole(p)),
    config.approvers.principals.find((p) => p.includes(':user/')),
  ];
  return kinds.filter((p): p is string => p !== undefined);
}

const ALLOW_EVERYTHING: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};

// ---------------------------------------------------------------------------------------------
// Invariant 1: the agent's base identity can do exactly three things.

const AGENT_SAMPLE_SERVICES = [
  'secretsmanager',
  'sts',
  'kms',
  'cloudtrail',
  'iam',
  's3',
  'sns',
  'rolesanywhere',
  'lambda',
  'ssm',
];

export async function agentBaseIdentityExpectations(world: IamWorld, config: JitConfig): Promise<Expectation[]> {
  const agent = agentCaller(world, config);
  const own = config.workloadAccounts.map((a) => secretArn(config, a.id));
  const key = keyArnByAlias(world, 'alias/jit-agent-secrets');
  const viaSecretsManager = { 'kms:ViaService': `secretsmanager.${config.region}.amazonaws.com` };
  const why =
    'invariant 1: the agent reads its own secrets (AWSCURRENT only), looks up CloudTrail events and asks who it is; nothing else';
  const out: Expectation[] = [];
  const add = (action: string, resource: string, expect: Expected, context?: Context): void => {
    out.push({ caller: agent, action, resource, expect, why, ...(context ? { context } : {}) });
  };
  for (const arn of own) {
    add('secretsmanager:GetSecretValue', arn, 'Allowed');
    add('secretsmanager:GetSecretValue', arn, 'Allowed', { 'secretsmanager:VersionStage': 'AWSCURRENT' });
    add('secretsmanager:GetSecretValue', arn, 'Denied', { 'secretsmanager:VersionStage': 'AWSPREVIOUS' });
    add('secretsmanager:GetSecretValue', arn, 'Denied', { 'secretsmanager:VersionStage': 'AWSPENDING' });
    add('secretsmanager:GetSecretValue', arn, 'Denied', {
      'secretsmanager:VersionId': 'a1b2c3d4-0000-0000-0000-000000000000',
    });
  }
  add('cloudtrail:LookupEvents', '*', 'Allowed');
  add('sts:GetCallerIdentity', '*', 'Allowed');
  add('kms:Decrypt', key, 'Allowed', viaSecretsManager);
  add('kms:Decrypt', key, 'Denied');
  add('kms:Decrypt', key, 'Denied', { 'kms:ViaService': `s3.${config.region}.amazonaws.com` });
  // Secrets that are not its own: another account's (not configured), a longer name, another region, another secret.
  add('secretsmanager:GetSecretValue', secretArn(config, '999999999999'), 'Denied');
  add('secretsmanager:GetSecretValue', `${own[0]?.slice(0, -SECRET_SUFFIX.length - 1)}-extra-AbCdEf`, 'Denied');
  add('secretsmanager:GetSecretValue', (own[0] ?? '').replace(`:${config.region}:`, ':eu-west-1:'), 'Denied');
  add(
    'secretsmanager:GetSecretValue',
    `arn:aws:secretsmanager:${config.region}:${config.hub.id}:secret:prod/db-password-AbCdEf`,
    'Denied',
  );
  const otherAccountSecret = `arn:aws:secretsmanager:${config.region}:${config.workloadAccounts[0]?.id ?? '111111111111'}:secret:${SECRET_PREFIX}${config.workloadAccounts[0]?.id ?? ''}-AbCdEf`;
  add('secretsmanager:GetSecretValue', otherAccountSecret, 'Denied');

  // A broad sample: every action of the services an attacker would reach for, each on a
  // well-formed resource, plus the agent's own secrets, key, user and the tier roles.
  const permitted = new Set(['cloudtrail:lookupevents', 'sts:getcalleridentity']);
  const where = { account: config.hub.id, region: config.region };
  const specific = [...own, key, agent.principalArn, ...tierRoles(world, config).map((r) => r.arn)];
  for (const service of AGENT_SAMPLE_SERVICES) {
    for (const action of await serviceActions(service)) {
      const resources = new Set(await sampleResources(action, where));
      for (const arn of specific) if (await arnFitsAction(action, arn)) resources.add(arn);
      for (const resource of resources) {
        const allowed =
          permitted.has(action.toLowerCase()) ||
          (action.toLowerCase() === 'secretsmanager:getsecretvalue' && own.includes(resource));
        add(action, resource, allowed ? 'Allowed' : 'Denied');
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Invariant 2: the agent cannot approve itself.

export function agentCannotApproveExpectations(world: IamWorld, config: JitConfig): Expectation[] {
  const agent = agentCaller(world, config);
  const agentWithEverything = world.outsider({
    label: `${agent.label} (even with Allow *:*)`,
    principalArn: agent.principalArn,
    identity: [ALLOW_EVERYTHING],
    sourceIdentity: SAMPLE_SOURCE_IDENTITY,
  });
  const why =
    'invariant 2: the agent cannot approve itself (assume an elevated role, write its secret, change a policy)';
  const out: Expectation[] = [];
  const add = (caller: Caller, action: string, resource: string, expect: Expected, context?: Context): void => {
    out.push({ caller, action, resource, expect, why, ...(context ? { context } : {}) });
  };
  const si = { 'sts:SourceIdentity': SAMPLE_SOURCE_IDENTITY };
  for (const role of [...tierRoles(world, config), ...revokerRoles(world)]) {
    for (const action of ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession']) {
      add(agent, action, role.arn, 'Denied', si);
      // Even an agent whose own policies allowed everything is refused by the trust policy, from
      // an MFA session too: MFA is asked of approvers, it does not make anyone one.
      add(agentWithEverything, action, role.arn, 'Denied', si);
      add(agentWithEverything, action, role.arn, 'Denied', { ...si, 'aws:MultiFactorAuthPresent': 'true' });
    }
  }
  for (const account of config.workloadAccounts) {
    const arn = secretArn(config, account.id);
    for (const action of [
      'secretsmanager:PutSecretValue',
      'secretsmanager:UpdateSecretVersionStage',
      'secretsmanager:UpdateSecret',
      'secretsmanager:DeleteSecret',
      'secretsmanager:PutResourcePolicy',
      'secretsmanager:DeleteResourcePolicy',
      'secretsmanager:TagResource',
      'secretsmanager:RotateSecret',
    ]) {
      add(agent, action, arn, 'Denied');
      // The secret's resource policy denies it even against an administrator's identity policy.
      add(agentWithEverything, action, arn, 'ExplicitlyDenied');
    }
  }
  const hub = config.hub.id;
  const policyChanges: [string, string][] = [
    ['iam:CreatePolicyVersion', `arn:aws:iam::${hub}:policy/${HUB_NAMES.agentPolicy}`],
    ['iam:SetDefaultPolicyVersion', `arn:aws:iam::${hub}:policy/${HUB_NAMES.agentPolicy}`],
    ['iam:CreatePolicyVersion', `arn:aws:iam::${hub}:policy/${HUB_NAMES.approverPolicy}`],
    ['iam:AttachGroupPolicy', `arn:aws:iam::${hub}:group/${HUB_NAMES.agentGroup}`],
    ['iam:PutGroupPolicy', `arn:aws:iam::${hub}:group/${HUB_NAMES.agentGroup}`],
    ['iam:AddUserToGroup', `arn:aws:iam::${hub}:group/Administrators`],
    ['kms:PutKeyPolicy', keyArnByAlias(world, 'alias/jit-agent-secrets')],
    ['kms:CreateGrant', keyArnByAlias(world, 'alias/jit-agent-secrets')],
  ];
  if (config.agent.kind === 'iam-user') {
    const user = agent.principalArn;
    policyChanges.push(
      ['iam:AttachUserPolicy', user],
      ['iam:PutUserPolicy', user],
      ['iam:PutUserPermissionsBoundary', user],
      ['iam:CreateAccessKey', user],
      ['iam:CreateLoginProfile', user],
    );
  } else {
    const role = agent.principalArn;
    policyChanges.push(
      ['iam:AttachRolePolicy', role],
      ['iam:PutRolePolicy', role],
      ['iam:UpdateAssumeRolePolicy', role],
    );
  }
  for (const role of tierRoles(world, config)) {
    policyChanges.push(
      ['iam:PutRolePolicy', role.arn],
      ['iam:DeleteRolePolicy', role.arn],
      ['iam:UpdateAssumeRolePolicy', role.arn],
    );
  }
  for (const [action, resource] of policyChanges) add(agent, action, resource, 'Denied');
  return out;
}

// ---------------------------------------------------------------------------------------------
// Invariant 3: no tier can do anything in the ceiling, and no tier can escalate.

function fillArnPattern(pattern: string, account: string, region: string): string {
  const parts = pattern.split(':');
  if (parts[3] === '*') parts[3] = region;
  if (parts[4] === '*') parts[4] = account;
  return parts.join(':').replace(/\*/g, 'x').replace(/\?/g, 'x');
}

function asList(value: string | readonly string[] | undefined): string[] {
  return value === undefined ? [] : typeof value === 'string' ? [value] : [...value];
}

/** Every (action, resource, context) a deny statement is meant to stop, from the statement itself. */
async function deniedBy(
  statement: PolicyStatement,
  account: string,
  region: string,
): Promise<{ action: string; resource: string; context: Context }[]> {
  let actions: string[];
  if (statement.Action !== undefined) {
    actions = (await Promise.all(asList(statement.Action).map(expandActionPattern))).flat();
  } else {
    const excluded = asList(statement.NotAction);
    const services = [...new Set(excluded.map((a) => a.split(':')[0] ?? ''))];
    const all = (await Promise.all(services.map(serviceActions))).flat();
    actions = all.filter((a) => !excluded.some((p) => actionMatches(p, a)));
  }
  const contexts = contextsSatisfying(statement.Condition as never, account);
  const out: { action: string; resource: string; context: Context }[] = [];
  for (const action of [...new Set(actions)]) {
    let resources: string[];
    const listed = asList(statement.Resource);
    if (statement.NotResource !== undefined || listed.includes('*')) {
      resources = await sampleResources(action, { account, region });
    } else {
      resources = [];
      for (const pattern of listed) {
        const arn = fillArnPattern(pattern, account, region);
        if (await arnFitsAction(action, arn)) resources.push(arn);
      }
    }
    for (const resource of resources) {
      // A conditional deny reaches only requests that carry its condition keys (kms:ResourceAliases
      // exists for calls on a key, not for kms:CreateKey): those are the ones it must stop.
      const keys = conditionKeys(statement.Condition as never);
      const carried = await Promise.all(keys.map((k) => requestCarriesKey(action, resource, k)));
      if (!carried.every(Boolean)) continue;
      for (const context of contexts) out.push({ action, resource, context });
    }
  }
  return out;
}

function catalogueResource(resource: string, account: string): string {
  return resource.replaceAll('{account}', account);
}

function withAccount(context: Context | undefined, account: string): Context | undefined {
  if (!context) return undefined;
  return Object.fromEntries(
    Object.entries(context).map(([k, v]) => [
      k,
      typeof v === 'string' ? v.replaceAll('{account}', account) : v.map((x) => x.replaceAll('{account}', account)),
    ]),
  );
}

export async function tierExpectations(world: IamWorld, config: JitConfig): Promise<Expectation[]> {
  const out: Expectation[] = [];
  for (const role of tierRoles(world, config)) {
    const tier = config.tiers.find((t) => t.roleName === role.name);
    if (!tier) continue;
    const account = role.account;
    const session = world.session(role.arn, { sourceIdentity: SAMPLE_SOURCE_IDENTITY });
    // What must be denied comes from the model (the specification); whether it is denied comes
    // from the synthesized template alone. A statement missing from the template fails here.
    for (const statement of denyCeilingPolicy(config).Statement) {
      if (statement.Effect !== 'Deny') continue;
      for (const d of await deniedBy(statement, account, config.region)) {
        // IAM refuses changes to the roles AWS manages under /aws-reserved/ (IAM Identity Center's
        // approver roles) before any policy is read, and the simulator models that: such a
        // request is denied, though not by our explicit deny.
        const awsManagedRole = /^arn:aws:iam::\d{12}:role\/aws-reserved\//.test(d.resource);
        out.push({
          caller: session,
          action: d.action,
          resource: d.resource,
          context: d.context,
          expect: awsManagedRole ? 'Denied' : 'ExplicitlyDenied',
          why: `invariant 3: the deny ceiling (${statement.Sid ?? 'statement'}) applies to tier "${tier.name}"${awsManagedRole ? ' (an AWS-managed role: IAM refuses the change anyway)' : ''}`,
        });
      }
    }
    // Every public escalation path, each enabling call denied.
    for (const path of ESCALATION_CATALOGUE) {
      for (const check of path.checks) {
        const context = withAccount(check.context, account);
        out.push({
          caller: session,
          action: check.action,
          resource: catalogueResource(check.resource, account),
          ...(context ? { context } : {}),
          expect: 'Denied',
          why: `invariant 3: escalation path "${path.id}" (${path.source}) is closed for tier "${tier.name}"`,
        });
      }
    }
    // The security tier's way to create principals: only with the workload boundary.
    if (tier.actions.some((p) => actionMatches(p, 'iam:CreateRole'))) {
      out.push({
        caller: session,
        action: 'iam:CreateRole',
        resource: `arn:aws:iam::${account}:role${config.passableRolePath}app-worker`,
        context: { 'iam:PermissionsBoundary': boundaryPolicyArn(account) },
        expect: 'Allowed',
        why: `tier "${tier.name}" can create a role that carries the workload boundary`,
      });
      out.push({
        caller: session,
        action: 'iam:CreateRole',
        resource: `arn:aws:iam::${account}:role${config.passableRolePath}app-worker`,
        expect: 'ExplicitlyDenied',
        why: `tier "${tier.name}" cannot create a role without the workload boundary`,
      });
    }
  }
  return out;
}

/** One call of the tier's own work that the ceiling leaves alone (the first such action of its list). */
export async function tierWorkSample(
  config: JitConfig,
  tier: Tier,
  account: string,
): Promise<{ action: string; resource: string } | undefined> {
  const ceilingActions = denyCeilingPolicy(config).Statement.flatMap((s) => asList(s.Action));
  for (const pattern of tier.actions) {
    for (const action of await expandActionPattern(pattern)) {
      if (ceilingActions.some((p) => actionMatches(p, action)) || /passrole|sendcommand|startsession/i.test(action))
        continue;
      const [resource] = await sampleResources(action, { account, region: config.region });
      if (resource) return { action, resource };
      break;
    }
  }
  return undefined;
}

/** Positive controls: each tier can do some of its own work, and a revocation deny stops exactly its grant. */
export async function tierWorksAndRevocationExpectations(world: IamWorld, config: JitConfig): Promise<Expectation[]> {
  const out: Expectation[] = [];
  for (const role of tierRoles(world, config)) {
    const tier = config.tiers.find((t) => t.roleName === role.name);
    if (!tier) continue;
    const sample = await tierWorkSample(config, tier, role.account);
    if (!sample) continue;
    const session = world.session(role.arn, { sourceIdentity: SAMPLE_SOURCE_IDENTITY });
    out.push({ caller: session, ...sample, expect: 'Allowed', why: `tier "${tier.name}" can do its own work` });
    const revoked = revokeGrantPolicy(SAMPLE_SOURCE_IDENTITY);
    out.push({
      caller: world.session(role.arn, { sourceIdentity: SAMPLE_SOURCE_IDENTITY, extraIdentity: [revoked] }),
      ...sample,
      expect: 'ExplicitlyDenied',
      why: `invariant 4: revoking grant ${SAMPLE_SOURCE_IDENTITY} stops its already-issued credentials on tier "${tier.name}"`,
    });
    out.push({
      caller: world.session(role.arn, { sourceIdentity: OTHER_SOURCE_IDENTITY, extraIdentity: [revoked] }),
      ...sample,
      expect: 'Allowed',
      why: `revoking one grant leaves another grant on tier "${tier.name}" working`,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The tier roles' permissions boundary (decision 0007): JitRevoker can put any inline policy on a
// tier role (IAM has no condition key on an inline policy's name or content), so an inline Allow
// must never reach past the tier, and nobody in the approver path may move the boundary.

/**
 * Calls the ceiling leaves alone and some shipped tier does not hold: what an inline `Allow *` on
 * a tier role would reach without the boundary. Those `tier` itself allows are left out.
 */
export function outsideTierSamples(
  config: JitConfig,
  tier: Tier,
  account: string,
): { action: string; resource: string; context?: Context }[] {
  const r = config.region;
  const samples: { action: string; resource: string; context?: Context }[] = [
    { action: 'ec2:RunInstances', resource: `arn:aws:ec2:${r}:${account}:instance/i-0123456789abcdef0` },
    { action: 'dynamodb:DeleteTable', resource: `arn:aws:dynamodb:${r}:${account}:table/orders` },
    { action: 'lambda:CreateFunction', resource: `arn:aws:lambda:${r}:${account}:function:backdoor` },
    {
      action: 'secretsmanager:GetSecretValue',
      resource: `arn:aws:secretsmanager:${r}:${account}:secret:prod/db-password-${SECRET_SUFFIX}`,
    },
    { action: 's3:GetObject', resource: 'arn:aws:s3:::customer-data/export.csv' },
    // On the passable path and with the workload boundary, as the ceiling requires: only the
    // tier boundary stands in the way.
    {
      action: 'iam:CreateRole',
      resource: `arn:aws:iam::${account}:role${config.passableRolePath}backdoor`,
      context: { 'iam:PermissionsBoundary': boundaryPolicyArn(account) },
    },
  ];
  return samples.filter((s) => !tier.actions.some((p) => actionMatches(p, s.action)));
}

/** What would let an inline Allow past the boundary: changing the boundary, the role's managed policies, or a policy. */
const BOUNDARY_ROLE_CHANGES = [
  'iam:PutRolePermissionsBoundary',
  'iam:DeleteRolePermissionsBoundary',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
] as const;
const POLICY_CHANGES = [
  'iam:CreatePolicyVersion',
  'iam:SetDefaultPolicyVersion',
  'iam:DeletePolicyVersion',
  'iam:DeletePolicy',
] as const;

/** The product's managed policies in one account: the model's names, and every `Jit*` policy in the templates. */
function jitPolicyArns(world: IamWorld, config: JitConfig, account: string): string[] {
  const names = new Set<string>([
    ...config.tiers.map((t) => MANAGED_POLICY_NAMES.tier(t.name)),
    MANAGED_POLICY_NAMES.ceiling,
    MANAGED_POLICY_NAMES.boundary,
    ...world.model.managedPolicies.filter((p) => p.account === account && p.name.startsWith('Jit')).map((p) => p.name),
  ]);
  return [...names].map((name) => `arn:aws:iam::${account}:policy/${name}`);
}

/**
 * The boundary holds: with an inline `Allow *` on a tier role (what a compromised JitRevoker can
 * put there), the tier's sessions reach nothing outside the tier, still do the tier's work, and
 * are still stopped by a revocation deny; neither JitRevoker nor such a session can change the
 * boundary, the roles' managed policies or any `Jit*` policy.
 */
export async function tierBoundaryExpectations(world: IamWorld, config: JitConfig): Promise<Expectation[]> {
  const out: Expectation[] = [];
  const roles = tierRoles(world, config);
  // A boundary swap to the workload boundary (`*` minus the ceiling) would satisfy the ceiling's
  // boundary condition: it must be refused too.
  const boundaryContexts = (account: string): (Context | undefined)[] => [
    undefined,
    { 'iam:PermissionsBoundary': boundaryPolicyArn(account) },
    { 'iam:PermissionsBoundary': `arn:aws:iam::${account}:policy/AllowEverything` },
  ];
  const locks = (account: string): { action: string; resource: string; context?: Context }[] => [
    ...roles
      .filter((r) => r.account === account)
      .flatMap((r) =>
        BOUNDARY_ROLE_CHANGES.flatMap((action) =>
          boundaryContexts(account).map((context) => ({ action, resource: r.arn, ...(context ? { context } : {}) })),
        ),
      ),
    ...jitPolicyArns(world, config, account).flatMap((resource) =>
      POLICY_CHANGES.map((action) => ({ action, resource })),
    ),
  ];

  for (const role of roles) {
    const tier = config.tiers.find((t) => t.roleName === role.name);
    if (!tier) continue;
    const widened = world.session(role.arn, {
      sourceIdentity: SAMPLE_SOURCE_IDENTITY,
      extraIdentity: [ALLOW_EVERYTHING],
    });
    for (const s of outsideTierSamples(config, tier, role.account)) {
      out.push({
        caller: widened,
        ...s,
        expect: 'Denied',
        why: `an inline Allow * on tier "${tier.name}"'s role cannot reach outside the tier: its permissions boundary is the tier policy`,
      });
    }
    const own = await tierWorkSample(config, tier, role.account);
    if (own) {
      out.push({
        caller: widened,
        ...own,
        expect: 'Allowed',
        why: `with an inline Allow * on its role, tier "${tier.name}" still does its own work (the boundary is the tier, not less)`,
      });
      out.push({
        caller: world.session(role.arn, {
          sourceIdentity: SAMPLE_SOURCE_IDENTITY,
          extraIdentity: [ALLOW_EVERYTHING, revokeGrantPolicy(SAMPLE_SOURCE_IDENTITY)],
        }),
        ...own,
        expect: 'ExplicitlyDenied',
        why: `a revocation deny still stops tier "${tier.name}" beside an inline Allow *: a boundary never limits a deny`,
      });
    }
    for (const l of locks(role.account)) {
      out.push({
        caller: widened,
        ...l,
        expect: 'ExplicitlyDenied',
        why: `the ceiling keeps tier "${tier.name}" (even with an inline Allow *) from changing a tier role's boundary or policies`,
      });
    }
  }

  for (const revoker of revokerRoles(world)) {
    const session = world.session(revoker.arn, { sessionName: 'revoker-alice' });
    for (const l of locks(revoker.account)) {
      out.push({
        caller: session,
        ...l,
        expect: 'Denied',
        why: "JitRevoker cannot change a tier role's boundary or managed policies, nor any Jit* policy",
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Trust: only approvers, only with a jit- source identity, only jit: tags.

export function trustExpectations(world: IamWorld, config: JitConfig): Expectation[] {
  const out: Expectation[] = [];
  const approver = approverCaller(world, config, SAMPLE_SOURCE_IDENTITY);
  const approverNoSi = approverCaller(world, config);
  const admin = world.outsider({
    label: 'hub administrator (not an approver)',
    principalArn: `arn:aws:iam::${config.hub.id}:role/Administrator`,
    identity: [ALLOW_EVERYTHING],
    sourceIdentity: SAMPLE_SOURCE_IDENTITY,
  });
  const adminWithMfa: Caller = {
    ...admin,
    label: `${admin.label}, from an MFA session`,
    context: { ...admin.context, [MFA_KEY]: 'true' },
  };
  const why = 'the tier roles trust approvers only, with a jit- source identity and jit: session tags';
  const mfaWhy = config.approvers.requireMfa
    ? 'approvers.requireMfa: IAM users and roles approve only from a session made with MFA; IAM Identity Center roles without it (decision 0008)'
    : 'approvers.requireMfa is off: approvers need no MFA session';
  const si = { 'sts:SourceIdentity': SAMPLE_SOURCE_IDENTITY };
  for (const role of tierRoles(world, config)) {
    const add = (caller: Caller, action: string, expect: Expected, context?: Context, reason = why): void => {
      out.push({ caller, action, resource: role.arn, expect, why: reason, ...(context ? { context } : {}) });
    };
    // The account-agnostic template creates every tier's role; the approvers' policy still
    // limits each tier to its accounts.
    const allowedHere = config.tiers.some((t) => t.roleName === role.name && t.accountIds.includes(role.account));
    const granted: Expected = allowedHere ? 'Allowed' : 'Denied';
    add(approver, 'sts:AssumeRole', granted, si);
    add(approver, 'sts:SetSourceIdentity', granted, si);
    add(approverNoSi, 'sts:AssumeRole', 'Denied');
    add(approverNoSi, 'sts:AssumeRole', 'Denied', { 'sts:SourceIdentity': 'alice' });
    add(approver, 'sts:TagSession', granted, { 'aws:TagKeys': ['jit:grant', 'jit:tier'] });
    add(approver, 'sts:TagSession', 'Denied', { 'aws:TagKeys': ['jit:grant', 'team'] });
    add(admin, 'sts:AssumeRole', 'Denied', si);
    add(adminWithMfa, 'sts:AssumeRole', 'Denied', si);
    for (const principal of approverKinds(config)) {
      const signedIn = approverFor(world, config, principal, 'as-required', SAMPLE_SOURCE_IDENTITY);
      add(signedIn, 'sts:AssumeRole', granted, si, mfaWhy);
      add(approverFor(world, config, principal, 'as-required'), 'sts:AssumeRole', 'Denied', undefined, why);
      const withoutMfa: Expected = approverNeedsMfa(config, principal) ? 'Denied' : granted;
      for (const mfa of ['absent', 'false'] as const) {
        const caller = approverFor(world, config, principal, mfa, SAMPLE_SOURCE_IDENTITY);
        add(caller, 'sts:AssumeRole', withoutMfa, si, mfaWhy);
        add(caller, 'sts:SetSourceIdentity', withoutMfa, si, mfaWhy);
      }
    }
  }
  // JitRevoker: approvers only, and with requireMfa the same MFA rule (it can delete revocation denies).
  for (const revoker of revokerRoles(world)) {
    for (const principal of approverKinds(config)) {
      const add = (caller: Caller, expect: Expected): void => {
        out.push({ caller, action: 'sts:AssumeRole', resource: revoker.arn, expect, why: mfaWhy });
      };
      add(approverFor(world, config, principal, 'as-required'), 'Allowed');
      for (const mfa of ['absent', 'false'] as const) {
        add(approverFor(world, config, principal, mfa), approverNeedsMfa(config, principal) ? 'Denied' : 'Allowed');
      }
    }
    out.push({
      caller: adminWithMfa,
      action: 'sts:AssumeRole',
      resource: revoker.arn,
      expect: 'Denied',
      why: 'JitRevoker trusts approvers only',
    });
  }
  // A tier's role in an account the tier is not allowed for: the approvers' policy refuses it.
  for (const tier of config.tiers) {
    for (const account of config.workloadAccounts) {
      if (tier.accountIds.includes(account.id)) continue;
      out.push({
        caller: approver,
        action: 'sts:AssumeRole',
        resource: `arn:aws:iam::${account.id}:role/${tier.roleName}`,
        context: si,
        expect: 'Denied',
        why: `tier "${tier.name}" is not allowed for ${account.name}`,
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The approvers: least privilege too.

export function approverExpectations(world: IamWorld, config: JitConfig): Expectation[] {
  const out: Expectation[] = [];
  const approver = approverCaller(world, config);
  const add = (
    caller: Caller,
    action: string,
    resource: string,
    expect: Expected,
    why: string,
    context?: Context,
  ): void => {
    out.push({ caller, action, resource, expect, why, ...(context ? { context } : {}) });
  };
  const grantWhy = 'approvers can do what jit-grant needs';
  const key = keyArnByAlias(world, 'alias/jit-agent-secrets');
  for (const account of config.workloadAccounts) {
    const arn = secretArn(config, account.id);
    add(approver, 'secretsmanager:PutSecretValue', arn, 'Allowed', grantWhy);
    add(approver, 'secretsmanager:UpdateSecretVersionStage', arn, 'Allowed', grantWhy);
    add(approver, 'secretsmanager:DescribeSecret', arn, 'Allowed', grantWhy);
    add(approver, 'secretsmanager:TagResource', arn, 'Allowed', grantWhy, {
      'aws:TagKeys': ['jit:grant', 'jit:until'],
    });
    add(approver, 'secretsmanager:TagResource', arn, 'Denied', 'approvers tag only jit: grant metadata', {
      'aws:TagKeys': ['owner'],
    });
    add(
      approver,
      'secretsmanager:GetSecretValue',
      arn,
      'ExplicitlyDenied',
      'approvers never read the agent credentials',
    );
    for (const action of [
      'secretsmanager:DeleteSecret',
      'secretsmanager:PutResourcePolicy',
      'secretsmanager:DeleteResourcePolicy',
      'secretsmanager:UpdateSecret',
    ]) {
      add(approver, action, arn, 'Denied', 'approvers cannot change the secrets themselves');
    }
  }
  add(approver, 'kms:GenerateDataKey', key, 'Allowed', grantWhy, {
    'kms:ViaService': `secretsmanager.${config.region}.amazonaws.com`,
  });
  add(
    approver,
    'kms:Decrypt',
    key,
    'Denied',
    'approvers decrypt only through Secrets Manager (which refuses them reads)',
  );
  for (const action of ['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:CreateGrant', 'kms:DisableKey']) {
    add(approver, action, key, 'Denied', 'approvers cannot change the secrets key');
  }
  add(
    approver,
    'secretsmanager:GetSecretValue',
    `arn:aws:secretsmanager:${config.region}:${config.hub.id}:secret:prod/db-password-AbCdEf`,
    'Denied',
    'approvers cannot read other secrets',
  );
  add(approver, 'secretsmanager:ListSecrets', '*', 'Denied', 'approvers cannot list the hub secrets');
  // jit-grant signs webhooks with a secret it reads: those (and only those) it may read.
  for (const n of config.notifications) {
    const ref = n.kind === 'webhook' ? n.secret : n.kind === 'slack' ? n.webhookUrl : undefined;
    if (ref === undefined || !('secretId' in ref)) continue;
    const arn = ref.secretId.startsWith('arn:')
      ? ref.secretId.replace(/\?{6}$/, SECRET_SUFFIX)
      : `arn:aws:secretsmanager:${config.region}:${config.hub.id}:secret:${ref.secretId}-${SECRET_SUFFIX}`;
    add(approver, 'secretsmanager:GetSecretValue', arn, 'Allowed', 'jit-grant reads the notification signing secret');
  }
  for (const topic of config.notifications.flatMap((n) => (n.kind === 'sns' ? [n.topicName] : []))) {
    add(approver, 'sns:Publish', `arn:aws:sns:${config.region}:${config.hub.id}:${topic}`, 'Allowed', grantWhy);
  }

  // Revocation: the revoker role, in each workload account.
  for (const revoker of revokerRoles(world)) {
    add(approver, 'sts:AssumeRole', revoker.arn, 'Allowed', 'approvers assume the revoker role to revoke');
    const session = world.session(revoker.arn, { sessionName: 'alice' });
    const account = revoker.account;
    const tiers = tierRoles(world, config).filter((r) => r.account === account);
    for (const role of tiers) {
      add(session, 'iam:PutRolePolicy', role.arn, 'Allowed', 'the revoker attaches revocation denies to tier roles');
      add(session, 'iam:DeleteRolePolicy', role.arn, 'Allowed', 'the revoker removes expired revocation denies');
      // The boundary, the managed policies and the Jit* policies: tierBoundaryExpectations.
      for (const action of ['iam:UpdateAssumeRolePolicy', 'iam:DeleteRole', 'iam:TagRole']) {
        add(session, action, role.arn, 'Denied', "the revoker cannot change a tier role's trust, or the role itself");
      }
    }
    add(session, 'iam:PutRolePolicy', revoker.arn, 'Denied', 'the revoker cannot widen itself');
    add(
      session,
      'iam:PutRolePolicy',
      `arn:aws:iam::${account}:role/Administrator`,
      'Denied',
      'the revoker touches tier roles only',
    );
    add(
      session,
      'sts:AssumeRole',
      `arn:aws:iam::${account}:role/Administrator`,
      'Denied',
      'the revoker cannot chain into other roles',
    );
  }

  // Nobody in the approver path can touch the trail, the log archive or the report.
  const trailWhy = 'approvers cannot touch the audit trail or the log archive';
  const bucket = `arn:aws:s3:::${config.logArchive.bucketName}`;
  const trailKey = world.model.resourcePolicies.find(
    (r) => r.kind === 'key' && r.aliases.includes('alias/jit-trail-logs'),
  )?.arn;
  const callers = [approver, ...revokerRoles(world).map((r) => world.session(r.arn, { sessionName: 'alice' }))];
  for (const caller of callers) {
    for (const trail of trailSources(config).trailArns) {
      for (const action of [
        'cloudtrail:StopLogging',
        'cloudtrail:DeleteTrail',
        'cloudtrail:UpdateTrail',
        'cloudtrail:PutEventSelectors',
      ]) {
        add(caller, action, trail.replace(`:${config.region}:`, `:${config.region}:`), 'Denied', trailWhy);
      }
    }
    for (const [action, resource] of [
      ['s3:DeleteObject', `${bucket}/AWSLogs/${config.hub.id}/x.json.gz`],
      ['s3:PutObject', `${bucket}/AWSLogs/${config.hub.id}/x.json.gz`],
      ['s3:GetObject', `${bucket}/AWSLogs/${config.hub.id}/x.json.gz`],
      ['s3:PutBucketPolicy', bucket],
      ['s3:PutBucketObjectLockConfiguration', bucket],
      ['s3:PutLifecycleConfiguration', bucket],
    ] as const) {
      add(caller, action, resource, 'Denied', trailWhy);
    }
    if (trailKey) {
      for (const action of ['kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy', 'kms:Decrypt'])
        add(caller, action, trailKey, 'Denied', trailWhy);
    }
    const fn = `arn:aws:lambda:${config.region}:${config.logArchive.id}:function:${REPORT_NAMES.functionName}`;
    for (const action of [
      'lambda:UpdateFunctionCode',
      'lambda:UpdateFunctionConfiguration',
      'lambda:InvokeFunction',
      'lambda:DeleteFunction',
    ]) {
      add(caller, action, fn, 'Denied', 'approvers have no access to the report');
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The report function: reads the trail, writes only its own records.

export function reportExpectations(world: IamWorld, config: JitConfig): Expectation[] {
  const role = world.model.principals.find((p) => p.kind === 'role' && p.stackName === STACK_NAMES.report);
  if (!role) return [];
  const session = world.session(role.arn, { sessionName: REPORT_NAMES.functionName });
  const bucket = `arn:aws:s3:::${config.logArchive.bucketName}`;
  const log = `${bucket}/AWSLogs/${config.hub.id}/CloudTrail/${config.region}/2026/01/01/x.json.gz`;
  const own = `${bucket}/${REPORT_NAMES.stateKeyPrefix}sessions/x.json`;
  const why = 'the report reads the trail and writes only its own records';
  const out: Expectation[] = [];
  const add = (action: string, resource: string, expect: Expected, context?: Context): void => {
    out.push({ caller: session, action, resource, expect, why, ...(context ? { context } : {}) });
  };
  add('s3:GetObject', log, 'Allowed');
  add('s3:ListBucket', bucket, 'Allowed', { 's3:prefix': `AWSLogs/${config.hub.id}/` });
  add('s3:ListBucket', bucket, 'Denied', { 's3:prefix': 'other/' });
  add('s3:PutObject', own, 'Allowed');
  add('s3:GetObject', own, 'Allowed');
  add('s3:PutObject', log, 'Denied');
  add('s3:DeleteObject', log, 'Denied');
  add('s3:DeleteObject', own, 'Denied');
  add('s3:DeleteObjectVersion', log, 'Denied');
  add('s3:PutBucketPolicy', bucket, 'Denied');
  add('s3:BypassGovernanceRetention', log, 'Denied');
  add('cloudtrail:StopLogging', trailSources(config).trailArns[0] ?? '*', 'Denied');
  add('secretsmanager:GetSecretValue', secretArn(config, config.workloadAccounts[0]?.id ?? ''), 'Denied');
  return out;
}

// ---------------------------------------------------------------------------------------------

export interface IamGateOptions extends WorldOptions {
  readonly config: JitConfig;
  readonly templates: readonly StackTemplate[];
  readonly simulate: Simulate;
}

export interface IamGateResult {
  readonly checks: readonly CheckResult[];
  /** Simulations asked for, and those actually run. */
  readonly requested: number;
  readonly simulated: number;
}

/** Every IAM invariant, on the synthesized templates. */
export async function checkIamInvariants(options: IamGateOptions): Promise<IamGateResult> {
  const { config, templates, simulate } = options;
  const worlds = buildWorlds(config, templates, simulate, {
    ...(options.memoizeAcrossAccounts === undefined ? {} : { memoizeAcrossAccounts: options.memoizeAcrossAccounts }),
  });
  const w = worlds.accounts;
  const results = [
    await evaluate(w, 'invariant 1: agent base identity', await agentBaseIdentityExpectations(w, config)),
    await evaluate(w, 'invariant 2: agent cannot approve', agentCannotApproveExpectations(w, config)),
    await evaluate(w, 'invariant 3: tiers (per-account stacks)', await tierExpectations(w, config)),
    await evaluate(w, 'tiers work; revocation stops one grant', await tierWorksAndRevocationExpectations(w, config)),
    await evaluate(w, 'trust policies', trustExpectations(w, config)),
    await evaluate(w, 'tier boundaries', await tierBoundaryExpectations(w, config)),
    await evaluate(w, 'approvers', approverExpectations(w, config)),
    await evaluate(w, 'report function', reportExpectations(w, config)),
  ];
  if (worlds.stackSet) {
    const s = worlds.stackSet;
    results.push(
      await evaluate(s, 'invariant 3: tiers (StackSet template)', await tierExpectations(s, config)),
      await evaluate(s, 'tier boundaries (StackSet template)', await tierBoundaryExpectations(s, config)),
      await evaluate(s, 'trust policies (StackSet template)', trustExpectations(s, config)),
    );
  }
  const all = [worlds.accounts, ...(worlds.stackSet ? [worlds.stackSet] : [])];
  return {
    checks: results,
    requested: all.reduce((n, x) => n + x.stats.requested, 0),
    simulated: all.reduce((n, x) => n + x.stats.simulated, 0),
  };
}
