import { createHash, createPublicKey, verify } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildDigest,
  createDigestFile,
  createDigestKeyPair,
  decodeDigest,
  decodePublicKeyValue,
  digestStringToSign,
  IntegrityError,
  parseDigest,
  publicKeyFingerprint,
  REQUIRED_DIGEST_FIELDS,
  sha256Hex,
  signDigest,
  verifyDigestSignature,
} from '../../src/integrity/index.js';
import { scenarioKeys } from '../helpers/integrityScenario.js';

const keys = scenarioKeys();
const BUCKET = 'jit-log-archive';
const KEY =
  'AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz';
const PREVIOUS_KEY = KEY.replace('20150817T150131Z', '20150817T140131Z');
const LOG = {
  s3Bucket: BUCKET,
  s3Object:
    'AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/111122223333_CloudTrail_us-east-2_20150817T1445Z_9nYN7gp2eWAJHIfT.json.gz',
  hashValue: '9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6',
  oldestEventTime: '2015-08-17T14:42:27Z',
  newestEventTime: '2015-08-17T14:52:27Z',
};

function sampleDigest(previous = true): string {
  return buildDigest({
    awsAccountId: '111122223333',
    digestStartTime: '2015-08-17T14:01:31Z',
    digestEndTime: new Date('2015-08-17T15:01:31Z'),
    digestS3Bucket: BUCKET,
    digestS3Object: KEY,
    logFiles: [LOG],
    previous: previous
      ? {
          digestS3Bucket: BUCKET,
          digestS3Object: PREVIOUS_KEY,
          signature: 'ab'.repeat(256),
          hashValue: 'cd'.repeat(32),
        }
      : undefined,
    publicKeyFingerprint: keys.primary.fingerprint,
    digestSignatureAlgorithm: 'SHA256withRSA',
  });
}

describe('buildDigest', () => {
  it("writes CloudTrail's fields in CloudTrail's order (the user guide's sample digest)", () => {
    const document = JSON.parse(sampleDigest()) as Record<string, unknown>;
    expect(Object.keys(document)).toEqual([
      'awsAccountId',
      'digestStartTime',
      'digestEndTime',
      'digestS3Bucket',
      'digestS3Object',
      'digestPublicKeyFingerprint',
      'digestSignatureAlgorithm',
      'newestEventTime',
      'oldestEventTime',
      'previousDigestS3Bucket',
      'previousDigestS3Object',
      'previousDigestHashValue',
      'previousDigestHashAlgorithm',
      'previousDigestSignature',
      'logFiles',
    ]);
    expect(document.logFiles).toEqual([
      {
        s3Bucket: LOG.s3Bucket,
        s3Object: LOG.s3Object,
        hashValue: LOG.hashValue,
        hashAlgorithm: 'SHA-256',
        newestEventTime: LOG.newestEventTime,
        oldestEventTime: LOG.oldestEventTime,
      },
    ]);
    expect(document.previousDigestHashAlgorithm).toBe('SHA-256');
    expect(document.newestEventTime).toBe('2015-08-17T14:52:27Z');
  });

  it('writes null previous-digest fields for the first digest of a chain', () => {
    const document = JSON.parse(sampleDigest(false)) as Record<string, unknown>;
    for (const field of [
      'previousDigestS3Bucket',
      'previousDigestS3Object',
      'previousDigestHashValue',
      'previousDigestHashAlgorithm',
      'previousDigestSignature',
    ]) {
      expect(document[field]).toBeNull();
    }
  });

  it('refuses a log hash that is not a hex SHA-256, naming the entry', () => {
    expect(() =>
      buildDigest({
        awsAccountId: '111122223333',
        digestStartTime: '2015-08-17T14:01:31Z',
        digestEndTime: '2015-08-17T15:01:31Z',
        digestS3Bucket: BUCKET,
        digestS3Object: KEY,
        logFiles: [{ ...LOG, hashValue: 'XYZ' }],
        publicKeyFingerprint: keys.primary.fingerprint,
        digestSignatureAlgorithm: 'SHA256withRSA',
      }),
    ).toThrow('logFiles[0].hashValue: got "XYZ"; allowed: 64 lowercase hex digits (a SHA-256)');
  });
});

