export {
  type ApproverCredentialOptions,
  type ApproverCredentials,
  type ApproverIdentity,
  type ApproverSignIn,
  approverCredentials,
  identifyApprover,
} from './aws/approver.js';
export {
  AwsClients,
  type AwsCredentials,
  type AwsOptions,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from './aws/clients.js';
export { META as GRANT_METADATA_TAGS } from './aws/secretStore.js';
export { type CliIo, main } from './cli/main.js';
export {
  EXIT_CODE_HELP,
  EXIT_CODES,
  exitCodeForError,
  exitCodeForWarnings,
  GrantError,
  GrantErrorCode,
  type GrantWarning,
  GrantWarningCode,
} from './errors.js';
export {
  type GrantDeps,
  type GrantOptions,
  type GrantResult,
  type GrantSummary,
  grant,
  type ReplacedGrant,
} from './grant.js';
export { eventSummary, type GrantEvent } from './notify/event.js';
export {
  describeTarget,
  type NotificationOutcome,
  type NotifyDeps,
  notifyAll,
  slackMessage,
  snsTopicArn,
} from './notify/notify.js';
export { type GrantInput, type GrantPlan, planGrant, scopeArnProblem, sessionPolicyFor, tagValue } from './plan.js';
export { grantOptionsForRequest, readElevationRequest } from './request.js';
export {
  type AttachedDeny,
  clearRevocations,
  type DenyOutcome,
  denyGrantSessions,
  listRevocations,
  type RevocationDeny,
  type RevocationListing,
  type RevokeDeps,
  type RevokeOptions,
  type RevokeResult,
  revoke,
  revokeGrantDocument,
  ulidTime,
} from './revoke.js';
export {
  type AccountState,
  type AccountStatus,
  activeGrant,
  type GrantMetadata,
  grantMetadataFromTags,
  grantStatus,
  heldGrant,
  isActive,
} from './status.js';
