import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { actionKey } from './classify.js';
import type { SessionCall } from './correlate.js';
import { invalidInput } from './errors.js';
import { type Finding, FindingKind } from './types.js';
import { defined } from './util.js';

/** `service:Action` as IAM writes it: `ec2:DescribeInstances`, `s3:GetObject`. */
const ACTION = /^[A-Za-z0-9][A-Za-z0-9-]*:[A-Za-z0-9]+$/;
const MAX_LINE = 1024 * 1024;

export interface ReportedCall {
  readonly action: string;
  readonly time?: string;
}

/** One usable line of the agent's journal (`jit-agent report`). */
export interface SelfReportEntry {
  /** 1-based line number in the journal. */
  readonly line: number;
  readonly grantId?: string;
  readonly time?: string;
  readonly account?: string;
  readonly command?: readonly string[];
  readonly exitCode?: number;
  readonly calls: readonly ReportedCall[];
  /** False when the line named a command but not the AWS calls it made. */
  readonly hasCallDetail: boolean;
}

export interface SelfReport {
  readonly source: string;
  readonly entries: readonly SelfReportEntry[];
  readonly findings: readonly Finding[];
}

const callSchema = z.looseObject({ action: z.string(), time: z.string().optional() });

// Two shapes: a command line with the calls it made, and the simpler one-call-per-line form.
const commandLineSchema = z.looseObject({
  grantId: z.string().optional(),
  time: z.string().optional(),
  account: z.union([z.string(), z.number().transform(String)]).optional(),
  command: z.array(z.string()).optional(),
  exitCode: z.number().int().nullable().optional(),
  awsCalls: z.array(callSchema).optional(),
});
const actionLineSchema = z.looseObject({
  action: z.string(),
  time: z.string().optional(),
  grantId: z.string().optional(),
  account: z.union([z.string(), z.number().transform(String)]).optional(),
});

function finding(source: string, line: number, reason: string): Finding {
  return { kind: FindingKind.InvalidSelfReportLine, source, index: line, reason };
}

function shown(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 79)}…` : value);
}

/**
 * One journal line → an entry and/or findings. Untrusted input: never throws. A line that is not JSON, not an
 * object, or has neither `action`, `awsCalls` nor `command` is a finding; an action not in `service:Action`
 * form is a finding and is left out of the comparison.
 */
export function parseSelfReportLine(
  text: string,
  line: number,
  source = 'self-report',
): { entry?: SelfReportEntry; findings: Finding[] } {
  const findings: Finding[] = [];
  const trimmed = text.trim();
  if (trimmed === '') return { findings };
  if (trimmed.length > MAX_LINE)
    return { findings: [finding(source, line, `line longer than ${MAX_LINE} characters`)] };
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch (error) {
    return { findings: [finding(source, line, `not JSON: ${error instanceof Error ? error.message : String(error)}`)] };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { findings: [finding(source, line, 'expected a JSON object per line')] };
  }

  const rawCalls: { action: string; time?: string | undefined }[] = [];
  let base: { grantId?: string | undefined; time?: string | undefined; account?: string | undefined } = {};
  let command: string[] | undefined;
  let exitCode: number | undefined;
  let hasCallDetail = false;

  if ('action' in json) {
    const parsed = actionLineSchema.safeParse(json);
    if (!parsed.success) return { findings: [finding(source, line, issues(parsed.error))] };
    base = parsed.data;
    rawCalls.push({ action: parsed.data.action, time: parsed.data.time });
    hasCallDetail = true;
  } else if ('awsCalls' in json || 'command' in json) {
    const parsed = commandLineSchema.safeParse(json);
    if (!parsed.success) return { findings: [finding(source, line, issues(parsed.error))] };
    base = parsed.data;
    command = parsed.data.command;
    exitCode = parsed.data.exitCode ?? undefined;
    if (parsed.data.awsCalls !== undefined) {
      hasCallDetail = true;
      rawCalls.push(...parsed.data.awsCalls);
    }
  } else {
    return { findings: [finding(source, line, 'expected "action", "awsCalls" or "command" in the line')] };
  }

  const calls: ReportedCall[] = [];
  for (const call of rawCalls) {
    if (ACTION.test(call.action)) calls.push(defined({ action: call.action, time: call.time }));
    else
      findings.push(
        finding(
          source,
          line,
          `action ${shown(call.action)} is not in service:Action form (e.g. ec2:DescribeInstances)`,
        ),
      );
  }
  const entry = defined({
    line,
    grantId: base.grantId,
    time: base.time,
    account: base.account,
    command,
    exitCode,
    calls,
    hasCallDetail,
  });
  return { entry, findings };
}

function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length === 0 ? '(line)' : issue.path.join('.')}: ${issue.message}`)
    .join('; ');
}

