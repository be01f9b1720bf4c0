import { appendFile, chmod, mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { redact } from './credentials.js';
import { AgentError, AgentErrorCode } from './errors.js';

/**
 * One line of the self-report journal: what the agent ran under which grant. It is the agent's
 * own word, which the audit compares with CloudTrail; it never holds credentials.
 */
export const journalEntrySchema = z.strictObject({
  grantId: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, { error: 'must be a grant id (ULID)' }),
  time: z.iso.datetime({ offset: true }),
  account: z.string().regex(/^\d{12}$/, { error: 'must be a 12-digit account id' }),
  command: z.array(z.string()).min(1),
  exitCode: z.number().int(),
  source: z.enum(['exec', 'mcp']),
  /**
   * AWS calls made with the grant's credentials: the one the command meant to make, when it can be
   * read off an `aws …` command line (`inferred`), and jit-agent's own check of whose credentials
   * they are (`by: "jit-agent"`, sts:GetCallerIdentity) when it asked STS for this command.
   */
  awsCalls: z
    .array(
      z.union([
        z.strictObject({ action: z.string(), inferred: z.literal(true) }),
        z.strictObject({ action: z.literal('sts:GetCallerIdentity'), by: z.literal('jit-agent') }),
      ]),
    )
    .optional(),
});
export type JournalEntry = z.infer<typeof journalEntrySchema>;

/** `$JIT_AGENT_JOURNAL`, else `$XDG_STATE_HOME/jit-agent/journal.jsonl` (`~/.local/state/…`). */
export function defaultJournalPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.JIT_AGENT_JOURNAL) return env.JIT_AGENT_JOURNAL;
  const state = env.XDG_STATE_HOME || path.join(homedir(), '.local', 'state');
  return path.join(state, 'jit-agent', 'journal.jsonl');
}

/**
 * Appends one entry. Values in `redactValues` (the grant's credentials) are cut out of the command
 * first: a command line is the one place a caller could have pasted them.
 */
export async function appendJournal(
  file: string,
  entry: JournalEntry,
  redactValues: readonly string[] = [],
): Promise<void> {
  const clean = journalEntrySchema.parse({ ...entry, command: entry.command.map((a) => redact(a, redactValues)) });
  try {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    // One write of one line with O_APPEND: concurrent agents do not interleave within a line.
    await appendFile(file, `${JSON.stringify(clean)}\n`, { mode: 0o600, flag: 'a' });
    await chmod(file, 0o600);
  } catch (cause) {
    throw new AgentError(AgentErrorCode.Journal, `cannot append to the journal ${file}: ${errorText(cause)}`, {
      suggestion: 'set JIT_AGENT_JOURNAL (or --journal) to a writable file',
      cause,
    });
  }
}

export interface JournalRead {
  readonly entries: JournalEntry[];
  /** Lines that are not valid entries (reported, not fatal: the journal is append-only text). */
  readonly invalidLines: number[];
}

/** Reads the journal, optionally only one grant's or one account's entries. A missing file is empty. */
export async function readJournal(
  file: string,
  filter: { grantId?: string; account?: string } = {},
): Promise<JournalRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], invalidLines: [] };
    throw new AgentError(AgentErrorCode.Journal, `cannot read the journal ${file}: ${errorText(cause)}`, { cause });
  }
  const entries: JournalEntry[] = [];
  const invalidLines: number[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch {
      invalidLines.push(index + 1);
      return;
    }
    const parsed = journalEntrySchema.safeParse(data);
    if (!parsed.success) {
      invalidLines.push(index + 1);
      return;
    }
    const entry = parsed.data;
    if (filter.grantId !== undefined && entry.grantId !== filter.grantId) return;
    if (filter.account !== undefined && entry.account !== filter.account) return;
    entries.push(entry);
  });
  return { entries, invalidLines };
}

function errorText(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
}
