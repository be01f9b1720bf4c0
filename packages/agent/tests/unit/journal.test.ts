import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendJournal, defaultJournalPath, type JournalEntry, readJournal } from '../../src/journal.js';
import { ACCOUNT, GRANT_ID, OTHER_ACCOUNT } from '../support/grants.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'jit-agent-journal-'));
  file = path.join(dir, 'journal.jsonl');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const entry = (overrides: Partial<JournalEntry> = {}): JournalEntry => ({
  grantId: GRANT_ID,
  time: '2026-03-25T13:01:00.000Z',
  account: ACCOUNT,
  command: ['aws', 'ecs', 'list-tasks'],
  exitCode: 0,
  source: 'exec',
  ...overrides,
});

describe('journal', () => {
  it('writes one JSON line per command in the documented format', async () => {
    await appendJournal(file, entry());
    await appendJournal(file, entry({ command: ['aws', 's3', 'ls'], exitCode: 255, source: 'mcp' }));
    const { entries } = await readJournal(file);
    expect(entries).toEqual([entry(), entry({ command: ['aws', 's3', 'ls'], exitCode: 255, source: 'mcp' })]);
  });

  it('filters by grant and by account', async () => {
    const other = '01JQ8000000000000000000000';
    await appendJournal(file, entry());
    await appendJournal(file, entry({ grantId: other, account: OTHER_ACCOUNT }));
    expect((await readJournal(file, { grantId: other })).entries).toHaveLength(1);
    expect((await readJournal(file, { account: ACCOUNT })).entries[0]?.grantId).toBe(GRANT_ID);
  });

  it('skips and reports lines that are not valid entries', async () => {
    await appendJournal(file, entry());
    await appendFile(file, 'not json\n{"grantId":"x"}\n');
    await appendJournal(file, entry({ exitCode: 1 }));
    const read = await readJournal(file);
    expect(read.entries.map((e) => e.exitCode)).toEqual([0, 1]);
    expect(read.invalidLines).toEqual([2, 3]);
  });

  it('reads a missing journal as empty', async () => {
    expect(await readJournal(path.join(dir, 'none.jsonl'))).toEqual({ entries: [], invalidLines: [] });
  });

  it('cuts the given secret values out of a command line', async () => {
    await appendJournal(file, entry({ command: ['curl', '-H', 'X-Token: sekret-value-123'] }), ['sekret-value-123']);
    expect((await readJournal(file)).entries[0]?.command).toEqual(['curl', '-H', 'X-Token: [redacted]']);
  });

  it('refuses an entry that breaks the format', async () => {
    await expect(appendJournal(file, entry({ grantId: 'not-a-ulid' }))).rejects.toThrow();
  });

  it('lives under XDG_STATE_HOME unless JIT_AGENT_JOURNAL says otherwise', () => {
    expect(defaultJournalPath({ XDG_STATE_HOME: '/state' })).toBe('/state/jit-agent/journal.jsonl');
    expect(defaultJournalPath({ JIT_AGENT_JOURNAL: '/j.jsonl', XDG_STATE_HOME: '/state' })).toBe('/j.jsonl');
  });
});
