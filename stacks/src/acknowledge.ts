import { NagSuppressions } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { StacksError, StacksErrorCode } from './errors.js';

/** The cdk-nag packs every stack is checked against, by their rule-id prefix. */
export const NAG_PACK_PREFIXES = {
  awsSolutions: 'AwsSolutions',
  hipaa: 'HIPAA.Security',
  nist: 'NIST.800.53.R5',
  pci: 'PCI.DSS.321',
} as const;

/**
 * One accepted cdk-nag finding. `rules` names one or more rule ids; a bare rule name such as
 * `S3BucketReplicationEnabled` stands for that rule in the HIPAA, NIST and PCI packs, which share
 * rule names (AwsSolutions rules are always given in full, e.g. `AwsSolutions-IAM5`).
 */
export interface Acknowledgement {
  readonly rules: string | readonly string[];
  /** Why the finding is acceptable here, for a reviewer who has not read the code: 20 characters at least. */
  readonly reason: string;
  /**
   * For rules with granular finding ids (AwsSolutions-IAM5's `Resource::*`): only these findings
   * are accepted; a `{ regex }` entry is an ECMA-262 regex literal such as `/^Resource::.*$/`.
   */
  readonly appliesTo?: readonly (string | { readonly regex: string })[];
}

const MIN_REASON = 20;
const FULL_RULE = /^(AwsSolutions|HIPAA\.Security|NIST\.800\.53\.R5|PCI\.DSS\.321)-[A-Za-z0-9]+$/;
const BARE_RULE = /^[A-Z][A-Za-z0-9]+$/;

function expandRules(rules: string | readonly string[]): string[] {
  const list = typeof rules === 'string' ? [rules] : [...rules];
  return list.flatMap((rule) => {
    if (FULL_RULE.test(rule)) return [rule];
    if (BARE_RULE.test(rule)) {
      return [NAG_PACK_PREFIXES.hipaa, NAG_PACK_PREFIXES.nist, NAG_PACK_PREFIXES.pci].map((p) => `${p}-${rule}`);
    }
    throw new StacksError(
      StacksErrorCode.PropsInvalid,
      `acknowledgement rule "${rule}" is not a cdk-nag rule id: expected e.g. "AwsSolutions-IAM5", "NIST.800.53.R5-IAMNoInlinePolicy" or a bare HIPAA/NIST/PCI rule name such as "S3BucketReplicationEnabled"`,
    );
  });
}

/**
 * Accepts cdk-nag findings on one construct (and, with `children`, the resources inside it),
 * each with a written reason. The only way this code base suppresses a finding: call it right
 * next to the resource it is about, so the reason is read where the resource is.
 */
export function acknowledge(
  construct: IConstruct,
  acknowledgements: readonly Acknowledgement[],
  options: { readonly children?: boolean } = {},
): void {
  const suppressions = acknowledgements.flatMap((ack) => {
    const reason = ack.reason.trim();
    if (reason.length < MIN_REASON || /^(todo|tbd|n\/a|fixme)\b/i.test(reason)) {
      throw new StacksError(
        StacksErrorCode.PropsInvalid,
        `acknowledgement of ${String(ack.rules)} on ${construct.node.path} needs a written reason (${MIN_REASON} characters at least, not a placeholder); got "${reason}"`,
      );
    }
    return expandRules(ack.rules).map((id) => ({
      id,
      reason,
      ...(ack.appliesTo === undefined
        ? {}
        : { appliesTo: ack.appliesTo.map((a) => (typeof a === 'string' ? a : { regex: a.regex })) }),
    }));
  });
  NagSuppressions.addResourceSuppressions(construct, suppressions, options.children ?? false);
}
