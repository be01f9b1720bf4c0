import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createDigestKeyPair, createLocalFolderSource, type DigestKeyPair } from '@jit-access/audit';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CheckIntegrityOptions,
  checkIntegrity,
  type ExpectedDeliveries,
  silenceThresholdMs,
  silentStretchesOf,
} from '../../src/integrity.js';
import type { LogScope } from '../../src/records/readWindow.js';
import { callRecord } from '../helpers/records.js';
import { FolderWriter, TrailBuilder } from '../helpers/trail.js';

const BUCKET = 'jit-log-archive';
const BUSY = '111111111111';
const QUIET = '222222222222';
const REGION = 'ap-southeast-2';
const HOUR = 3_600_000;
const T0 = new Date('2026-03-02T10:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

let keyPair: DigestKeyPair;
let root: string | undefined;
beforeAll(() => {
  keyPair = createDigestKeyPair();
});
afterEach(async () => {
  if (root !== undefined) await rm(root, { recursive: true, force: true });
  root = undefined;
});

async function bucket(): Promise<{
  writer: FolderWriter;
  trail: (accountId: string, trailName?: string) => TrailBuilder;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'report-deliveries-'));
  root = dir;
  const writer = new FolderWriter(dir, BUCKET, [keyPair]);
  return {
    writer,
    trail: (accountId, trailName) =>
      new TrailBuilder({
        bucket: BUCKET,
        accountId,
        region: REGION,
        keyPair,
        writer,
        ...(trailName === undefined ? {} : { trailName }),
      }),
  };
}

/** The busy account: one log file (its scope is what the run read) and a digest every hour. */
async function busyAccount(trail: TrailBuilder, digestMinutes: readonly number[]): Promise<string> {
  const log = await trail.log(at(-70), [
    callRecord({ grantId: 'G1', accountId: BUSY, accessKeyId: 'ASIAEXAMPLE000000001', time: at(-71) }),
  ]);
  for (const minute of digestMinutes) await trail.digest(at(minute));
  return log.key;
}

const expectedFor = (accountIds: string[], from = at(-120), to = at(60)): ExpectedDeliveries => ({
  accountIds,
  regions: [REGION],
  periodMs: HOUR,
  from,
  to,
  accountNames: { [QUIET]: 'staging' },
});

async function check(
  writer: FolderWriter,
  logKeys: string[],
  extra: Partial<CheckIntegrityOptions> = {},
): ReturnType<typeof checkIntegrity> {
  await writer.save();
  const source = await createLocalFolderSource(root as string);
  const scopes: LogScope[] = [{ accountId: BUSY, region: REGION, organizationId: undefined, prefix: undefined }];
  return checkIntegrity({
    bucket: BUCKET,
    start: at(-130),
    end: at(60),
    scopes,
    logKeys,
    sourceFor: () => source,
    ...extra,
  });
}

