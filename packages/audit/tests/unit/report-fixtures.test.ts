// Real CloudTrail records, read where they live (../shared/fixtures beside the repository, in CI too):
// - stratus-red-team: DataDog/stratus-red-team docs/detonation-logs, Apache-2.0 (LICENSE in that folder)
// - invictus-ir: invictus-ir/aws_dataset CloudTrail/, MIT (LICENSE in that folder)
// The expected figures are computed here with plain filters over the raw JSON, not taken from the implementation.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collectSessions, localLogSource, runReportCommand } from '../../src/report/index.js';

const FIXTURES = fileURLToPath(new URL('../../../../../shared/fixtures/cloudtrail/', import.meta.url));
const STRATUS = join(FIXTURES, 'stratus-red-team');
const INVICTUS = join(FIXTURES, 'invictus-ir');

interface Raw {
  eventID: string;
  eventName: string;
  eventSource: string;
  readOnly?: boolean;
  errorCode?: string;
  userIdentity: {
    type?: string;
    accessKeyId?: string;
    arn?: string;
    sessionContext?: { attributes?: { creationDate?: string } };
  };
  responseElements?: { credentials?: { accessKeyId?: string } } | null;
}

function load(dir: string): Raw[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => {
      const json = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Raw[] | { Records: Raw[] };
      return Array.isArray(json) ? json : json.Records;
    });
}

// The denied codes that occur in these corpora, written out independently of the implementation's list.
const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'Client.UnauthorizedOperation',
  'UnauthorizedOperation',
]);
const keyOf = (r: Raw) =>
  r.userIdentity.accessKeyId ||
  `${r.userIdentity.arn}#${r.userIdentity.sessionContext?.attributes?.creationDate ?? ''}`;

function expected(dir: string) {
  const all = load(dir);
  const assumed = all.filter((r) => r.userIdentity.type === 'AssumedRole');
  const returnedKeys = new Set(
    all
      .filter((r) => r.eventName === 'AssumeRole' && !r.errorCode)
      .map((r) => r.responseElements?.credentials?.accessKeyId),
  );
  const sessionKeys = new Set(assumed.map(keyOf));
  return {
    records: all.length,
    sessions: sessionKeys.size,
    sessionsWithAssumeRole: [...sessionKeys].filter((k) => returnedKeys.has(k)).length,
    calls: assumed.length,
    denied: assumed.filter((r) => r.errorCode !== undefined && DENIED.has(r.errorCode)).length,
    writes: assumed.filter((r) => r.readOnly === false && !r.errorCode).length,
    callsOf: (key: string) => assumed.filter((r) => r.userIdentity.accessKeyId === key),
  };
}

async function run(dir: string, mode: 'jit' | 'all-assumed-roles') {
  return collectSessions(localLogSource({ path: dir }), { mode });
}

describe.each([
  ['Stratus Red Team', STRATUS, 35],
  ['Invictus IR', INVICTUS, 55],
])('correlation over the %s corpus', (_name, dir, files) => {
  it('reads every file and every record without a finding', async () => {
    const want = expected(dir);

    const got = await run(dir, 'all-assumed-roles');

    expect(got.findings).toEqual([]);
    expect(got.files).toBe(files);
    expect(got.records).toBe(want.records);
  });

  it('finds every AssumedRole session, with the calls, denied calls and writes counted independently', async () => {
    const want = expected(dir);

    const got = await run(dir, 'all-assumed-roles');

    const calls = got.sessions.flatMap((s) => s.calls);
    expect(got.sessions).toHaveLength(want.sessions);
    expect(got.sessions.filter((s) => s.grants.length > 0)).toHaveLength(want.sessionsWithAssumeRole);
    expect(calls).toHaveLength(want.calls);
    expect(calls.filter((c) => c.outcome === 'denied')).toHaveLength(want.denied);
    expect(calls.filter((c) => c.write)).toHaveLength(want.writes);
  });

  it('finds no jit session: neither corpus has a jit- source identity, session name or grant', async () => {
    const raw = JSON.stringify(load(dir));

    const got = await run(dir, 'jit');

    expect(raw.includes('"jit-')).toBe(false);
    expect(got.sessions).toEqual([]);
  });
});

describe('named sessions', () => {
  it.each([
    [STRATUS, 'ASIANQQHHS551LWULIWD'], // ec2-get-password-data: GetPasswordData brute force, all denied
    [STRATUS, 'ASIA6FTSFH98XNF7DFZB'], // bedrock-invoke-model: writes, no AssumeRole event in the corpus
    [INVICTUS, 'ASIATFQR7NSCWLLE7IWW'], // stratus ec2-get-password-data replayed in the Invictus account
    [INVICTUS, 'ASIATFQR7NSCSHSEVYP5'], // EC2 instance credentials (ec2.amazonaws.com called AssumeRole)
  ])('%s: session %s has exactly the calls, denied calls and writes its access key made', async (dir, key) => {
    const want = expected(dir).callsOf(key);

    const got = await run(dir, 'all-assumed-roles');
    const session = got.sessions.find((s) => s.id === key);

    expect(want.length).toBeGreaterThan(0);
    expect(session?.calls.map((c) => c.eventId).sort()).toEqual(want.map((r) => r.eventID).sort());
    expect(session?.calls.filter((c) => c.outcome === 'denied')).toHaveLength(
      want.filter((r) => r.errorCode !== undefined && DENIED.has(r.errorCode)).length,
    );
    expect(session?.calls.filter((c) => c.write)).toHaveLength(
      want.filter((r) => r.readOnly === false && !r.errorCode).length,
    );
  });

  it('reads the role, session name and caller of the AssumeRole event that issued a key', async () => {
    const all = load(INVICTUS);
    const grant = all.find(
      (r) => r.eventName === 'AssumeRole' && r.responseElements?.credentials?.accessKeyId === 'ASIATFQR7NSCWLLE7IWW',
    ) as Raw & {
      requestParameters: { roleArn: string; roleSessionName: string };
      userIdentity: { arn: string };
    };

    const got = await run(INVICTUS, 'all-assumed-roles');
    const session = got.sessions.find((s) => s.id === 'ASIATFQR7NSCWLLE7IWW');

    expect(session?.roleArn).toBe(grant.requestParameters.roleArn);
    expect(session?.roleSessionName).toBe(grant.requestParameters.roleSessionName);
    expect(session?.grants[0]?.assumedBy.arn).toBe(grant.userIdentity.arn);
  });
});

describe('jit-audit report over a real corpus', () => {
  it('never prints the session tokens that the Invictus AssumeRole events carry, in any format', async () => {
    const raw = readdirSync(INVICTUS)
      .map((f) => readFileSync(join(INVICTUS, f), 'utf8'))
      .join('');
    const tokens = [...raw.matchAll(/"sessionToken":"([^"]+)"/g)].map((m) => m[1] as string);
    expect(tokens.length).toBeGreaterThan(0);

    for (const format of ['text', 'md', 'html', 'json']) {
      let out = '';
      const code = await runReportCommand(['--local', INVICTUS, '--all-assumed-roles', '--format', format], {
        stdout: { write: (s: string) => (out += s) },
        stderr: { write: () => true },
      });
      expect(code).toBe(0);
      for (const token of tokens) expect(out).not.toContain(token.slice(0, 40));
      expect(out).not.toMatch(/sessionToken|secretAccessKey/i);
    }
  });
});
