import type { PolicyDocument } from '@jit-access/core';
import { actionResourceShape } from './actions.js';
import type { IamModel, PrincipalModel } from './iamModel.js';

/** An IAM decision, as the simulator (and AWS) makes it. */
export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

type Context = Readonly<Record<string, string | readonly string[]>>;

/** The policies and the request of one simulated call; the shape of @jit-access/policy-sim's `simulate`. */
export interface SimulationInput {
  readonly identity: readonly object[];
  readonly boundary?: object | undefined;
  readonly session?: object | undefined;
  readonly resource?: object | undefined;
}

export interface SimulationRequest {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly resourceAccount?: string;
  readonly context?: Context;
}

/**
 * The IAM evaluator the gates run on. Injected, so that this package never imports the simulator
 * (AGPL, a test-only dependency): tests and the benchmark pass @jit-access/policy-sim's `simulate`.
 */
export type Simulate = (policies: SimulationInput, request: SimulationRequest) => Promise<Decision>;

/** Someone making calls: an IAM user, or a session of a role. */
export interface Caller {
  readonly label: string;
  /** The ARN the request is made as (a user, or `arn:aws:sts::…:assumed-role/…`). */
  readonly principal: string;
  /** `aws:PrincipalArn`: the user or the role. */
  readonly principalArn: string;
  readonly account: string;
  readonly identity: readonly PolicyDocument[];
  readonly boundary?: PolicyDocument;
  readonly session?: PolicyDocument;
  /** Context every request of this caller carries (source identity, principal type). */
  readonly context: Context;
}

export interface SessionOptions {
  readonly sessionName?: string;
  readonly sourceIdentity?: string;
  /** Extra identity policies, e.g. a revocation deny or an inline policy someone put on the role. */
  readonly extraIdentity?: readonly PolicyDocument[];
  readonly session?: PolicyDocument;
}

function accountOfArn(arn: string): string | undefined {
  const id = arn.split(':')[4];
  return id && /^\d{12}$/.test(id) ? id : undefined;
}

/**
 * The simulated IAM world of the synthesized templates: who is who, which resource policy guards
 * which resource, and the request context AWS would add to a call (`aws:PrincipalArn`,
 * `aws:PrincipalAccount`, `aws:ResourceAccount`, `aws:SecureTransport`, `aws:SourceIdentity`,
 * `kms:ResourceAliases`), so that conditions on them are evaluated as deployed.
 */
export interface WorldOptions {
  /**
   * Reuse decisions across workload accounts: a request is keyed with its caller's account id
   * replaced by a placeholder, so the same check in two accounts whose templates differ only in
   * that id is simulated once. Renaming an account consistently changes no IAM decision.
   * @default false
   */
  readonly memoizeAcrossAccounts?: boolean;
}

export class IamWorld {
  /** Simulations asked for, and those actually run (fewer when memoizing). */
  readonly stats = { requested: 0, simulated: 0 };
  private readonly memo: Map<string, Promise<Decision>> | undefined;
  // Policies are shared objects (one per template resource): serialize each once per caller
  // account, with that account abstracted, for the memo keys.
  private readonly json = new WeakMap<object, Map<string, string>>();

  private jsonOf(value: object, account: string): string {
    let byAccount = this.json.get(value);
    if (!byAccount) {
      byAccount = new Map();
      this.json.set(value, byAccount);
    }
    let text = byAccount.get(account);
    if (text === undefined) {
      text = JSON.stringify(value).replaceAll(account, ACCOUNT_PLACEHOLDER);
      byAccount.set(account, text);
    }
    return text;
  }

  constructor(
    readonly model: IamModel,
    private readonly simulate: Simulate,
    options: WorldOptions = {},
  ) {
    this.memo = options.memoizeAcrossAccounts ? new Map() : undefined;
  }

  /** An IAM user defined in the templates. */
  user(arn: string): Caller {
    const user = this.model.requirePrincipal(arn);
    return this.callerOf(user, user.arn, { 'aws:PrincipalType': 'User' }, user.arn);
  }

