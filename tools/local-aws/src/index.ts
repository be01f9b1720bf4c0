export { fixJsonProtocolError } from './edge/motoFixups.js';
export { type ParseAwsCallOptions, parseAwsCall } from './edge/parseAwsCall.js';
export { type Edge, type EdgeOptions, startEdge } from './edge/server.js';
export type {
  AwsCallInfo,
  EdgeExchange,
  EdgeHandler,
  EdgePlugin,
  EdgeRequest,
  EdgeResponse,
} from './edge/types.js';
export { LocalAwsError, LocalAwsErrorCode } from './errors.js';
export { type IssuedLocalCertificate, issueLocalAgentCertificate } from './issueCertificate.js';
export {
  findAccountsDir,
  type LocalAws,
  type LocalAwsProfiles,
  type StartLocalAwsOptions,
  startLocalAws,
} from './lifecycle.js';
export { isMotoReady, MOTO_INSTALL_HINT, type MotoOptions, type MotoServer, startMoto } from './moto/launcher.js';
export { BUILTIN_PLUGINS, type EdgePluginFactory, type LocalAwsPluginContext, localRolesAnywhere } from './plugins.js';
export { AWS_FILE_NAMES, PROFILE_NAMES, renderAwsConfig, renderAwsCredentials } from './profiles.js';
export { adaptPolicyForMoto, type MotoWidening, trustPolicyWidenings } from './provision/motoPolicy.js';
export {
  LOCAL_NAMES,
  type LocalAccounts,
  type LocalCredentials,
  localApproverPolicy,
  type ProvisionedIdentity,
  type ProvisionedRole,
  type ProvisionOptions,
  type ProvisionResult,
  provision,
} from './provision/provision.js';
export {
  type AgentCertificate,
  createLocalCa,
  issueAgentCertificate,
  type LocalCa,
} from './rolesAnywhere/index.js';
export {
  createSsoPortalPlugin,
  type IssuedLocalSsoToken,
  type IssueLocalSsoTokenOptions,
  issueLocalSsoToken,
  localSsoApproverRole,
  type SsoAssignment,
  writeLocalSsoTokenCache,
} from './sso/index.js';
export { type LocalAwsState, readState, readyState, writeState } from './state.js';
