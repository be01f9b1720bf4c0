import type { JitConfig } from '@jit-access/core';
import type { App } from 'aws-cdk-lib';
import { BootstraplessSynthesizer, type IStackSynthesizer } from 'aws-cdk-lib';
import { STACK_NAMES } from './names.js';
import { standaloneTrailAccounts } from './policies/logArchive.js';
import { HubStack } from './stacks/hub-stack.js';
import { LogArchiveStack } from './stacks/log-archive-stack.js';
import { ReportStack } from './stacks/report-stack.js';
import { TrailStack } from './stacks/trail-stack.js';
import { WorkloadStack } from './stacks/workload-stack.js';

export interface JitStacksOptions {
  /** The validated deployment model (`loadConfig('accounts')`). */
  readonly config: JitConfig;
  /**
   * PEM text of the Roles Anywhere CA bundle (see HubStackProps.caBundlePem).
   * @default undefined - only needed for a `roles-anywhere` agent with `caBundleFile`
   */
  readonly caBundlePem?: string;
  /** The report function's bundle and mail settings. */
  readonly report: {
    readonly bundleDir: string;
    readonly sender: string;
    readonly recipients: readonly string[];
  };
  /**
   * Also synthesize the account-agnostic workload template (for a service-managed StackSet).
   * @default true
   */
  readonly stackSetTemplate?: boolean;
}

export interface JitStacks {
  readonly hub: HubStack;
  readonly logArchive: LogArchiveStack;
  readonly trails: readonly TrailStack[];
  readonly report: ReportStack;
  readonly workloads: readonly WorkloadStack[];
  readonly workloadStackSet?: WorkloadStack;
}

/**
 * Every stack of the product for one configuration, each in its own account: the hub, the log
 * archive, the trail(s), the report, one workload stack per workload account and the workload
 * StackSet template. Deploy order is recorded as stack dependencies (trails after the log archive).
 */
export function addJitStacks(app: App, options: JitStacksOptions): JitStacks {
  const { config } = options;
  const env = (account: string) => ({ account, region: config.region });
  const hub = new HubStack(app, STACK_NAMES.hub, {
    config,
    env: env(config.hub.id),
    description: 'JIT Access hub: agent base identity, elevated-credential secrets, approvers policy',
    ...(options.caBundlePem === undefined ? {} : { caBundlePem: options.caBundlePem }),
  });
  const logArchive = new LogArchiveStack(app, STACK_NAMES.logArchive, {
    config,
    env: env(config.logArchive.id),
    description: 'JIT Access log archive: the trail bucket (Object Lock COMPLIANCE) and its key',
  });
  const trails: TrailStack[] = [];
  if (config.organizationId !== undefined && config.management !== undefined) {
    trails.push(
      new TrailStack(app, STACK_NAMES.organizationTrail, {
        config,
        kind: 'organization',
        env: env(config.management.id),
        description: 'JIT Access organization trail, into the log archive',
      }),
    );
  } else {
    const names = new Map<string, string>([
      [config.hub.id, config.hub.name],
      [config.logArchive.id, config.logArchive.name],
      ...config.workloadAccounts.map((a) => [a.id, a.name] as [string, string]),
      ...(config.management ? [[config.management.id, config.management.name] as [string, string]] : []),
    ]);
    for (const account of standaloneTrailAccounts(config)) {
      trails.push(
        new TrailStack(app, STACK_NAMES.accountTrail(names.get(account) ?? account), {
          config,
          kind: 'account',
          env: env(account),
          description: 'JIT Access account trail, into the log archive',
        }),
      );
    }
  }
  for (const trail of trails) trail.addStackDependency(logArchive, 'the trail delivers into the log archive bucket');
  const report = new ReportStack(app, STACK_NAMES.report, {
    config,
    env: env(config.logArchive.id),
    description: "JIT Access auditors' report: session reports from CloudTrail, e-mailed through SES",
    trailKeyArn: logArchive.trailKey.attrArn,
    bundleDir: options.report.bundleDir,
    sender: options.report.sender,
    recipients: options.report.recipients,
  });
  const workloads = config.workloadAccounts.map(
    (account) =>
      new WorkloadStack(app, STACK_NAMES.workload(account.name), {
        config,
        workloadAccountId: account.id,
        env: env(account.id),
        description: `JIT Access workload account ${account.name}: tier roles, deny ceiling, boundary, revoker`,
      }),
  );
  const workloadStackSet =
    options.stackSetTemplate === false
      ? undefined
      : new WorkloadStack(app, STACK_NAMES.workloadStackSet, {
          config,
          // A StackSet template cannot use the CDK bootstrap (no assets, no bootstrap version check).
          // (The cast bridges aws-cdk-lib's typings and exactOptionalPropertyTypes, nothing more.)
          synthesizer: new BootstraplessSynthesizer() as unknown as IStackSynthesizer,
          description: 'JIT Access workload account (account-agnostic, for a service-managed StackSet)',
        });
  return { hub, logArchive, trails, report, workloads, ...(workloadStackSet ? { workloadStackSet } : {}) };
}
