import type { PolicyDocument, PolicyStatement } from '@jit-access/core';

/** One place where the policy moto enforces is wider than the policy AWS would enforce. */
export interface MotoWidening {
  /** Where the policy lives, e.g. `111111111111 role AgentElevated-Ops: JitDenyCeiling`. */
  readonly policy: string;
  /** The statement's Sid, or `#<index>` without one. */
  readonly statement: string;
  /** What moto gets instead of the statement. */
  readonly change: string;
  /** Why: which moto limitation. */
  readonly reason: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/*
 * How moto 5.2 evaluates identity policies (moto/iam/access_control.py), and so what it cannot do:
 * - the request's resource is only known for S3 (bucket/key ARNs), sts:AssumeRole (the role ARN),
 *   IAM calls naming an existing role (its ARN) and SQS; every other call is checked against "*",
 *   which a specific Resource pattern never matches;
 * - patterns are turned into regular expressions by replacing `*` with `.*`: `?` (e.g. the
 *   `-??????` suffix of secret ARNs), `+` and `${...}` policy variables break or change them;
 * - conditions get no request context, so they always hold: an Allow with a condition allows
 *   unconditionally, a Deny with a condition denies unconditionally;
 * - NotResource is not understood: a statement with NotResource and no Resource is treated as
 *   an Allow, whatever its Effect.
 * The adapter only ever widens (moto must never refuse what AWS would allow, or the local
 * environment would lie about the happy path); every widening is reported.
 */

const SAFE_PATTERN = /^[A-Za-z0-9:/_.,=@*-]*$/;

/** The service an action pattern belongs to (`*` for every service). */
function serviceOf(action: string): string {
  return action.includes(':') ? action.slice(0, action.indexOf(':')) : '*';
}

/** Whether moto passes a real resource ARN (not "*") for every call `action` matches, so `resource` can match. */
function motoAlwaysChecks(action: string, resource: string): boolean {
  if (resource === '*') return true;
  const service = serviceOf(action);
  if (service === 's3' || service === 'sqs') return resource.startsWith(`arn:aws:${service}:`);
  if (service === 'sts') return action === 'sts:AssumeRole' && resource.includes(':role/');
  return false;
}

/** Whether moto passes a resource `resource` can match for at least some call `action` matches. */
function motoSometimesChecks(action: string, resource: string): boolean {
  if (resource === '*') return true;
  const service = serviceOf(action);
  const s3OrSqs = resource.startsWith('arn:aws:s3:') || resource.startsWith('arn:aws:sqs:');
  const role = resource.includes(':role/');
  if (service === '*') return s3OrSqs || role;
  if (service === 's3' || service === 'sqs') return resource.startsWith(`arn:aws:${service}:`);
  if (service === 'iam') return role;
  if (service === 'sts') return role && /^sts:(AssumeRole|\*|Assume\*|AssumeRole\*)$/.test(action);
  return false;
}

function list(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : [...value];
}

function single(values: readonly string[]): string | string[] {
  return values.length === 1 ? (values[0] as string) : [...values];
}

/**
 * The identity policy moto gets in place of `document`: the same statements, each widened just
 * enough for moto to evaluate it, plus a record of every widening.
 */
export function adaptPolicyForMoto(
  policyLabel: string,
  document: PolicyDocument,
): { document: PolicyDocument; widenings: MotoWidening[] } {
  const widenings: MotoWidening[] = [];
  const statements: PolicyStatement[] = [];

  document.Statement.forEach((original, index) => {
    const statementId = original.Sid ?? `#${index}`;
    const widen = (change: string, reason: string): void => {
      widenings.push({ policy: policyLabel, statement: statementId, change, reason });
    };
    const statement: Mutable<PolicyStatement> = { ...original };
    const isDeny = statement.Effect === 'Deny';

    if (statement.Condition !== undefined) {
      if (isDeny) {
        widen('statement removed', 'moto ignores conditions, so this Deny would apply unconditionally');
        return;
      }
      delete statement.Condition;
      widen('Condition removed', 'moto ignores conditions; the Allow applies unconditionally');
    }

    if (statement.NotResource !== undefined) {
      if (isDeny) {
        widen('statement removed', 'moto does not understand NotResource (it would treat this Deny as an Allow)');
        return;
      }
      delete statement.NotResource;
      statement.Resource = '*';
      widen('NotResource replaced by Resource "*"', 'moto does not understand NotResource');
    }

    // A NotAction statement covers (almost) every action: judge it as `*`.
    const actions = statement.NotAction !== undefined ? ['*'] : list(statement.Action);
    for (const key of ['Action', 'NotAction'] as const) {
      const patterns = list(statement[key]);
      if (patterns.every((p) => SAFE_PATTERN.test(p))) continue;
      if (isDeny && key === 'Action') {
        const kept = patterns.filter((p) => SAFE_PATTERN.test(p));
        widen(
          `actions ${patterns.filter((p) => !SAFE_PATTERN.test(p)).join(', ')} removed`,
          'moto turns IAM wildcards into regular expressions; `?` and similar break them',
        );
        if (kept.length === 0) return;
        statement[key] = single(kept);
      } else {
        statement[key] = single(patterns.map((p) => (SAFE_PATTERN.test(p) ? p : p.replace(/\?/g, '*'))));
        widen(`"?" in ${key} replaced by "*"`, 'moto turns IAM wildcards into regular expressions; `?` breaks them');
      }
    }

    const resources = list(statement.Resource);
    if (resources.length > 0 && !(resources.length === 1 && resources[0] === '*')) {
      const unsafe = resources.filter((r) => !SAFE_PATTERN.test(r));
      const unchecked = actions.filter((a) => !resources.every((r) => motoAlwaysChecks(a, r)));
      if (!isDeny && (unsafe.length > 0 || unchecked.length > 0)) {
        statement.Resource = '*';
        const why: string[] = [];
        if (unchecked.length > 0) {
          why.push(`moto checks ${unchecked.join(', ')} against resource "*", which a specific ARN never matches`);
        }
        if (unsafe.length > 0) why.push(`moto cannot match ${unsafe.join(', ')} (\`?\`, \`+\` or policy variables)`);
        widen('Resource set to "*"', why.join('; '));
      } else if (isDeny) {
        if (unsafe.length > 0) {
          const kept = resources.filter((r) => SAFE_PATTERN.test(r));
          widen(
            `resources ${unsafe.join(', ')} removed`,
            'moto turns IAM wildcards into regular expressions; `?`, `+` and policy variables break them',
          );
          if (kept.length === 0) return;
          statement.Resource = single(kept);
        }
        const neverMatched = list(statement.Resource).filter((r) => !actions.some((a) => motoSometimesChecks(a, r)));
        if (neverMatched.length > 0) {
          widen(
            `not enforced on ${neverMatched.join(', ')}`,
            'moto checks these calls against resource "*" (it knows real resources only for S3, SQS, IAM roles and sts:AssumeRole)',
          );
        }
      }
    }
    statements.push(statement);
  });

  return { document: { Version: document.Version, Statement: statements }, widenings };
}

/**
 * Trust policies are stored unchanged (moto accepts them); what moto does not check is recorded.
 * moto evaluates a trust policy only when the role is in the caller's own account, compares
 * principal ARNs literally (an account's `:root` does not stand for its principals) and knows
 * only the StringEquals operator on `sts:ExternalId`.
 */
export function trustPolicyWidenings(policyLabel: string, document: PolicyDocument): MotoWidening[] {
  return document.Statement.map((statement, index) => ({
    policy: policyLabel,
    statement: statement.Sid ?? `#${index}`,
    change: 'not evaluated for cross-account AssumeRole; conditions ignored',
    reason:
      "moto checks trust policies only for callers in the role's own account and evaluates no conditions but sts:ExternalId",
  }));
}

/**
 * The MFA requirement of a trust policy (`approvers.requireMfa`, decision 0008), one record per
 * statement that carries it. moto evaluates no trust policy for cross-account AssumeRole and no
 * condition but `sts:ExternalId`, so the local approver (IAM user `jit-approver`, access keys, no
 * MFA) is let in where AWS would refuse it. The policy itself is stored as the stacks write it.
 */
export function mfaWidenings(policyLabel: string, document: PolicyDocument): MotoWidening[] {
  return document.Statement.flatMap((statement, index) => {
    const bool = statement.Condition?.Bool;
    if (bool === undefined || !('aws:MultiFactorAuthPresent' in bool)) return [];
    return [
      {
        policy: policyLabel,
        statement: statement.Sid ?? `#${index}`,
        change: 'MFA not required: Bool aws:MultiFactorAuthPresent is not evaluated',
        reason:
          'moto evaluates no trust policy for cross-account AssumeRole and no condition but sts:ExternalId: the local approver (jit-approver, access keys, no MFA) is let in, which AWS would refuse',
      },
    ];
  });
}