/** Parses a whole journal (JSON Lines). Never throws. */
export function parseSelfReport(text: string, source = 'self-report'): SelfReport {
  const entries: SelfReportEntry[] = [];
  const findings: Finding[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i += 1) {
    const result = parseSelfReportLine(lines[i] ?? '', i + 1, source);
    if (result.entry !== undefined) entries.push(result.entry);
    findings.push(...result.findings);
  }
  return { source, entries, findings };
}

/** Reads a journal file line by line. A missing or unreadable file is bad input (exit code 2). */
export async function readSelfReport(path: string): Promise<SelfReport> {
  const entries: SelfReportEntry[] = [];
  const findings: Finding[] = [];
  try {
    const lines = createInterface({
      input: createReadStream(path, { encoding: 'utf8' }),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    let number = 0;
    for await (const line of lines) {
      number += 1;
      const result = parseSelfReportLine(line, number, path);
      if (result.entry !== undefined) entries.push(result.entry);
      findings.push(...result.findings);
    }
  } catch (error) {
    throw invalidInput(
      '--self-report',
      path,
      `expected a readable JSON Lines file (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  return { source: path, entries, findings };
}

export interface ActionCount {
  readonly action: string;
  readonly cloudTrail: number;
  readonly reported: number;
}

export interface SelfReportComparison {
  /** Journal lines attributed to the session. */
  readonly entries: number;
  readonly reportedCalls: number;
  readonly cloudTrailCalls: number;
  /** Calls both sides agree on (per action, the smaller of the two counts). */
  readonly matchedCalls: number;
  /** Actions CloudTrail shows more often than the agent reported (including never). */
  readonly unreported: readonly ActionCount[];
  /** Actions the agent reported more often than CloudTrail shows (including never). */
  readonly unconfirmed: readonly ActionCount[];
  /** Lines that named a command but not its AWS calls. */
  readonly commandsWithoutCallDetail: number;
  readonly discrepancy: boolean;
}

/**
 * Compares what CloudTrail recorded with what the agent says it did, per action and count, both ways.
 * Actions compare case-insensitively, as IAM does. Every CloudTrail call counts, denied ones included:
 * the agent made them. SDK retries appear in CloudTrail once per attempt.
 */
export function compareSelfReport(
  calls: readonly SessionCall[],
  entries: readonly SelfReportEntry[],
): SelfReportComparison {
  const counts = new Map<string, { action: string; cloudTrail: number; reported: number }>();
  const bump = (action: string, side: 'cloudTrail' | 'reported') => {
    const key = actionKey(action);
    let count = counts.get(key);
    if (count === undefined) {
      count = { action, cloudTrail: 0, reported: 0 };
      counts.set(key, count);
    }
    // CloudTrail's spelling wins for display.
    if (side === 'cloudTrail') count.action = action;
    count[side] += 1;
  };
  for (const call of calls) bump(call.action, 'cloudTrail');
  let reportedCalls = 0;
  for (const entry of entries) {
    for (const call of entry.calls) {
      bump(call.action, 'reported');
      reportedCalls += 1;
    }
  }
  const unreported: ActionCount[] = [];
  const unconfirmed: ActionCount[] = [];
  let matchedCalls = 0;
  for (const count of [...counts.values()].sort((a, b) => (a.action < b.action ? -1 : a.action > b.action ? 1 : 0))) {
    matchedCalls += Math.min(count.cloudTrail, count.reported);
    if (count.cloudTrail > count.reported) unreported.push({ ...count });
    if (count.reported > count.cloudTrail) unconfirmed.push({ ...count });
  }
  return {
    entries: entries.length,
    reportedCalls,
    cloudTrailCalls: calls.length,
    matchedCalls,
    unreported,
    unconfirmed,
    commandsWithoutCallDetail: entries.filter((e) => !e.hasCallDetail).length,
    discrepancy: unreported.length > 0 || unconfirmed.length > 0,
  };
}