  /** A session of a role defined in the templates. */
  session(roleArn: string, options: SessionOptions = {}): Caller {
    const role = this.model.requirePrincipal(roleArn);
    const sessionName = options.sessionName ?? options.sourceIdentity ?? 'session';
    const principal = `arn:aws:sts::${role.account}:assumed-role/${role.name}/${sessionName}`;
    const context: Record<string, string> = { 'aws:PrincipalType': 'AssumedRole' };
    if (options.sourceIdentity !== undefined) context['aws:SourceIdentity'] = options.sourceIdentity;
    return {
      ...this.callerOf(role, principal, context, `${role.name}/${sessionName}`),
      identity: [...role.identityPolicies, ...(options.extraIdentity ?? [])],
      ...(options.session ? { session: options.session } : {}),
    };
  }

  /** A principal the templates do not define (an administrator, another team's role), with the policies given. */
  outsider(options: {
    readonly label: string;
    readonly principalArn: string;
    readonly identity: readonly PolicyDocument[];
    readonly sourceIdentity?: string;
  }): Caller {
    const account = accountOfArn(options.principalArn) ?? '000000000000';
    const isRole = options.principalArn.includes(':role/');
    const name = options.principalArn.split('/').pop() ?? 'x';
    return {
      label: options.label,
      principal: isRole
        ? `arn:aws:sts::${account}:assumed-role/${name}/${options.sourceIdentity ?? 'session'}`
        : options.principalArn,
      principalArn: options.principalArn,
      account,
      identity: options.identity,
      context: {
        'aws:PrincipalType': isRole ? 'AssumedRole' : 'User',
        ...(options.sourceIdentity === undefined ? {} : { 'aws:SourceIdentity': options.sourceIdentity }),
      },
    };
  }

  private callerOf(p: PrincipalModel, principal: string, context: Record<string, string>, label: string): Caller {
    return {
      label,
      principal,
      principalArn: p.arn,
      account: p.account,
      identity: p.identityPolicies,
      ...(p.boundary ? { boundary: p.boundary } : {}),
      context,
    };
  }

  /**
   * The decision for one call. The resource policy comes from the templates (a role's trust
   * policy for `sts:` calls on it); a resource they do not define has none, which leaves the
   * decision to the caller's own policies within its account (the worst case for escalation).
   */
  async decide(caller: Caller, action: string, resource: string, context: Context = {}): Promise<Decision> {
    const resourcePolicy = action.toLowerCase().startsWith('sts:')
      ? this.model.principal(resource)?.trustPolicy
      : this.model.resourcePolicyFor(resource)?.policy;
    const guarded = this.model.resourcePolicyFor(resource);
    const resourceAccount = accountOfArn(resource) ?? guarded?.account ?? caller.account;
    const shape = await actionResourceShape(action);
    const aliases =
      guarded?.kind === 'key' && guarded.aliases.length > 0 ? { 'kms:ResourceAliases': [...guarded.aliases] } : {};
    const full: Record<string, string | readonly string[]> = {
      'aws:PrincipalArn': caller.principalArn,
      'aws:PrincipalAccount': caller.account,
      'aws:SecureTransport': 'true',
      ...(shape.wildcardOnly ? {} : { 'aws:ResourceAccount': resourceAccount }),
      ...aliases,
      ...caller.context,
      ...context,
    };
    for (const [k, v] of Object.entries(full)) if (v === ABSENT) delete full[k];
    const policies = {
      identity: caller.identity,
      ...(caller.boundary ? { boundary: caller.boundary } : {}),
      ...(caller.session ? { session: caller.session } : {}),
      ...(resourcePolicy ? { resource: resourcePolicy } : {}),
    };
    const request = { principal: caller.principal, action, resource, resourceAccount, context: full };
    this.stats.requested++;
    if (!this.memo) {
      this.stats.simulated++;
      return this.simulate(policies, request);
    }
    const a = caller.account;
    const key = [
      this.jsonOf(caller.identity, a),
      caller.boundary ? this.jsonOf(caller.boundary, a) : '',
      caller.session ? this.jsonOf(caller.session, a) : '',
      resourcePolicy ? this.jsonOf(resourcePolicy, a) : '',
      JSON.stringify(request).replaceAll(a, ACCOUNT_PLACEHOLDER),
    ].join('|');
    let decision = this.memo.get(key);
    if (!decision) {
      this.stats.simulated++;
      decision = this.simulate(policies, request);
      this.memo.set(key, decision);
    }
    return decision;
  }
}

const ACCOUNT_PLACEHOLDER = '{caller-account}';

/** A context value that removes a key the world would otherwise add (e.g. `aws:SecureTransport`). */
export const ABSENT = '\u0000absent';
