export {
  type IssuedLocalSsoToken,
  type IssueLocalSsoTokenOptions,
  issueLocalSsoToken,
  localSsoApproverRole,
  type SsoCacheFile,
  ssoCacheFileName,
  writeLocalSsoTokenCache,
} from './issueToken.js';
export { createSsoPortalPlugin } from './plugin.js';
export {
  createSsoPortalHandler,
  SSO_BEARER_HEADER,
  SSO_PORTAL_PATH,
  type SsoAssumeRoleArgs,
  type SsoPortalHandlerOptions,
  type SsoRoleCredentials,
} from './portal.js';
export { type SsoAssignment, type SsoTokenEntry, ssoTokenStoreFile } from './tokenStore.js';
