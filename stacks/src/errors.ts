import { JitError } from '@jit-access/core';
import type { IConstruct } from 'constructs';

export const StacksErrorCode = {
  /** A stack's props (or the configuration behind them) cannot be deployed as given. */
  PropsInvalid: 'STACK_PROPS_INVALID',
  /** A policy document is larger than IAM allows for where it goes. */
  PolicyTooLarge: 'STACK_POLICY_TOO_LARGE',
  /** The report Lambda's bundle directory is missing or has no handler. */
  ReportBundleMissing: 'STACK_REPORT_BUNDLE_MISSING',
  /** A synthesized template uses an intrinsic function the template reader does not resolve. */
  TemplateUnresolvable: 'STACK_TEMPLATE_UNRESOLVABLE',
  /** cfn-lint could not be run (not installed, or crashed). */
  LintUnavailable: 'STACK_LINT_UNAVAILABLE',
} as const;
export type StacksErrorCode = (typeof StacksErrorCode)[keyof typeof StacksErrorCode];

/** The base error of @jit-access/stacks. */
export class StacksError extends JitError {}

/** One thing wrong with a construct's props: which field, what was found, what is allowed. */
export interface PropsProblem {
  readonly field: string;
  readonly message: string;
}

/**
 * Collects every problem with a construct's props, then throws them together as one error that
 * names the construct path: fixing one problem at a time across deploys is slow and annoying.
 */
export class PropsProblems {
  private readonly problems: PropsProblem[] = [];

  add(field: string, message: string): void {
    this.problems.push({ field, message });
  }

  check(condition: boolean, field: string, message: string): void {
    if (!condition) this.add(field, message);
  }

  get list(): readonly PropsProblem[] {
    return this.problems;
  }

  throwIfAny(scope: IConstruct, suggestion?: string): void {
    if (this.problems.length === 0) return;
    const lines = this.problems.map((p) => `  - ${p.field}: ${p.message}`);
    const count = `${this.problems.length} problem${this.problems.length === 1 ? '' : 's'}`;
    throw new StacksError(
      StacksErrorCode.PropsInvalid,
      `${scope.node.path}: invalid props (${count}):\n${lines.join('\n')}`,
      suggestion === undefined ? {} : { suggestion },
    );
  }
}
