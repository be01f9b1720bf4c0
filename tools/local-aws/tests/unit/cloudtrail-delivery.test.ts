import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { Delivery, type ObjectWriter } from '../../src/cloudtrail/delivery.js';
import { loadOrCreateSigningKey, SIGNING_KEY_FILE } from '../../src/cloudtrail/signingKey.js';
import type { CloudTrailRecord } from '../../src/cloudtrail/types.js';

const stateDir = mkdtempSync(join(tmpdir(), 'jit-cloudtrail-delivery-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));
const key = loadOrCreateSigningKey(stateDir, new Date('2026-03-01T09:00:00Z'));

interface Stored {
  body: Buffer;
  metadata: Record<string, string>;
}

/** The bucket as a map: what a test reads back is exactly what delivery wrote. */
class MemoryBucket implements ObjectWriter {
  readonly objects = new Map<string, Stored>();
  failNext = 0;

  async put(objectKey: string, body: Buffer, metadata: Record<string, string>): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('NoSuchBucket: The specified bucket does not exist');
    }
    this.objects.set(objectKey, { body, metadata });
  }

  keys(part: string): string[] {
    return [...this.objects.keys()].filter((k) => k.includes(part)).sort();
  }

  text(objectKey: string): string {
    const stored = this.objects.get(objectKey);
    if (stored === undefined) throw new Error(`no object ${objectKey}`);
    return gunzipSync(stored.body).toString('utf8');
  }

  json(objectKey: string): Record<string, unknown> {
    return JSON.parse(this.text(objectKey)) as Record<string, unknown>;
  }
}

