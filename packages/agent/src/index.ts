export {
  agentArn,
  approverChannels,
  type ChannelOverrides,
  DEFAULT_LISTENER_PORT,
  elevationStatus,
  type ListenerOverrides,
  listenerSettings,
  type RequestInput,
  type RequestOutcome,
  requestElevation,
} from './app.js';
export {
  type CapturedResult,
  type ChildResult,
  FORWARDED_SIGNALS,
  type SignalSource,
} from './child.js';
export { childEnvironment } from './childEnv.js';
export { type CredentialProcessOutput, credentialProcess, toCredentialProcessOutput } from './credentialProcess.js';
export {
  type AwsCredentials,
  type CredentialProvider,
  type ElevatedCredentials,
  redact,
  secretValues,
} from './credentials.js';
export { parseDuration } from './duration.js';
export {
  type ActiveElevation,
  classifySecret,
  type ElevationRead,
  type ElevationState,
  type ElevationStatus,
  type ReadElevationOptions,
  readElevation,
  refusalCode,
  refusalError,
  requireActive,
} from './elevation.js';
export { AgentError, AgentErrorCode, EXIT_CODES, exitCodeFor } from './errors.js';
export {
  type CapturedExecOptions,
  type CapturedExecResult,
  type ExecOptions,
  type ExecResult,
  execWithElevation,
  runCapturedWithElevation,
} from './exec.js';
export {
  appendJournal,
  defaultJournalPath,
  type JournalEntry,
  type JournalRead,
  journalEntrySchema,
  readJournal,
} from './journal.js';
export {
  type GrantNotification,
  type Listener,
  type ListenerOptions,
  ListenerRejection,
  MAX_NOTIFICATION_BYTES,
  parseGrantNotification,
  startListener,
} from './listener.js';
export { createMcpServer, MCP_INSTRUCTIONS, type McpServerOptions, runMcpServer } from './mcp.js';
export { type FromJitSecretOptions, fromJitSecret, type JitCredentialProvider } from './provider.js';
export {
  type ApproverChannels,
  type BuildRequestOptions,
  buildElevationRequest,
  type Delivery,
  type PostFunction,
  requestText,
  sendElevationRequest,
  slackText,
} from './request.js';
export {
  type FromRolesAnywhereOptions,
  fromRolesAnywhere,
  type RolesAnywhereCredentialProvider,
  RolesAnywhereError,
  RolesAnywhereErrorCode,
} from './rolesAnywhere/index.js';
export { type AgentRuntime, createRuntime, type RuntimeOverrides } from './runtime.js';
export { createSecretReader, type SecretReader, type SecretReaderOptions } from './secretReader.js';
export {
  type AgentSettings,
  agentSettingsSchema,
  defaultSettingsPath,
  loadSettings,
  parseSettings,
} from './settings.js';
export {
  type CallerIdentity,
  type CallerIdentityLookup,
  type CredentialVerifier,
  createCredentialVerifier,
  createStsIdentityLookup,
  expectedSessionArn,
  type StsLookupOptions,
} from './verifyIdentity.js';
export { version } from './version.js';
export { type WaitEvent, type WaitOptions, type WaitResult, waitForGrant } from './wait.js';
