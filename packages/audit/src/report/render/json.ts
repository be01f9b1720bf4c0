import type { Report } from '../report.js';

/**
 * The report as JSON, schema `reportVersion` 1 (see report.ts). Access key ids appear unmasked here: they are
 * identifiers an auditor needs to search CloudTrail with, not secrets. No record carries secret fields into the
 * report (they are stripped when records are parsed).
 */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