class Clock {
  constructor(public current: Date) {}
  now = (): Date => this.current;
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

function record(account: string, region: string, time: string, name = 'GetCallerIdentity'): CloudTrailRecord {
  return {
    eventVersion: '1.09',
    userIdentity: { type: 'Unknown' },
    eventTime: time,
    eventSource: 'sts.amazonaws.com',
    eventName: name,
    awsRegion: region,
    sourceIPAddress: '127.0.0.1',
    userAgent: 'test',
    requestParameters: null,
    responseElements: null,
    requestID: 'r',
    eventID: `e-${time}-${name}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: account,
    eventCategory: 'Management',
  };
}

function setup(organizationId?: string) {
  const clock = new Clock(new Date('2026-03-01T10:00:00.400Z'));
  const bucket = new MemoryBucket();
  const delivery = new Delivery({
    bucket: 'log-archive',
    prefix: undefined,
    organizationId,
    trailName: 'jit-org-trail',
    homeRegion: 'us-east-1',
    writer: bucket,
    signingKey: key,
    now: clock.now,
    startedAt: clock.now(),
  });
  delivery.addScope('111111111111', 'us-east-1');
  return { clock, bucket, delivery };
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The AWS CLI's check, written out: SHA256withRSA over endTime, bucket/key, hash, previous signature. */
function signatureValid(bucket: MemoryBucket, digestKey: string): boolean {
  const text = bucket.text(digestKey);
  const digest = JSON.parse(text) as Record<string, string | null>;
  const toSign = `${digest.digestEndTime}\n${digest.digestS3Bucket}/${digest.digestS3Object}\n${sha256(text)}\n${digest.previousDigestSignature ?? 'null'}`;
  const signature = bucket.objects.get(digestKey)?.metadata.signature ?? '';
  const publicKey = createPublicKey({ key: key.publicKeyDer, format: 'der', type: 'pkcs1' });
  return verify('sha256', Buffer.from(toSign), publicKey, Buffer.from(signature, 'hex'));
}

describe('log file delivery', () => {
  it('writes one gzip {"Records":[...]} file per account and region in the per-account key layout', async () => {
    const { clock, bucket, delivery } = setup();
    delivery.enqueue(record('111111111111', 'us-east-1', '2026-03-01T10:00:00Z'));
    delivery.enqueue(record('222222222222', 'eu-west-1', '2026-03-01T10:00:00Z'));
    clock.advance(60_000);

    const report = await delivery.deliver();

    expect(report.errors).toEqual([]);
    const logs = bucket.keys('/CloudTrail/');
    expect(logs).toHaveLength(2);
    expect(logs[0]).toMatch(
      /^AWSLogs\/111111111111\/CloudTrail\/us-east-1\/2026\/03\/01\/111111111111_CloudTrail_us-east-1_20260301T1001Z_[A-Za-z0-9]{16}\.json\.gz$/,
    );
    expect(logs[1]).toMatch(
      /^AWSLogs\/222222222222\/CloudTrail\/eu-west-1\/2026\/03\/01\/222222222222_CloudTrail_eu-west-1_/,
    );
    expect((bucket.json(logs[0] as string).Records as unknown[]).length).toBe(1);
  });

  it('uses the organization layout AWSLogs/<o-id>/<account>/ when the trail belongs to an organization', async () => {
    const { bucket, delivery } = setup('o-abcdef1234');
    delivery.enqueue(record('111111111111', 'us-east-1', '2026-03-01T10:00:00Z'));

    await delivery.deliver();

    expect(bucket.keys('/CloudTrail/')[0]).toMatch(/^AWSLogs\/o-abcdef1234\/111111111111\/CloudTrail\/us-east-1\//);
    expect(bucket.keys('/CloudTrail-Digest/')[0]).toMatch(
      /^AWSLogs\/o-abcdef1234\/111111111111\/CloudTrail-Digest\/us-east-1\/2026\/03\/01\/111111111111_CloudTrail-Digest_us-east-1_jit-org-trail_us-east-1_20260301T100000Z\.json\.gz$/,
    );
  });

  it('does not let a call signed for a made-up region block delivery of the others', async () => {
    const { bucket, delivery } = setup();
    delivery.enqueue(record('111111111111', 'localhost', '2026-03-01T10:00:00Z'));
    delivery.enqueue(record('111111111111', 'us-east-1', '2026-03-01T10:00:00Z'));

    const report = await delivery.deliver();

    expect(report.errors).toEqual([]);
    expect(report.logFiles.map((log) => log.records)).toEqual([1]);
    expect(delivery.undeliverable).toBe(1);
    expect(bucket.keys('localhost')).toEqual([]);
  });

  it('keeps the records of a failed write for the next delivery', async () => {
    const { clock, bucket, delivery } = setup();
    delivery.enqueue(record('111111111111', 'us-east-1', '2026-03-01T10:00:00Z'));
    bucket.failNext = 1;

    const failed = await delivery.deliver();
    clock.advance(60_000);
    const retried = await delivery.deliver();

    expect(failed.errors[0]).toContain('NoSuchBucket');
    expect(retried.logFiles).toHaveLength(1);
    expect(retried.digests[0]?.logFiles).toBe(1);
    expect(delivery.latestDeliveryError).toBeUndefined();
  });
});

describe('digest delivery', () => {
  it('lists each delivered log file with the SHA-256 of its uncompressed bytes', async () => {
    const { bucket, delivery } = setup();
    delivery.enqueue(record('111111111111', 'us-east-1', '2026-03-01T09:59:58Z'));
    delivery.enqueue(record('111111111111', 'us-east-1', '2026-03-01T10:00:00Z'));

    await delivery.deliver();

    const [logKey] = bucket.keys('/CloudTrail/');
    const [digestKey] = bucket.keys('/CloudTrail-Digest/');
    const digest = bucket.json(digestKey as string);
    expect(digest).toMatchObject({
      awsAccountId: '111111111111',
      digestStartTime: '2026-03-01T10:00:00Z',
      digestEndTime: '2026-03-01T10:00:00Z',
      digestS3Bucket: 'log-archive',
      digestS3Object: digestKey,
      digestPublicKeyFingerprint: key.fingerprint,
      digestSignatureAlgorithm: 'SHA256withRSA',
      oldestEventTime: '2026-03-01T09:59:58Z',
      newestEventTime: '2026-03-01T10:00:00Z',
      previousDigestSignature: null,
      logFiles: [
        {
          s3Bucket: 'log-archive',
          s3Object: logKey,
          hashValue: sha256(bucket.text(logKey as string)),
          hashAlgorithm: 'SHA-256',
        },
      ],
    });
    expect(bucket.objects.get(digestKey as string)?.metadata['signature-algorithm']).toBe('SHA256withRSA');
    expect(signatureValid(bucket, digestKey as string)).toBe(true);
  });

  it('writes a digest with an empty logFiles list when nothing was delivered, as CloudTrail does', async () => {
    const { bucket, delivery } = setup();

    await delivery.deliver();

    const [digestKey] = bucket.keys('/CloudTrail-Digest/');
    expect(bucket.json(digestKey as string)).toMatchObject({
      logFiles: [],
      oldestEventTime: null,
      newestEventTime: null,
    });
    expect(bucket.keys('/CloudTrail/')).toEqual([]);
  });

  it('gives every account with a trail a chained, signed digest on each delivery, also the one without log files', async () => {
    const { clock, bucket, delivery } = setup();
    delivery.addScope('222222222222', 'us-east-1');
    delivery.enqueue(record('111111111111', 'us-east-1', '2026-03-01T10:00:00Z'));
    await delivery.deliver();
    clock.advance(60_000);
    delivery.enqueue(record('111111111111', 'us-east-1', '2026-03-01T10:00:30Z'));
    await delivery.deliver();

    const quiet = bucket.keys('/222222222222/CloudTrail-Digest/') as [string, string];
    expect(quiet).toHaveLength(2);
    expect(bucket.keys('/222222222222/CloudTrail/')).toEqual([]);
    expect(quiet.map((k) => bucket.json(k).logFiles)).toEqual([[], []]);
    expect(bucket.json(quiet[1])).toMatchObject({
      awsAccountId: '222222222222',
      digestStartTime: '2026-03-01T10:00:00Z',
      digestEndTime: '2026-03-01T10:01:00Z',
      previousDigestS3Object: quiet[0],
      previousDigestSignature: bucket.objects.get(quiet[0])?.metadata.signature,
    });
    expect(quiet.every((k) => signatureValid(bucket, k))).toBe(true);
    expect(bucket.keys('/111111111111/CloudTrail-Digest/').map((k) => bucket.json(k).logFiles)).toEqual([
      [expect.objectContaining({ hashAlgorithm: 'SHA-256' })],
      [expect.objectContaining({ hashAlgorithm: 'SHA-256' })],
    ]);
  });

  it('delivers as of a later time when asked, and later deliveries do not go back before it', async () => {
    const { clock, bucket, delivery } = setup();
    await delivery.deliver();

    const later = await delivery.deliver({ at: new Date('2026-03-01T12:00:00Z') });
    clock.advance(60_000);
    const next = await delivery.deliver();

    expect(later.digests.map((d) => [d.digestStartTime, d.digestEndTime])).toEqual([
      ['2026-03-01T10:00:00Z', '2026-03-01T12:00:00Z'],
    ]);
    expect(next.digests.map((d) => [d.digestStartTime, d.digestEndTime])).toEqual([
      ['2026-03-01T12:00:00Z', '2026-03-01T12:00:01Z'],
    ]);
    expect(bucket.keys('/CloudTrail-Digest/').every((k) => signatureValid(bucket, k))).toBe(true);
  });

  it('refuses to deliver as of a time before the previous delivery', async () => {
    const { bucket, delivery } = setup();
    await delivery.deliver({ at: new Date('2026-03-01T12:00:00Z') });

    await expect(delivery.deliver({ at: new Date('2026-03-01T11:00:00Z') })).rejects.toThrow(
      'delivery time 2026-03-01T11:00:00.000Z is not valid: allowed is a time not before the previous delivery (2026-03-01T12:00:00.000Z)',
    );
    expect(bucket.keys('/CloudTrail-Digest/')).toHaveLength(1);
  });

  it('chains each digest to the previous one by key, hash and signature', async () => {
    const { clock, bucket, delivery } = setup();
    await delivery.deliver();
    clock.advance(60_000);
    delivery.enqueue(record('111111111111', 'us-east-1', '2026-03-01T10:00:30Z'));
    await delivery.deliver();

    const [first, second] = bucket.keys('/CloudTrail-Digest/') as [string, string];
    const next = bucket.json(second);
    expect(next).toMatchObject({
      digestStartTime: '2026-03-01T10:00:00Z',
      digestEndTime: '2026-03-01T10:01:00Z',
      previousDigestS3Bucket: 'log-archive',
      previousDigestS3Object: first,
      previousDigestHashValue: sha256(bucket.text(first)),
      previousDigestHashAlgorithm: 'SHA-256',
      previousDigestSignature: bucket.objects.get(first)?.metadata.signature,
    });
    expect(signatureValid(bucket, second)).toBe(true);
  });

  it('gives two deliveries within one second distinct, increasing digest end times', async () => {
    const { bucket, delivery } = setup();

    await delivery.deliver();
    await delivery.deliver();

    const keys = bucket.keys('/CloudTrail-Digest/');
    expect(keys).toHaveLength(2);
    expect(keys.map((k) => bucket.json(k).digestEndTime)).toEqual(['2026-03-01T10:00:00Z', '2026-03-01T10:00:01Z']);
  });

  it('detects tampering: a changed byte in a digest breaks its signature', async () => {
    const { bucket, delivery } = setup();
    await delivery.deliver();
    const [digestKey] = bucket.keys('/CloudTrail-Digest/') as [string];
    const stored = bucket.objects.get(digestKey) as Stored;
    const tampered = bucket.text(digestKey).replace('"logFiles":[]', '"logFiles": []');
    bucket.objects.set(digestKey, { ...stored, body: (await import('node:zlib')).gzipSync(tampered) });

    expect(signatureValid(bucket, digestKey)).toBe(false);
  });
});

describe('stopping and starting logging', () => {
  it('closes the chain with a final digest, delivers nothing while stopped, and starts a new chain', async () => {
    const { clock, bucket, delivery } = setup();
    await delivery.deliver();
    clock.advance(10_000);
    delivery.enqueue(record('111111111111', 'us-east-1', '2026-03-01T10:00:10Z', 'StopLogging'));
    delivery.stopLogging('111111111111', clock.now());
    clock.advance(10_000);
    delivery.enqueue(record('111111111111', 'us-east-1', '2026-03-01T10:00:20Z', 'WhileStopped'));
    const final = await delivery.deliver();
    clock.advance(60_000);
    const whileStopped = await delivery.deliver();
    delivery.startLogging('111111111111', clock.now());
    clock.advance(60_000);
    await delivery.deliver();

    expect(final.digests).toHaveLength(1);
    expect(final.logFiles[0]?.records).toBe(1);
    expect(whileStopped.digests).toEqual([]);
    const digests = bucket.keys('/CloudTrail-Digest/').map((k) => bucket.json(k));
    expect(digests.map((d) => d.previousDigestSignature === null)).toEqual([true, false, true]);
    expect(digests[2]?.digestStartTime).toBe('2026-03-01T10:01:20Z');
    const delivered = bucket.keys('/CloudTrail/').flatMap((k) => bucket.json(k).Records as CloudTrailRecord[]);
    expect(delivered.map((r) => r.eventName)).toEqual(['StopLogging']);
  });
});

describe('the signing key', () => {
  it('is kept in the state directory (mode 0600) and reused after a restart', () => {
    const again = loadOrCreateSigningKey(stateDir, new Date('2030-01-01T00:00:00Z'));

    expect(again.fingerprint).toBe(key.fingerprint);
    expect(again.validityStart.toISOString()).toBe('2026-03-01T09:00:00.000Z');
    expect(statSync(join(stateDir, SIGNING_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(
      createPublicKey({ key: again.publicKeyDer, format: 'der', type: 'pkcs1' }).asymmetricKeyDetails?.modulusLength,
    ).toBe(2048);
  });
});