describe('signDigest', () => {
  it('signs endTime, bucket/key, the SHA-256 of the uncompressed digest and the previous signature with SHA256withRSA', () => {
    const text = sampleDigest();
    const previous = 'ab'.repeat(256);
    const signature = signDigest({
      digestText: text,
      digestEndTime: '2015-08-17T15:01:31Z',
      bucket: BUCKET,
      key: KEY,
      previousSignature: previous,
      privateKeyPem: keys.primary.privateKeyPem,
    });
    const expectedString = `2015-08-17T15:01:31Z\n${BUCKET}/${KEY}\n${createHash('sha256').update(text).digest('hex')}\n${previous}`;
    const publicKey = createPublicKey({ key: keys.primary.publicKeyDer, format: 'der', type: 'pkcs1' });
    expect(verify('sha256', Buffer.from(expectedString), publicKey, Buffer.from(signature, 'hex'))).toBe(true);
    expect(signature).toMatch(/^[0-9a-f]{512}$/);
  });

  it("uses the literal 'null' as the previous signature when a chain starts", () => {
    const toSign = digestStringToSign({
      digestEndTime: 'T',
      bucket: 'b',
      key: 'k',
      digest: 'x',
      previousSignature: null,
    });
    expect(toSign).toBe(`T\nb/k\n${sha256Hex('x')}\nnull`);
  });

  it('refuses a private key that is not PEM', () => {
    expect(() =>
      signDigest({
        digestText: '{}',
        digestEndTime: 'T',
        bucket: 'b',
        key: 'k',
        previousSignature: null,
        privateKeyPem: 'nope',
      }),
    ).toThrow(IntegrityError);
  });
});

describe('keys and fingerprints', () => {
  it('creates an RSA-2048 pair whose public key is DER PKCS#1 and whose fingerprint is the MD5 of that DER', () => {
    const pair = createDigestKeyPair();
    const key = createPublicKey({ key: pair.publicKeyDer, format: 'der', type: 'pkcs1' });
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(pair.fingerprint).toBe(createHash('md5').update(pair.publicKeyDer).digest('hex'));
    expect(publicKeyFingerprint(pair.publicKeyDer)).toBe(pair.fingerprint);
    expect(pair.privateKeyPem).toContain('BEGIN PRIVATE KEY');
  });

  it('reads ListPublicKeys values as DER bytes (the SDK) or base64 text (CLI output)', () => {
    const der = keys.primary.publicKeyDer;
    expect(decodePublicKeyValue(der)).toEqual(der);
    expect(decodePublicKeyValue(Buffer.from(der.toString('base64'), 'ascii'))).toEqual(der);
  });
});

describe('verifyDigestSignature', () => {
  const toSign = 'T\nb/k\nh\nnull';
  const signature = signDigest({
    digestText: 'unused',
    digestEndTime: 'T',
    bucket: 'b',
    key: 'k',
    previousSignature: null,
    privateKeyPem: keys.primary.privateKeyPem,
  });

  it('rejects a signature from another key', () => {
    const check = verifyDigestSignature({
      publicKeyDer: keys.other.publicKeyDer,
      stringToSign: toSign,
      signatureHex: signature,
    });
    expect(check).toEqual({ ok: false, reason: 'invalid-signature', detail: 'signature verification failed' });
  });

  it('reports non-hex and odd-length signatures with the CLI wording', () => {
    const base = { publicKeyDer: keys.primary.publicKeyDer, stringToSign: toSign };
    expect(verifyDigestSignature({ ...base, signatureHex: 'zz' })).toMatchObject({
      detail: 'Non-hexadecimal digit found',
    });
    expect(verifyDigestSignature({ ...base, signatureHex: 'abc' })).toMatchObject({ detail: 'Odd-length string' });
  });

  it('reports a public key that is not DER PKCS#1 before looking at the signature', () => {
    const check = verifyDigestSignature({
      publicKeyDer: Buffer.from('not a key'),
      stringToSign: toSign,
      signatureHex: 'zz',
    });
    expect(check).toMatchObject({ ok: false, reason: 'invalid-key' });
  });
});

describe('createDigestFile', () => {
  it('produces a gzip body, the signature metadata and a hash that chain to the next digest', () => {
    const trail = { accountId: '111122223333', region: 'us-east-1', trailName: 'main', homeRegion: 'us-east-1' };
    const first = createDigestFile({
      bucket: BUCKET,
      trail,
      digestStartTime: new Date('2024-03-01T00:00:31Z'),
      digestEndTime: new Date('2024-03-01T01:00:31Z'),
      logFiles: [],
      signingKey: keys.primary,
    });
    const second = createDigestFile({
      bucket: BUCKET,
      trail,
      digestStartTime: new Date('2024-03-01T01:00:31Z'),
      digestEndTime: new Date('2024-03-01T02:00:31Z'),
      logFiles: [],
      previous: first,
      signingKey: keys.primary,
      backfill: { generatedAt: new Date('2024-03-05T00:00:00Z') },
    });
    const decoded = parseDigest(second.body);
    expect(decoded.document.previousDigestSignature).toBe(first.signature);
    expect(decoded.document.previousDigestHashValue).toBe(sha256Hex(first.text));
    expect(second.metadata).toEqual({
      signature: second.signature,
      'signature-algorithm': 'SHA256withRSA',
      'backfill-generation-timestamp': '2024-03-05T00:00:00Z',
    });
    expect(second.key.endsWith('_20240301T020031Z_backfill.json.gz')).toBe(true);
  });
});

