export {
  type AuthorizationParseFailureCode,
  type AuthorizationParseResult,
  type ParsedX509Authorization,
  parseX509Authorization,
  X509_ALGORITHMS,
  type X509Algorithm,
} from './authorization.js';
export type { EdgeHandler, EdgeRequest, EdgeResponse } from './edgeTypes.js';
export { LocalRolesAnywhereError, LocalRolesAnywhereErrorCode } from './errors.js';
export {
  type AssumedRoleCredentials,
  type AssumeRoleArgs,
  createRolesAnywhereHandler,
  REFUSAL_CODE_HEADER,
  type RolesAnywhereHandlerOptions,
  type RolesAnywhereProfile,
} from './handler.js';
export {
  type AgentCertificate,
  type CreateLocalCaOptions,
  createLocalCa,
  type IssueAgentCertificateOptions,
  issueAgentCertificate,
  type LocalCa,
  type LocalKeyType,
} from './localCa.js';
export {
  type TrustAnchor,
  type VerifiedCreateSession,
  type VerifiedSignature,
  type VerifyCreateSessionOptions,
  type VerifyFailure,
  VerifyFailureCode,
  verifyCreateSessionRequest,
  verifyX509RequestSignature,
} from './verifier.js';
