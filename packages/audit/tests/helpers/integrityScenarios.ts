import { gzipSync } from 'node:zlib';
import {
  cloudTrailDigestKey,
  type DigestFileObject,
  type DigestVerdict,
  type FindingCode,
  type LogFileObject,
  type LogVerdict,
} from '../../src/integrity/index.js';
import { BASE_TIME, hoursAfterBase, Scenario, type ScenarioTrail } from './integrityScenario.js';

/**
 * The tampering scenarios of issue 5, each built on disk with the product's writer, with the verdicts
 * that follow from what was done to the bucket (not from running a verifier). The unit tests check
 * `verifyTrail` against these expectations; the parity test checks the AWS CLI and `verifyTrail` against
 * each other on the same folders.
 */

export interface ExpectedFile<V> {
  readonly key: string;
  readonly verdict: V;
  readonly backfill?: boolean;
}

export interface Expected {
  readonly digests: ExpectedFile<DigestVerdict>[];
  readonly logs: ExpectedFile<LogVerdict>[];
  /** Codes of the strict findings, sorted. */
  readonly findings: FindingCode[];
  readonly gaps: number;
  readonly ok: boolean;
}

export interface BuiltScenario {
  readonly scenario: Scenario;
  readonly start: string;
  readonly end: string;
  readonly expected: Expected;
  /** Flags the CLI needs besides the trail ARN and the range (e.g. --account-id for an organization trail). */
  readonly cliOptions?: { readonly bucket?: string; readonly accountId?: string };
}

export interface ScenarioDefinition {
  readonly name: string;
  /** False when the AWS CLI cannot take part (it stops with an error instead of giving verdicts). */
  readonly cliParity: boolean;
  build(root: string): Promise<BuiltScenario>;
}

const DEFAULT_START = '2024-03-01T00:00:00Z';
const DEFAULT_END = '2024-03-01T06:00:00Z';

/** Everything a chain wrote, all valid. */
function allValid(chain: { digests: DigestFileObject[]; logs: LogFileObject[][] }, backfill = false): Expected {
  return {
    digests: chain.digests.map((digest) => ({ key: digest.key, verdict: 'valid' as const, backfill })),
    logs: chain.logs.flat().map((log) => ({ key: log.key, verdict: 'valid' as const })),
    findings: [],
    gaps: 0,
    ok: true,
  };
}

function setDigest(expected: Expected, key: string, verdict: DigestVerdict): void {
  const entry = expected.digests.find((digest) => digest.key === key);
  if (entry === undefined) expected.digests.push({ key, verdict });
  else (entry as { verdict: DigestVerdict }).verdict = verdict;
}

function setLog(expected: Expected, key: string, verdict: LogVerdict): void {
  const entry = expected.logs.find((log) => log.key === key);
  if (entry === undefined) throw new Error(`no expected log ${key}`);
  (entry as { verdict: LogVerdict }).verdict = verdict;
}

/** A digest that was not validated has its log files left unchecked (the CLI never reads them). */
function dropLogsOf(expected: Expected, logs: readonly LogFileObject[]): void {
  const keys = new Set(logs.map((log) => log.key));
  expected.logs.splice(0, expected.logs.length, ...expected.logs.filter((log) => !keys.has(log.key)));
}

function withFindings(expected: Expected, findings: FindingCode[], ok = false): Expected {
  return { ...expected, findings: [...findings].sort(), ok };
}

function tamperedLogBody(log: LogFileObject): Buffer {
  return gzipSync(Buffer.from(log.text.replace('"GetObject"', '"DeleteObject"'), 'utf8'));
}

async function standardChain(root: string, trail?: ScenarioTrail, count = 6) {
  const scenario = new Scenario(root, trail);
  const chain = await scenario.addChain({ from: BASE_TIME, count });
  return { scenario, chain, expected: allValid(chain) };
}

function at<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`no item ${index}`);
  return item;
}

