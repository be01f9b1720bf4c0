import { type CorrelateOptions, type ElevatedSession, SessionCorrelator } from './correlate.js';
import { type Finding, FindingKind, type RecordSource } from './types.js';

/** Findings kept in a report; beyond this they are counted, not listed (a corrupt bucket can hold millions). */
export const MAX_FINDINGS = 1000;

export interface Progress {
  readonly records: number;
  readonly files: number;
  readonly findings: number;
}

export interface CollectOptions extends CorrelateOptions {
  /** Called after each log file or LookupEvents page. */
  readonly onProgress?: (progress: Progress) => void;
  /** @default MAX_FINDINGS */
  readonly maxFindings?: number;
}

export interface CollectResult {
  readonly sessions: ElevatedSession[];
  readonly findings: Finding[];
  readonly records: number;
  readonly files: number;
}

/**
 * Streams a source into the correlator: records are dropped as soon as they are correlated, so memory grows
 * with the calls of the sessions found, not with the size of the input.
 */
export async function collectSessions(source: RecordSource, options: CollectOptions = {}): Promise<CollectResult> {
  const correlator = new SessionCorrelator(options);
  const maxFindings = options.maxFindings ?? MAX_FINDINGS;
  const findings: Finding[] = [];
  let findingCount = 0;
  let files = 0;
  for await (const item of source) {
    if (item.type === 'records') {
      for (const record of item.records) correlator.add(record, item.newestFirst === true);
      files += 1;
      options.onProgress?.({ records: correlator.records, files, findings: findingCount });
    } else {
      findingCount += 1;
      if (findings.length < maxFindings) findings.push(item.finding);
    }
  }
  if (findingCount > findings.length) {
    findings.push({
      kind: FindingKind.InvalidRecord,
      source: 'report',
      reason: `${findingCount - findings.length} more findings not listed`,
    });
  }
  return { sessions: correlator.sessions(), findings, records: correlator.records, files };
}
