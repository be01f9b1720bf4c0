export { CONFIG_FILES, type ConfigSource, findAccount, findTier, loadConfig, parseConfig } from './config/load.js';
export {
  type AccountRef,
  type AgentIdentity,
  type JitConfig,
  type NotificationTarget,
  type SecretRef,
  type Tier,
  WINDOW_LIMITS,
  type WorkloadAccount,
} from './config/schema.js';
export {
  ConfigError,
  type ConfigIssue,
  CoreErrorCode,
  JitError,
  NameError,
  PayloadError,
  PolicyError,
} from './errors.js';
export {
  grantIdFromSessionName,
  grantIdTime,
  isAccountId,
  isGrantId,
  MANAGED_POLICY_NAMES,
  newGrantId,
  parseRevokePolicyName,
  revokeAllPolicyName,
  revokeGrantPolicyName,
  roleArn,
  SECRET_PREFIX,
  SESSION_PREFIX,
  SESSION_TAG,
  secretArnPattern,
  secretName,
  sessionNameFor,
} from './naming.js';
export {
  DEFAULT_CLOCK_SKEW_SECONDS,
  type ElevatedPayload,
  elevatedPayloadSchema,
  MAX_SECRET_BYTES,
  PAYLOAD_SCHEMA_VERSION,
  type PlaceholderPayload,
  parseSecretPayload,
  placeholderSecretString,
  type SecretState,
  serializeElevatedPayload,
  usableUntil,
} from './payload.js';
export {
  agentBasePolicy,
  approverAccounts,
  boundaryPolicyArn,
  denyCeilingPolicy,
  elevatedRoleTrustPolicy,
  revokeAllSessionsPolicy,
  revokeGrantPolicy,
  SESSION_POLICY_MAX_CHARS,
  securityBoundaryPolicy,
  tierPermissionsPolicy,
  windowSessionPolicy,
} from './policy/documents.js';
export { ESCALATION_CATALOGUE, type EscalationCheck, type EscalationPath } from './policy/escalationCatalogue.js';
export type { PolicyDocument, PolicyStatement } from './policy/types.js';
// Issue 3 (jit-grant): the agent request format, webhook signing and the revoker role (request.ts,
// webhook.ts, revoker.ts). jit-grant, jit-agent and tools/local-aws import these.
export {
  ELEVATION_REQUEST_KIND,
  ELEVATION_REQUEST_VERSION,
  type ElevationRequest,
  elevationRequestSchema,
  hasControlCharacter,
  isControlCharacter,
  MAX_REQUEST_BYTES,
  PLAN_MAX_CHARS,
  parseElevationRequest,
  REASON_MAX_CHARS,
  RequestError,
  RequestErrorCode,
  reasonProblem,
  serializeElevationRequest,
} from './request.js';
export { REVOKER_ROLE_NAME, revokerPermissionsPolicy, revokerTrustPolicy } from './revoker.js';
export {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  signWebhook,
  type VerifyWebhookInput,
  verifyWebhook,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_SIGNATURE_PREFIX,
  WEBHOOK_TIMESTAMP_HEADER,
  WebhookError,
  WebhookErrorCode,
  type WebhookSignature,
} from './webhook.js';
