import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  createDigestKeyPair,
  createLocalFolderSource,
  type DigestKeyPair,
  parseCloudTrailLogKey,
} from '@jit-access/audit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkIntegrity } from '../../src/integrity.js';
import type { LogScope } from '../../src/records/readWindow.js';
import { callRecord } from '../helpers/records.js';
import { FolderWriter, TrailBuilder } from '../helpers/trail.js';

const BUCKET = 'jit-log-archive';
const ACCOUNT = '111111111111';
const REGION = 'ap-southeast-2';
const T0 = new Date('2026-03-02T10:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

let keyPair: DigestKeyPair;
let root: string;
beforeAll(() => {
  keyPair = createDigestKeyPair();
});
afterEach(async () => {
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

async function trail(): Promise<{ writer: FolderWriter; builder: TrailBuilder }> {
  root = await mkdtemp(join(tmpdir(), 'report-integrity-'));
  const writer = new FolderWriter(root, BUCKET, [keyPair]);
  const builder = new TrailBuilder({ bucket: BUCKET, accountId: ACCOUNT, region: REGION, keyPair, writer });
  return { writer, builder };
}

const records = (minute: number) => [
  callRecord({ grantId: 'G1', accountId: ACCOUNT, accessKeyId: 'ASIAEXAMPLE000000001', time: at(minute) }),
];

async function check(writer: FolderWriter, logKeys: string[], options: { trailName?: string } = {}) {
  await writer.save();
  const source = await createLocalFolderSource(root);
  const scopes: LogScope[] = [
    ...new Map(
      logKeys.flatMap((key) => {
        const parsed = parseCloudTrailLogKey(key);
        return parsed === undefined
          ? []
          : [
              [
                `${parsed.accountId}/${parsed.region}`,
                {
                  accountId: parsed.accountId,
                  region: parsed.region,
                  organizationId: parsed.organizationId,
                  prefix: parsed.prefix,
                },
              ] as const,
            ];
      }),
    ).values(),
  ];
  return checkIntegrity({
    bucket: BUCKET,
    start: at(-60),
    end: at(90),
    scopes,
    logKeys,
    sourceFor: () => source,
    ...options,
  });
}

describe('checkIntegrity', () => {
  it('says the chain is valid when every log file read is listed by a valid digest', async () => {
    const { writer, builder } = await trail();
    const a = await builder.log(at(5), records(4));
    const b = await builder.log(at(10), records(9));
    await builder.digest(at(30));
    const c = await builder.log(at(35), records(34));
    await builder.digest(at(60));
    const summary = await check(writer, [a.key, b.key, c.key]);
    expect(summary.status).toBe('valid');
    expect(summary.headline).toBe('digest chain: valid');
    expect(summary.detail).toBe(`2 digest files and 3 log files checked for 1 account (${ACCOUNT}) in ${REGION}`);
    expect(summary.problems).toEqual([]);
  });

  it('says the chain is broken and names the file when a log file was altered after delivery', async () => {
    const { writer, builder } = await trail();
    const a = await builder.log(at(5), records(4));
    await builder.digest(at(30));
    await writer.put({ key: a.key, body: gzipSync(Buffer.from(JSON.stringify({ Records: records(5) }))) });
    const summary = await check(writer, [a.key]);
    expect(summary.status).toBe('broken');
    expect(summary.headline).toBe('digest chain: BROKEN');
    expect(summary.problems).toEqual([`Log file\ts3://${BUCKET}/${a.key}\tINVALID: hash value doesn't match`]);
  });

  it('says the chain is broken when a log file was added that no digest lists', async () => {
    const { writer, builder } = await trail();
    const a = await builder.log(at(5), records(4));
    await builder.digest(at(30));
    const injected = a.key.replace(/_[A-Za-z0-9]+\.json\.gz$/, '_Injected00000001.json.gz');
    await writer.put({ key: injected, body: gzipSync(Buffer.from(JSON.stringify({ Records: records(6) }))) });
    const summary = await check(writer, [a.key, injected]);
    expect(summary.status).toBe('broken');
    expect(summary.problems).toEqual([
      `Log file\ts3://${BUCKET}/${injected}\tINVALID: not listed in any digest (added after delivery?)`,
    ]);
  });

  it('treats log files newer than the newest digest as waiting for the next digest, not as broken', async () => {
    const { writer, builder } = await trail();
    const a = await builder.log(at(5), records(4));
    await builder.digest(at(30));
    const late = await builder.log(at(40), records(39));
    const summary = await check(writer, [a.key, late.key]);
    expect(summary.status).toBe('valid');
    expect(summary.pending).toEqual([late.key]);
    expect(summary.detail).toContain('1 newest log file is not yet covered by a digest (the next run checks it)');
  });

  it('says the logs are not verified when the bucket holds no digests', async () => {
    const { writer, builder } = await trail();
    const a = await builder.log(at(5), records(4));
    const summary = await check(writer, [a.key]);
    expect(summary.status).toBe('unverified');
    expect(summary.headline).toBe('digest chain: NOT VERIFIED');
    expect(summary.problems).toEqual([
      `no digest files for account ${ACCOUNT} in ${REGION}: its log files cannot be verified`,
    ]);
  });

  it('says the logs are not verified when the configured trail has no digests, even if another trail has', async () => {
    const { writer, builder } = await trail();
    const a = await builder.log(at(5), records(4));
    await builder.digest(at(30));
    const summary = await check(writer, [a.key], { trailName: 'org-trail' });
    expect(summary.status).toBe('unverified');
    expect(summary.problems[0]).toBe(
      `no digest files of trail org-trail for account ${ACCOUNT} in ${REGION}: its log files cannot be verified`,
    );
  });

  it('says the chain is broken when a digest was altered', async () => {
    const { writer, builder } = await trail();
    const a = await builder.log(at(5), records(4));
    const digest = await builder.digest(at(30));
    await writer.put({
      key: digest.key,
      body: gzipSync(Buffer.from(digest.text.replace('"logFiles"', '"logFiles" '))),
      metadata: digest.metadata,
    });
    const summary = await check(writer, [a.key]);
    expect(summary.status).toBe('broken');
    expect(summary.problems[0]).toMatch(
      /^Digest file\ts3:\/\/jit-log-archive\/.*\tINVALID: signature verification failed$/,
    );
  });

  it('has nothing to verify in a window without log files', async () => {
    const { writer } = await trail();
    await writeFile(join(root, 'placeholder'), '');
    const summary = await check(writer, []);
    expect(summary).toMatchObject({ status: 'valid', headline: 'digest chain: nothing to verify', problems: [] });
  });
});