describe('expected deliveries', () => {
  it('counts an account that delivered only empty digests every hour as delivering, and verifies its chain', async () => {
    const { writer, trail } = await bucket();
    const logKey = await busyAccount(trail(BUSY), [-120, -60, 0, 60]);
    const quiet = trail(QUIET);
    for (const minute of [-125, -65, -5, 55]) await quiet.digest(at(minute));

    const summary = await check(writer, [logKey], { expected: expectedFor([BUSY, QUIET]) });

    expect(summary.status).toBe('valid');
    expect(summary.headline).toBe('digest chain: valid');
    expect(summary.deliveries).toMatchObject({ status: 'delivering', accounts: [BUSY, QUIET], silent: [] });
    expect(summary.deliveries.summary).toBe(
      `all 2 expected accounts (${BUSY}, ${QUIET}) delivered a valid digest at least every 60 min in ${REGION} from 2026-03-02 08:00:00Z to 2026-03-02 11:00:00Z`,
    );
    expect(summary.trails.find((t) => t.accountId === QUIET)?.digests).toEqual({ valid: 4, invalid: 0 });
  });

  it('names an account whose digests stopped, and since when, instead of saying the chain is valid', async () => {
    const { writer, trail } = await bucket();
    const logKey = await busyAccount(trail(BUSY), [-120, -60, 0, 60]);
    const quiet = trail(QUIET);
    for (const minute of [-125, -65]) await quiet.digest(at(minute));

    const summary = await check(writer, [logKey], { expected: expectedFor([BUSY, QUIET]) });

    expect(summary.status).toBe('silent');
    expect(summary.headline).toBe(`digest chain: SILENT account ${QUIET}`);
    expect(summary.deliveries.silent).toEqual([
      {
        accountId: QUIET,
        region: REGION,
        from: at(-65).toISOString(),
        to: at(60).toISOString(),
        ongoing: true,
      },
    ]);
    expect(summary.problems).toEqual([
      `account ${QUIET} (staging) in ${REGION} is silent: no digest file since 2026-03-02 08:55:00Z (checked up to 2026-03-02 11:00:00Z), 125 min where one is due every 60 min; its trail was stopped or deleted, or cannot deliver`,
    ]);
  });

  it('names an expected account that has no digests at all in the bucket', async () => {
    const { writer, trail } = await bucket();
    const logKey = await busyAccount(trail(BUSY), [-120, -60, 0, 60]);

    const summary = await check(writer, [logKey], { expected: expectedFor([BUSY, QUIET]) });

    expect(summary.status).toBe('silent');
    expect(summary.deliveries.silent.map((s) => [s.accountId, s.from, s.to])).toEqual([
      [QUIET, at(-120).toISOString(), at(60).toISOString()],
    ]);
  });

  it('does not count a forged digest as a delivery, and says the chain is broken', async () => {
    const { writer, trail } = await bucket();
    const logKey = await busyAccount(trail(BUSY), [-120, -60, 0, 60]);
    const quiet = trail(QUIET);
    await quiet.digest(at(-125));
    const forged = await quiet.digest(at(-5));
    await writer.put({
      key: forged.key,
      body: gzipSync(Buffer.from(forged.text.replace('"logFiles"', '"logFiles" '))),
      metadata: forged.metadata,
    });

    const summary = await check(writer, [logKey], { expected: expectedFor([BUSY, QUIET]) });

    expect(summary.status).toBe('broken');
    expect(summary.deliveries.status).toBe('silent');
    expect(summary.problems).toContainEqual(expect.stringMatching(new RegExp(`^account ${QUIET} \\(staging\\)`)));
  });

  it("counts only the configured trail's digests: another trail's do not hide a silent one", async () => {
    const { writer, trail } = await bucket();
    const logKey = await busyAccount(trail(BUSY), [-120, -60, 0, 60]);
    const other = trail(QUIET, 'someone-elses-trail');
    for (const minute of [-125, -65, -5, 55]) await other.digest(at(minute));

    const summary = await check(writer, [logKey], { trailName: 'jit-trail', expected: expectedFor([BUSY, QUIET]) });

    expect(summary.status).toBe('silent');
    expect(summary.deliveries.silent.map((s) => s.accountId)).toEqual([QUIET]);
  });

  it('leaves the verdict as it was and says the check was not configured without expected accounts', async () => {
    const { writer, trail } = await bucket();
    const logKey = await busyAccount(trail(BUSY), [-120, -60, 0, 60]);

    const summary = await check(writer, [logKey]);

    expect(summary.status).toBe('valid');
    expect(summary.deliveries).toEqual({
      status: 'not-configured',
      summary: 'not checked: no expected accounts are configured (JIT_REPORT_EXPECTED_ACCOUNTS)',
      accounts: [],
      regions: [],
      silent: [],
    });
  });

  it('tells nothing from a span shorter than a period and its tolerance', async () => {
    const { writer, trail } = await bucket();
    const logKey = await busyAccount(trail(BUSY), [-120, -60, 0, 60]);

    const summary = await check(writer, [logKey], { expected: expectedFor([BUSY, QUIET], at(-30), at(40)) });

    expect(summary.status).toBe('valid');
    expect(summary.deliveries.status).toBe('not-checked');
    expect(summary.deliveries.summary).toContain('is too short to tell whether the 2 expected accounts deliver');
  });
});

describe('silentStretchesOf', () => {
  it('allows an hourly trail a quarter of an hour of jitter, and the local edge a minute', () => {
    expect(silenceThresholdMs(HOUR)).toBe(75 * 60_000);
    expect(silenceThresholdMs(60_000)).toBe(2 * 60_000);
  });

  it('returns exactly the gaps between the span edges and the digests that are longer than the threshold', () => {
    const span = 24 * HOUR;
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -HOUR, max: span + HOUR }), { maxLength: 40 }),
        fc.integer({ min: 60_000, max: 3 * HOUR }),
        (ends, threshold) => {
          const stretches = silentStretchesOf(ends, 0, span, threshold);
          for (const s of stretches) {
            expect(s.to - s.from).toBeGreaterThan(threshold);
            // No digest ends strictly inside a silent stretch.
            expect(ends.some((t) => t > s.from && t < s.to)).toBe(false);
            expect(s.to).toBeLessThanOrEqual(span);
            expect(s.ongoing).toBe(s.to === span && !ends.includes(span));
          }
          // One stretch for each gap between consecutive digests (or the span's edges) above the threshold.
          const inside = [...new Set(ends.filter((t) => t > 0 && t <= span))].sort((a, b) => a - b);
          const before = ends.filter((t) => t <= 0).sort((a, b) => a - b);
          const points = [before.at(-1) ?? 0, ...inside, ...(inside.at(-1) === span ? [] : [span])];
          const longGaps = points.slice(1).filter((b, i) => b - (points[i] as number) > threshold).length;
          expect(stretches).toHaveLength(longGaps);
        },
      ),
    );
  });
});
