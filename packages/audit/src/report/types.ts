import type { CloudTrailRecord } from './record.js';

export const FindingKind = {
  /** The file could not be read or decompressed (truncated gzip, not gzip, too large, I/O error). */
  UnreadableFile: 'unreadable-file',
  /** The file was read but is not a CloudTrail log file (invalid JSON, no `Records` array). */
  InvalidLogFile: 'invalid-log-file',
  /** One record inside a log file or a LookupEvents page is missing fields or has wrong types. */
  InvalidRecord: 'invalid-record',
  /** One line of the agent's self-report journal could not be used. */
  InvalidSelfReportLine: 'invalid-self-report-line',
  /** Self-report lines that could not be attributed to a session. */
  UnattributedSelfReport: 'unattributed-self-report',
} as const;
export type FindingKind = (typeof FindingKind)[keyof typeof FindingKind];

/**
 * Something in the input that the report could not use. The run continues; the report lists findings, and a
 * report with findings is never "clean" (exit code 3), because evidence may be missing.
 */
export interface Finding {
  readonly kind: FindingKind;
  /** File path, `s3://bucket/key`, `lookup:<Attribute>=<value>` or the self-report file. */
  readonly source: string;
  /** Record index inside the file (0-based) or line number of the self-report (1-based). */
  readonly index?: number;
  readonly reason: string;
}

/**
 * What a source yields: the records of one log file or LookupEvents page at a time (a batch keeps the
 * per-record cost of async iteration out of the hot path), and findings about input it could not use.
 */
export type SourceItem =
  | {
      readonly type: 'records';
      readonly records: readonly CloudTrailRecord[];
      readonly source: string;
      /**
       * The records arrive newest first (LookupEvents). CloudTrail times have whole seconds, so calls made in
       * the same second are put in order by their arrival, reversed for such a source.
       */
      readonly newestFirst?: boolean;
    }
  | { readonly type: 'finding'; readonly finding: Finding };

/** A source of CloudTrail records: read lazily, one file or page at a time. */
export type RecordSource = AsyncIterable<SourceItem>;
