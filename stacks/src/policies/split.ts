import type { PolicyDocument, PolicyStatement } from '@jit-access/core';
import { StacksError, StacksErrorCode } from '../errors.js';

/** IAM counts a policy's size without whitespace: the compact JSON form. */
export function policyChars(document: unknown): number {
  return JSON.stringify(document).length;
}

function withResources(statement: PolicyStatement, resources: readonly string[], part: number): PolicyStatement {
  return {
    ...statement,
    ...(statement.Sid === undefined ? {} : { Sid: part === 1 ? statement.Sid : `${statement.Sid}Part${part}` }),
    Resource: resources.length === 1 ? (resources[0] as string) : [...resources],
  };
}

/** Splits one statement into several with the same effect, each carrying part of the resources. */
function splitStatement(statement: PolicyStatement, budget: number): PolicyStatement[] {
  const resources = typeof statement.Resource === 'string' ? [statement.Resource] : [...(statement.Resource ?? [])];
  if (resources.length < 2) {
    throw new StacksError(
      StacksErrorCode.PolicyTooLarge,
      `statement ${statement.Sid ?? '(no Sid)'} is ${policyChars(statement)} characters and cannot be split: it has fewer than two resources; the limit is ${budget}`,
    );
  }
  const parts: PolicyStatement[] = [];
  let current: string[] = [];
  for (const resource of resources) {
    const candidate = withResources(statement, [...current, resource], parts.length + 1);
    if (current.length > 0 && policyChars(candidate) > budget) {
      parts.push(withResources(statement, current, parts.length + 1));
      current = [resource];
    } else {
      current.push(resource);
    }
  }
  parts.push(withResources(statement, current, parts.length + 1));
  return parts;
}

/**
 * Splits a policy into documents of at most `maxChars` each. The union of the parts has the same
 * meaning as the whole: statements are independent (an allow in any part allows, a deny in any
 * part denies), and a statement too big on its own is split by its resources.
 */
export function splitPolicy(document: PolicyDocument, maxChars: number): PolicyDocument[] {
  const empty = policyChars({ Version: document.Version, Statement: [] });
  const budget = maxChars - empty - 1;
  const statements = document.Statement.flatMap((s) => (policyChars(s) > budget ? splitStatement(s, budget) : [s]));
  const documents: PolicyStatement[][] = [];
  let current: PolicyStatement[] = [];
  let size = 0;
  for (const statement of statements) {
    const chars = policyChars(statement) + 1;
    if (current.length > 0 && size + chars > budget) {
      documents.push(current);
      current = [];
      size = 0;
    }
    current.push(statement);
    size += chars;
  }
  if (current.length > 0) documents.push(current);
  return documents.map((Statement) => ({ Version: document.Version, Statement }));
}