export const SCENARIOS: readonly ScenarioDefinition[] = [
  {
    name: 'valid chain',
    cliParity: true,
    async build(root) {
      const { scenario, expected } = await standardChain(root);
      await scenario.save();
      return { scenario, start: DEFAULT_START, end: DEFAULT_END, expected };
    },
  },
  {
    name: 'a log file altered',
    cliParity: true,
    async build(root) {
      const { scenario, chain, expected } = await standardChain(root);
      const log = at(at(chain.logs, 2), 1);
      await scenario.put(log.key, tamperedLogBody(log));
      setLog(expected, log.key, 'invalid-hash');
      await scenario.save();
      return { scenario, start: DEFAULT_START, end: DEFAULT_END, expected: withFindings(expected, []) };
    },
  },
  {
    name: 'a log file deleted',
    cliParity: true,
    async build(root) {
      const { scenario, chain, expected } = await standardChain(root);
      const log = at(at(chain.logs, 3), 0);
      await scenario.remove(log.key);
      setLog(expected, log.key, 'missing');
      await scenario.save();
      return { scenario, start: DEFAULT_START, end: DEFAULT_END, expected: withFindings(expected, []) };
    },
  },
  {
    name: 'a digest deleted',
    cliParity: true,
    async build(root) {
      const { scenario, chain, expected } = await standardChain(root);
      const digest = at(chain.digests, 3);
      await scenario.remove(digest.key);
      setDigest(expected, digest.key, 'missing');
      dropLogsOf(expected, at(chain.logs, 3));
      await scenario.save();
      return { scenario, start: DEFAULT_START, end: DEFAULT_END, expected: withFindings(expected, ['chain-break']) };
    },
  },
  {
    name: 'two digests in a row deleted',
    cliParity: true,
    async build(root) {
      const { scenario, chain, expected } = await standardChain(root);
      for (const index of [2, 3]) {
        await scenario.remove(at(chain.digests, index).key);
        dropLogsOf(expected, at(chain.logs, index));
      }
      // The walk learns of digest 3 from digest 4's pointer; nothing names digest 2, so the CLI reports
      // one missing digest. The strict chain-break finding covers the two-hour hole.
      setDigest(expected, at(chain.digests, 3).key, 'missing');
      expected.digests.splice(
        expected.digests.findIndex((entry) => entry.key === at(chain.digests, 2).key),
        1,
      );
      await scenario.save();
      return { scenario, start: DEFAULT_START, end: DEFAULT_END, expected: withFindings(expected, ['chain-break']) };
    },
  },
  {
    name: 'a digest signature altered',
    cliParity: true,
    async build(root) {
      const { scenario, chain, expected } = await standardChain(root);
      const digest = at(chain.digests, 3);
      const flipped = `${digest.signature.slice(0, -1)}${digest.signature.endsWith('0') ? '1' : '0'}`;
      scenario.metadata.set(digest.key, { ...digest.metadata, signature: flipped });
      setDigest(expected, digest.key, 'invalid-signature');
      dropLogsOf(expected, at(chain.logs, 3));
      await scenario.save();
      return { scenario, start: DEFAULT_START, end: DEFAULT_END, expected: withFindings(expected, ['chain-break']) };
    },
  },
  {
    name: 'a digest moved to an earlier key',
    cliParity: true,
    async build(root) {
      const { scenario, chain, expected } = await standardChain(root);
      const digest = at(chain.digests, 3);
      const movedKey = cloudTrailDigestKey({ ...scenario.location, endTime: hoursAfterBase(3.5) });
      await scenario.move(digest.key, movedKey);
      setDigest(expected, digest.key, 'missing');
      setDigest(expected, movedKey, 'moved');
      dropLogsOf(expected, at(chain.logs, 3));
      await scenario.save();
      return { scenario, start: DEFAULT_START, end: DEFAULT_END, expected: withFindings(expected, ['chain-break']) };
    },
  },
  {
    name: 'a digest moved to a later key',
    cliParity: true,
    async build(root) {
      const { scenario, chain, expected } = await standardChain(root);
      const digest = at(chain.digests, 3);
      const movedKey = cloudTrailDigestKey({ ...scenario.location, endTime: hoursAfterBase(4.5) });
      await scenario.move(digest.key, movedKey);
      // The CLI skips the copy (it sorts after the missing original); only the strict check sees it.
      setDigest(expected, digest.key, 'missing');
      dropLogsOf(expected, at(chain.logs, 3));
      await scenario.save();
      return {
        scenario,
        start: DEFAULT_START,
        end: DEFAULT_END,
        expected: withFindings(expected, ['chain-break', 'unreferenced-digest']),
      };
    },
  },
  {
    name: 'a digest signed with an unknown key',
    cliParity: true,
    async build(root) {
      const scenario = new Scenario(root);
      const signingKeys = [undefined, undefined, undefined, scenario.keys.other];
      const chain = await scenario.addChain({ from: BASE_TIME, count: 6, signingKeys });
      const expected = allValid(chain);
      setDigest(expected, at(chain.digests, 3).key, 'unknown-key');
      dropLogsOf(expected, at(chain.logs, 3));
      await scenario.save();
      return { scenario, start: DEFAULT_START, end: DEFAULT_END, expected: withFindings(expected, ['chain-break']) };
    },
  },
  {
    name: 'logging stopped and restarted (a new chain)',
    cliParity: true,
    async build(root) {
      const scenario = new Scenario(root);
      const first = await scenario.addChain({ from: BASE_TIME, count: 3 });
      const second = await scenario.addChain({ from: hoursAfterBase(5), count: 2 });
      const expected = allValid({
        digests: [...first.digests, ...second.digests],
        logs: [...first.logs, ...second.logs],
      });
      await scenario.save();
      return { scenario, start: DEFAULT_START, end: '2024-03-01T07:00:00Z', expected: { ...expected, gaps: 1 } };
    },
  },
  {
    name: 'backfill digests',
    cliParity: true,
    async build(root) {
      const scenario = new Scenario(root);
      const chain = await scenario.addChain({ from: BASE_TIME, count: 5 });
      const generatedAt = hoursAfterBase(5.2);
      const late1 = await scenario.addLogFile(hoursAfterBase(1.9));
      const b1 = await scenario.addDigest({
        start: hoursAfterBase(1),
        end: hoursAfterBase(2),
        logs: [late1],
        backfill: { generatedAt },
      });
      const late2 = await scenario.addLogFile(hoursAfterBase(2.9));
      const b2 = await scenario.addDigest({
        start: hoursAfterBase(2),
        end: hoursAfterBase(3),
        logs: [late2],
        previous: b1,
        backfill: { generatedAt },
      });
      const late3 = await scenario.addLogFile(hoursAfterBase(3.9));
      const b3 = await scenario.addDigest({
        start: hoursAfterBase(3),
        end: hoursAfterBase(4),
        logs: [late3],
        backfill: { generatedAt },
      });
      const expected = allValid(chain);
      for (const digest of [b1, b2, b3]) expected.digests.push({ key: digest.key, verdict: 'valid', backfill: true });
      for (const log of [late1, late2, late3]) expected.logs.push({ key: log.key, verdict: 'valid' });
      await scenario.save();
      // b3 starts a backfill chain while b2 exists: one (backfill) gap.
      return { scenario, start: DEFAULT_START, end: DEFAULT_END, expected: { ...expected, gaps: 1 } };
    },
  },
  {
    name: 'a log file with a second gzip member appended',
    cliParity: true,
    async build(root) {
      const { scenario, chain, expected } = await standardChain(root);
      const log = at(at(chain.logs, 2), 0);
      const injected = gzipSync(Buffer.from('{"Records":[{"eventName":"Injected"}]}', 'utf8'));
      await scenario.put(log.key, Buffer.concat([log.body, injected]));
      await scenario.save();
      return {
        scenario,
        start: DEFAULT_START,
        end: DEFAULT_END,
        expected: withFindings(expected, ['trailing-gzip-data']),
      };
    },
  },
  {
    name: 'an organization trail with a key prefix and an altered log file',
    cliParity: true,
    async build(root) {
      const trail: ScenarioTrail = {
        bucket: 'jit-org-archive',
        accountId: '444455556666',
        region: 'us-east-1',
        homeRegion: 'us-east-1',
        trailName: 'org-trail',
        organizationId: 'o-a1b2c3d4e5',
        prefix: 'cloudtrail/prod',
      };
      const { scenario, chain, expected } = await standardChain(root, trail);
      const log = at(at(chain.logs, 4), 0);
      await scenario.put(log.key, tamperedLogBody(log));
      setLog(expected, log.key, 'invalid-hash');
      await scenario.save();
      return {
        scenario,
        start: DEFAULT_START,
        end: DEFAULT_END,
        expected: withFindings(expected, []),
        cliOptions: { accountId: trail.accountId },
      };
    },
  },
  {
    name: 'a validly signed digest whose previous-digest fields do not match its predecessor',
    cliParity: true,
    async build(root) {
      // Only the holder of the signing key can do this (a compromised or buggy signer); the CLI never
      // compares the fields with the previous digest, so only the strict check notices.
      const scenario = new Scenario(root);
      const head = await scenario.addChain({ from: BASE_TIME, count: 3 });
      const d2 = at(head.digests, 2);
      const d1 = at(head.digests, 1);
      const logs = [await scenario.addLogFile(hoursAfterBase(3.2))];
      const d3 = await scenario.addDigest({
        start: hoursAfterBase(3),
        end: hoursAfterBase(4),
        logs,
        previous: { bucket: d2.bucket, key: d2.key, signature: d1.signature, hashValue: d1.hashValue },
      });
      const tail = await scenario.addChain({ from: hoursAfterBase(4), count: 2, previous: d3 });
      const expected = allValid({
        digests: [...head.digests, d3, ...tail.digests],
        logs: [...head.logs, logs, ...tail.logs],
      });
      await scenario.save();
      return {
        scenario,
        start: DEFAULT_START,
        end: DEFAULT_END,
        expected: withFindings(expected, ['previous-hash-mismatch', 'previous-signature-mismatch']),
      };
    },
  },
  {
    name: 'a truncated log file',
    cliParity: true,
    async build(root) {
      const { scenario, chain, expected } = await standardChain(root);
      const log = at(at(chain.logs, 1), 1);
      await scenario.put(log.key, log.body.subarray(0, Math.floor(log.body.length / 2)));
      setLog(expected, log.key, 'invalid-hash');
      await scenario.save();
      return { scenario, start: DEFAULT_START, end: DEFAULT_END, expected: withFindings(expected, []) };
    },
  },
  {
    name: 'a log file cut just before its gzip trailer',
    cliParity: true,
    async build(root) {
      const { scenario, chain, expected } = await standardChain(root);
      const log = at(at(chain.logs, 1), 0);
      await scenario.put(log.key, log.body.subarray(0, log.body.length - 8));
      await scenario.save();
      // The content hash still matches, so the CLI (and our verdict) say valid; a warning says why not quite.
      return {
        scenario,
        start: DEFAULT_START,
        end: DEFAULT_END,
        expected: withFindings(expected, ['gzip-trailer-missing'], true),
      };
    },
  },
  {
    name: 'a log file that is not gzip',
    cliParity: true,
    async build(root) {
      const { scenario, chain, expected } = await standardChain(root);
      const log = at(at(chain.logs, 4), 1);
      await scenario.put(log.key, Buffer.from(log.text, 'utf8'));
      setLog(expected, log.key, 'invalid-format');
      await scenario.save();
      return { scenario, start: DEFAULT_START, end: DEFAULT_END, expected: withFindings(expected, []) };
    },
  },
  {
    name: 'a truncated digest',
    cliParity: true,
    async build(root) {
      const { scenario, chain, expected } = await standardChain(root);
      const digest = at(chain.digests, 2);
      await scenario.put(digest.key, digest.body.subarray(0, digest.body.length - 20), { ...digest.metadata });
      setDigest(expected, digest.key, 'invalid-format');
      dropLogsOf(expected, at(chain.logs, 2));
      await scenario.save();
      return { scenario, start: DEFAULT_START, end: DEFAULT_END, expected: withFindings(expected, ['chain-break']) };
    },
  },
  {
    name: 'a digest that is not JSON',
    cliParity: true,
    async build(root) {
      const { scenario, chain, expected } = await standardChain(root);
      const digest = at(chain.digests, 4);
      await scenario.put(digest.key, gzipSync(Buffer.from(`${digest.text.slice(0, -2)}`, 'utf8')), {
        ...digest.metadata,
      });
      setDigest(expected, digest.key, 'invalid-format');
      dropLogsOf(expected, at(chain.logs, 4));
      await scenario.save();
      return { scenario, start: DEFAULT_START, end: DEFAULT_END, expected: withFindings(expected, ['chain-break']) };
    },
  },
  {
    name: 'a digest whose signature is not hex',
    cliParity: true,
    async build(root) {
      const { scenario, chain, expected } = await standardChain(root);
      const digest = at(chain.digests, 1);
      scenario.metadata.set(digest.key, { ...digest.metadata, signature: `zz${digest.signature.slice(2)}` });
      setDigest(expected, digest.key, 'invalid-signature');
      dropLogsOf(expected, at(chain.logs, 1));
      await scenario.save();
      return { scenario, start: DEFAULT_START, end: DEFAULT_END, expected: withFindings(expected, ['chain-break']) };
    },
  },
  {
    name: 'an empty bucket',
    cliParity: true,
    async build(root) {
      const scenario = new Scenario(root);
      await scenario.save();
      return {
        scenario,
        start: DEFAULT_START,
        end: DEFAULT_END,
        expected: { digests: [], logs: [], findings: ['no-digests'], gaps: 0, ok: false },
      };
    },
  },
];
