import { Aspects, type IAspect, type Stack } from 'aws-cdk-lib';
import {
  AwsSolutionsChecks,
  HIPAASecurityChecks,
  type INagLogger,
  type NagLoggerBaseData,
  type NagLoggerErrorData,
  type NagLoggerNonComplianceData,
  type NagLoggerSuppressedData,
  NagMessageLevel,
  type NagPackProps,
  NIST80053R5Checks,
  PCIDSS321Checks,
} from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** One cdk-nag finding nobody acknowledged: it fails the gate, whatever its level. */
export interface NagFinding {
  readonly stack: string;
  readonly path: string;
  readonly ruleId: string;
  readonly findingId: string;
  readonly level: 'Error' | 'Warning' | 'RuleError';
  readonly info: string;
}

/** A finding that was acknowledged, with its reason (kept so reviews can list them). */
export interface NagAcknowledged {
  readonly stack: string;
  readonly path: string;
  readonly ruleId: string;
  readonly findingId: string;
  readonly reason: string;
}

function stackOf(data: { readonly resource: IConstruct }): string {
  let scope: IConstruct | undefined = data.resource;
  while (scope) {
    const candidate = scope as Partial<Stack>;
    if (typeof candidate.stackName === 'string' && candidate.templateOptions !== undefined) return candidate.stackName;
    scope = scope.node.scope;
  }
  return '(no stack)';
}

/** Collects what the packs find, instead of (only) annotating the construct tree. */
export class NagCollector implements INagLogger {
  readonly findings: NagFinding[] = [];
  readonly acknowledged: NagAcknowledged[] = [];
  /** Rule evaluations in all. */
  evaluations = 0;
  /** The packs that checked each stack: proof that every pack ran on every stack. */
  readonly packsByStack = new Map<string, Set<string>>();

  private count(data: NagLoggerBaseData): void {
    this.evaluations++;
    const stack = stackOf(data);
    const packs = this.packsByStack.get(stack) ?? new Set<string>();
    packs.add(data.nagPackName);
    this.packsByStack.set(stack, packs);
  }

  onCompliance(data: NagLoggerBaseData): void {
    this.count(data);
  }

  onNotApplicable(data: NagLoggerBaseData): void {
    this.count(data);
  }

  onNonCompliance(data: NagLoggerNonComplianceData): void {
    this.count(data);
    this.findings.push({
      stack: stackOf(data),
      path: data.resource.node.path,
      ruleId: data.ruleId,
      findingId: data.findingId,
      level: data.ruleLevel === NagMessageLevel.ERROR ? 'Error' : 'Warning',
      info: data.ruleInfo,
    });
  }

  onSuppressed(data: NagLoggerSuppressedData): void {
    this.count(data);
    this.acknowledged.push({
      stack: stackOf(data),
      path: data.resource.node.path,
      ruleId: data.ruleId,
      findingId: data.findingId,
      reason: data.suppressionReason,
    });
  }

  onError(data: NagLoggerErrorData): void {
    // A rule that crashes on a resource checked nothing: that is a failure, not a pass.
    this.findings.push({
      stack: stackOf(data),
      path: data.resource.node.path,
      ruleId: data.ruleId,
      findingId: data.ruleId,
      level: 'RuleError',
      info: data.errorMessage,
    });
  }

  onSuppressedError(): void {}
}

/** The four packs the gates require, in the order they report. */
export const NAG_PACKS = ['AwsSolutions', 'HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'] as const;

/**
 * Applies AwsSolutions, HIPAA Security, NIST 800-53 rev 5 and PCI DSS 3.2.1 to `scope` (an app or
 * a stack); the checks run when the app synthesizes. Reports are off: the collector is the report.
 */
export function applyNagPacks(scope: IConstruct, collector: NagCollector = new NagCollector()): NagCollector {
  const props: NagPackProps = { reports: false, additionalLoggers: [collector] };
  const packs: IAspect[] = [
    new AwsSolutionsChecks(props),
    new HIPAASecurityChecks(props),
    new NIST80053R5Checks(props),
    new PCIDSS321Checks(props),
  ];
  for (const pack of packs) Aspects.of(scope).add(pack);
  return collector;
}

/** One line per finding, for an assertion message or a CLI. */
export function formatNagFindings(findings: readonly NagFinding[]): string {
  return findings.map((f) => `${f.level} ${f.ruleId} [${f.findingId}] at ${f.path}: ${f.info}`).join('\n');
}
