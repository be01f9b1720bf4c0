// The audit library: the named exports of its two halves. Each half's index lists its exports
// explicitly; `Finding` exists in both, so each is re-exported under a qualified name too.

export type { Finding as IntegrityFinding } from './integrity/index.js';
export * from './integrity/index.js';
export type { Finding, Finding as ReportFinding } from './report/index.js';
export * from './report/index.js';
