import type { ChainGap, DigestResult, LogResult, VerifyResult } from './verify.js';

/**
 * Text renderings of a verification result. The per-file lines, the gap lines and the summary use the
 * AWS CLI's exact wording (`aws cloudtrail validate-logs --verbose`), so that auditors who know that output
 * read ours at a glance and the parity tests can compare line for line.
 */

export function digestLine(digest: Pick<DigestResult, 'backfill' | 'bucket' | 'key' | 'status'>): string {
  return `${digest.backfill ? '(backfill) ' : ''}Digest file\ts3://${digest.bucket}/${digest.key}\t${digest.status}`;
}

export function logLine(log: Pick<LogResult, 'bucket' | 'key' | 'status'>): string {
  return `Log file\ts3://${log.bucket}/${log.key}\t${log.status}`;
}

export function gapLine(gap: ChainGap): string {
  return `${gap.backfill ? '(backfill) ' : ''}No log files were delivered by CloudTrail between ${gap.from} and ${gap.to}`;
}

/** Every file line and gap line in the order the CLI prints them (a digest, its log files, then its gap). */
export function resultLines(
  result: VerifyResult,
): { readonly text: string; readonly valid: boolean; readonly gap: boolean }[] {
  const logsByDigest = new Map<string, LogResult[]>();
  for (const log of result.logs) {
    const key = `${log.backfill ? 'b' : 's'}\u0000${log.digestKey}`;
    const list = logsByDigest.get(key) ?? [];
    list.push(log);
    logsByDigest.set(key, list);
  }
  const gapsByDigest = new Map<string, ChainGap>();
  for (const gap of result.gaps) gapsByDigest.set(`${gap.backfill ? 'b' : 's'}\u0000${gap.newerDigestKey}`, gap);
  const lines: { text: string; valid: boolean; gap: boolean }[] = [];
  for (const digest of result.digests) {
    lines.push({ text: digestLine(digest), valid: digest.verdict === 'valid', gap: false });
    if (digest.verdict !== 'valid') continue;
    const id = `${digest.backfill ? 'b' : 's'}\u0000${digest.key}`;
    for (const log of logsByDigest.get(id) ?? [])
      lines.push({ text: logLine(log), valid: log.verdict === 'valid', gap: false });
    logsByDigest.delete(id);
    const gap = gapsByDigest.get(id);
    if (gap !== undefined) lines.push({ text: gapLine(gap), valid: true, gap: true });
  }
  return lines;
}

function ratio(valid: number, invalid: number, name: string): string {
  const total = valid + invalid;
  if (total === 0) return '';
  return `\n${valid}/${total} ${name} files valid${invalid > 0 ? `, ${invalid}/${total} ${name} files INVALID` : ''}`;
}

/** The CLI's summary block, byte for byte. */
export function summaryText(result: VerifyResult): string {
  let text = `Results requested for ${result.requested.start} to ${result.requested.end}\n`;
  const { digests, backfillDigests, logs } = result.counts;
  if (digests.valid + digests.invalid + backfillDigests.valid + backfillDigests.invalid === 0) {
    return `${text}No digests found\n`;
  }
  text +=
    result.found === undefined
      ? 'No valid digests found in range\n'
      : `Results found for ${result.found.start} to ${result.found.end}:\n`;
  text += ratio(digests.valid, digests.invalid, 'digest');
  text += ratio(backfillDigests.valid, backfillDigests.invalid, 'backfill digest');
  text += ratio(logs.valid, logs.invalid, 'log');
  return `${text}\n`;
}

export interface RenderOptions {
  readonly verbose: boolean;
  readonly color: boolean;
}

const RED = '\u001b[31m';
const YELLOW = '\u001b[33m';
const GREEN = '\u001b[32m';
const RESET = '\u001b[0m';

/** The human report of `jit-audit verify`. */
export function renderVerifyText(result: VerifyResult, options: RenderOptions): string {
  const paint = (code: string, text: string): string => (options.color ? `${code}${text}${RESET}` : text);
  const out: string[] = [];
  const trail = result.trail.arn ?? `${result.trail.name} (${result.trail.accountId}, ${result.trail.homeRegion})`;
  out.push(
    `Validating log files for trail ${trail} between ${result.requested.start} and ${result.requested.end}`,
    `Source: ${result.source}; digests of account ${result.trail.accountId} in ${result.trail.region}${
      result.trail.organizationId === undefined ? '' : ` (organization ${result.trail.organizationId})`
    } in s3://${result.trail.bucket}/${result.trail.prefix === undefined ? '' : `${result.trail.prefix}/`}`,
    '',
  );
  let printed = 0;
  for (const line of resultLines(result)) {
    if (!options.verbose && line.valid && !line.gap) continue;
    const text = line.valid ? line.text : line.text.replace('\tINVALID', `\t${paint(RED, 'INVALID')}`);
    out.push(text);
    printed += 1;
  }
  if (printed > 0) out.push('');
  out.push(summaryText(result).replace(/\n$/, ''));
  out.push('');
  if (result.strictChain) {
    const errors = result.findings.filter((finding) => finding.severity === 'error');
    const warnings = result.findings.filter((finding) => finding.severity === 'warning');
    if (result.findings.length === 0) {
      out.push(`Strict chain checks (beyond aws cloudtrail validate-logs): ${paint(GREEN, 'no problems')}`);
    } else {
      out.push(
        `Strict chain checks (beyond aws cloudtrail validate-logs): ${errors.length} error(s), ${warnings.length} warning(s)`,
      );
      for (const finding of result.findings) {
        const label = finding.severity === 'error' ? paint(RED, 'ERROR') : paint(YELLOW, 'WARNING');
        out.push(`  ${label} ${finding.code}: ${finding.message}`);
      }
    }
  } else {
    for (const finding of result.findings) out.push(`ERROR ${finding.code}: ${finding.message}`);
  }
  if (result.publicKeys.length > 0) {
    out.push(`Public key fingerprints used: ${result.publicKeys.map((key) => key.fingerprint).join(', ')}`);
    if (result.source.startsWith('local export')) {
      out.push(
        'These keys come from the export sidecar; confirm them with `aws cloudtrail list-public-keys` before trusting the result.',
      );
    }
  }
  out.push(result.ok ? paint(GREEN, 'Result: all files valid') : paint(RED, 'Result: INVALID (see above)'));
  return `${out.join('\n')}\n`;
}
