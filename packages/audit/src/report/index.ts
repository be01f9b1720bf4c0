export type { Outcome } from './classify.js';
export { actionName, classifyError, parseAssumedRoleArn, resourcesOf } from './classify.js';
export type { CommandIo } from './commands.js';
export {
  parseTimeOption,
  REPORT_HELP,
  ReportExitCode,
  runReportCommand,
  runSessionsCommand,
  SESSIONS_HELP,
} from './commands.js';
export type {
  Caller,
  CorrelateOptions,
  ElevatedSession,
  GrantEvent,
  SessionCall,
} from './correlate.js';
export {
  CorrelationMode,
  findSessions,
  grantFromAssumeRole,
  grantIdOf,
  isJitGrant,
  MatchedBy,
  SessionCorrelator,
} from './correlate.js';
export { invalidInput, ReportError, ReportErrorCode } from './errors.js';
export type { CollectOptions, CollectResult, Progress } from './pipeline.js';
export { collectSessions, MAX_FINDINGS } from './pipeline.js';
export type { CloudTrailRecord, ParseRecordResult, RecordOrigin } from './record.js';
export { cloudTrailRecordSchema, parseRecord, stripSecrets } from './record.js';
export { maskAccessKeyId, maskAccessKeys } from './render/common.js';
export { escapeHtml, renderHtml } from './render/html.js';
export { renderJson } from './render/json.js';
export { escapeMarkdown, renderMarkdown } from './render/markdown.js';
export type { ReportFormat } from './render/render.js';
export { REPORT_FORMATS, renderReport } from './render/render.js';
export type { SessionSummary } from './render/sessions.js';
export { renderSessionListJson, renderSessionListText, summarizeSession } from './render/sessions.js';
export type { TextRenderOptions } from './render/text.js';
export { renderText } from './render/text.js';
export type {
  ActualWindow,
  BuildReportOptions,
  CallCounts,
  ModifiedResource,
  Report,
  ReportCall,
  ReportQuery,
  RequestedWindow,
  SessionReport,
  UnmatchedSelfReport,
  WindowEndSource,
} from './report.js';
export { buildReport, REPORT_VERSION } from './report.js';
export type {
  ActionCount,
  ReportedCall,
  SelfReport,
  SelfReportComparison,
  SelfReportEntry,
} from './selfReport.js';
export { compareSelfReport, parseSelfReport, parseSelfReportLine, readSelfReport } from './selfReport.js';
export type { LocalSourceOptions } from './sources/local.js';
export { localLogSource } from './sources/local.js';
export type { ReadLogFileOptions } from './sources/logFile.js';
export { DEFAULT_MAX_LOG_FILE_BYTES, readLogFile } from './sources/logFile.js';
export type { LookupAttributeFilter, LookupSourceOptions, Sleep } from './sources/lookup.js';
export {
  LOOKUP_ATTRIBUTE_KEYS,
  LOOKUP_HISTORY_DAYS,
  LOOKUP_MIN_INTERVAL_MS,
  LOOKUP_PAGE_SIZE,
  lookupEventsSource,
  RateLimiter,
} from './sources/lookup.js';
export type { LookupSessionsOptions } from './sources/lookupSessions.js';
export { lookupSessionRecords } from './sources/lookupSessions.js';
export type { S3SourceOptions } from './sources/s3.js';
export { dayPrefixes, s3LogSource, trailLogKeys } from './sources/s3.js';
export { formatDuration, parseTime } from './time.js';
export type { Finding, RecordSource, SourceItem } from './types.js';
export { FindingKind } from './types.js';
