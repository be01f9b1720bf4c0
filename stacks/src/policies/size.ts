import type { PropsProblems } from '../errors.js';
import { policyChars } from './split.js';

/** Records a problem when a policy is over IAM's cap for where it goes. */
export function checkPolicySize(
  problems: PropsProblems,
  field: string,
  document: unknown,
  limit: number,
  what: string,
  suggestion: string,
): void {
  const size = policyChars(document);
  problems.check(size <= limit, field, `${what} is ${size} characters; IAM allows ${limit}. ${suggestion}`);
}