describe('decodeDigest', () => {
  it('decodes a digest it built', () => {
    const decoded = parseDigest(gzipSync(sampleDigest()));
    expect(decoded.document.digestS3Object).toBe(KEY);
    expect(decoded.document.logFiles).toHaveLength(1);
  });

  it('says which required field is missing', () => {
    const document = JSON.parse(sampleDigest()) as Record<string, unknown>;
    delete document.previousDigestSignature;
    expect(decodeDigest(gzipSync(JSON.stringify(document)))).toEqual({
      ok: false,
      failure: 'missing-field',
      detail: 'the digest has no previousDigestSignature',
    });
  });

  it('rejects a UTF-8 byte order mark, as Python json.loads does', () => {
    expect(decodeDigest(gzipSync(`\ufeff${sampleDigest()}`))).toMatchObject({ ok: false, failure: 'json' });
  });

  it('throws an IntegrityError from parseDigest on garbage', () => {
    expect(() => parseDigest(Buffer.from('garbage'))).toThrow(IntegrityError);
  });

  it('never throws on arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const result = decodeDigest(bytes);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary JSON, and accepts it only with every required field (property)', () => {
    const field = fc.oneof(fc.string(), fc.constant(null), fc.integer(), fc.boolean());
    const documents = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          digestPublicKeyFingerprint: field,
          digestS3Bucket: field,
          digestS3Object: field,
          previousDigestSignature: field,
          digestEndTime: field,
          digestStartTime: field,
          logFiles: fc.oneof(
            fc.constant([]),
            fc.jsonValue(),
            fc.array(fc.record({ s3Bucket: field, s3Object: field, hashValue: field })),
          ),
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(documents, (document) => {
        const result = decodeDigest(gzipSync(JSON.stringify(document) ?? 'null'));
        const record = typeof document === 'object' && document !== null && !Array.isArray(document) ? document : {};
        const hasAll = REQUIRED_DIGEST_FIELDS.every((name) => Object.hasOwn(record, name));
        if (result.ok) {
          expect(hasAll).toBe(true);
          expect(typeof result.value.document.digestS3Object).toBe('string');
          expect(Array.isArray(result.value.document.logFiles)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips what buildDigest writes (property)', () => {
    const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
    fc.assert(
      fc.property(
        fc.array(fc.record({ s3Object: fc.string({ minLength: 1 }), hashValue: hex64 }), { maxLength: 5 }),
        fc.option(fc.record({ signature: fc.stringMatching(/^(?:[0-9a-f]{2}){1,64}$/), hashValue: hex64 }), {
          nil: undefined,
        }),
        (logs, previous) => {
          const text = buildDigest({
            awsAccountId: '111122223333',
            digestStartTime: '2024-03-01T00:00:00Z',
            digestEndTime: '2024-03-01T01:00:00Z',
            digestS3Bucket: BUCKET,
            digestS3Object: KEY,
            logFiles: logs.map((log) => ({
              s3Bucket: BUCKET,
              s3Object: log.s3Object,
              hashValue: log.hashValue,
              oldestEventTime: '2024-03-01T00:10:00Z',
              newestEventTime: '2024-03-01T00:20:00Z',
            })),
            previous:
              previous === undefined
                ? undefined
                : {
                    digestS3Bucket: BUCKET,
                    digestS3Object: PREVIOUS_KEY,
                    signature: previous.signature,
                    hashValue: previous.hashValue,
                  },
            publicKeyFingerprint: 'f',
            digestSignatureAlgorithm: 'SHA256withRSA',
          });
          const decoded = parseDigest(gzipSync(text));
          expect(decoded.inflated.toString('utf8')).toBe(text);
          expect(decoded.document.logFiles.map((log) => log.s3Object)).toEqual(logs.map((log) => log.s3Object));
          expect(decoded.document.previousDigestSignature).toBe(previous?.signature ?? null);
        },
      ),
      { numRuns: 200 },
    );
  });
});
