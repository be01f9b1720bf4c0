export {
  digestEmail,
  type EmailContent,
  type EmailContext,
  forEmail,
  integrityAlertEmail,
  MAX_EMAIL_CALLS,
  runFailureEmail,
  sessionEmail,
  verdictOf,
} from './email/compose.js';
export { buildMime, encodeHeaderWords, headerValue, type MimeInput, rfc5322Date } from './email/mime.js';
export { type Mailer, type OutgoingEmail, sesMailer } from './email/send.js';
export { ReportLambdaError, ReportLambdaErrorCode } from './errors.js';
export {
  type CheckIntegrityOptions,
  checkIntegrity,
  type DeliveryCheck,
  type DeliveryStatus,
  type ExpectedDeliveries,
  type IntegrityStatus,
  type IntegritySummary,
  type SilentStretch,
  silenceThresholdMs,
  silentStretchesOf,
  type TrailCheck,
} from './integrity.js';
export { dependenciesFromEnvironment, type HandlerResult, handler } from './lambda.js';
export {
  type Claim,
  type ClaimResult,
  DeliveryLedger,
  type DeliveryState,
  deliveryKeyOf,
  type LedgerOptions,
  type SentRecord,
} from './ledger.js';
export {
  type ConsumeLogFileOptions,
  consumeLogFile,
  DEFAULT_MAX_FILE_BYTES,
  type LogFileSink,
  type LogFileStats,
} from './records/logStream.js';
export { type LogScope, type ReadWindowOptions, readWindow, type WindowRead } from './records/readWindow.js';
export { RecordSplitter, type RecordSplitterOptions, SplitError, type SplitItem } from './records/recordSplitter.js';
export { type RelevanceFilter, relevanceFilter } from './records/relevance.js';
export {
  type EmailEntry,
  type EmailKind,
  type ReportDependencies,
  type RunResult,
  runReport,
  type SessionEntry,
  type SessionOutcome,
  sessionDeliveryId,
} from './run.js';
export {
  type Environment,
  MAX_RECIPIENTS,
  parseSettings,
  REPORT_ENV,
  REPORT_MODES,
  type ReportMode,
  type ReportSettings,
  SETTING_DEFAULTS,
} from './settings.js';
export { type OnDemandEvent, type RunWindow, resolveWindow } from './window.js';
