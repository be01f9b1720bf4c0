export { type Acknowledgement, acknowledge, NAG_PACK_PREFIXES } from './acknowledge.js';
export { type PropsProblem, PropsProblems, StacksError, StacksErrorCode } from './errors.js';
export { addJitStacks, type JitStacks, type JitStacksOptions } from './jitApp.js';
export { HUB_NAMES, IAM_LIMITS, KEY_ALIASES, REPORT_NAMES, STACK_NAMES, WORKLOAD_NAMES } from './names.js';
export { agentPrincipalArn } from './policies/common.js';
export {
  agentSecretResourcePolicy,
  agentSecretsKeyPolicy,
  approverPolicies,
  notificationsKeyPolicy,
  notificationTopicPolicy,
  rolesAnywhereTrustPolicy,
} from './policies/hub.js';
export {
  accessLogsBucketPolicy,
  reportFunctionPolicy,
  reportKeyPolicy,
  type TrailSources,
  trailBucketPolicy,
  trailKeyPolicy,
  trailSources,
} from './policies/logArchive.js';
export { policyChars, splitPolicy } from './policies/split.js';
export { REPORT_BUNDLE_DIR, REPORT_PLACEHOLDER_DIR, type ReportBundle, resolveReportBundle } from './reportBundle.js';
export { HubStack, type HubStackProps } from './stacks/hub-stack.js';
export { LogArchiveStack, type LogArchiveStackProps } from './stacks/log-archive-stack.js';
export { ReportStack, type ReportStackProps } from './stacks/report-stack.js';
export { type TrailKind, TrailStack, type TrailStackProps, trailKeyAliasArn } from './stacks/trail-stack.js';
export { maxSessionSeconds, WorkloadStack, type WorkloadStackProps } from './stacks/workload-stack.js';
export {
  DEFAULT_REPORT_RECIPIENTS,
  DEFAULT_REPORT_SENDER,
  type SynthOptions,
  type SynthResult,
  synthesize,
} from './synth.js';
