import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDigest, inflateFirstGzipMember } from '../../src/integrity/index.js';

/**
 * Differential test against Python's zlib, which `aws cloudtrail validate-logs` uses: log files through
 * `zlib.decompressobj(MAX_WBITS | 16)` fed 2,048-byte chunks, digests through one-shot
 * `zlib.decompress(data, MAX_WBITS | 16)`. On a few hundred damaged gzip streams our decoder must fail
 * exactly when Python fails and otherwise produce the same bytes.
 */

const PYTHON = `
import sys, json, zlib, hashlib, base64
out = []
for item in json.load(sys.stdin):
    data = base64.b64decode(item)
    stream = {}
    try:
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        digest = hashlib.sha256()
        for i in range(0, len(data), 2048):
            digest.update(inflater.decompress(data[i:i + 2048]))
        digest.update(inflater.flush())
        stream = {'error': False, 'sha256': digest.hexdigest(), 'unused': len(inflater.unused_data)}
    except Exception:
        stream = {'error': True}
    try:
        oneshot = {'error': False, 'sha256': hashlib.sha256(zlib.decompress(data, zlib.MAX_WBITS | 16)).hexdigest()}
    except Exception:
        oneshot = {'error': True}
    out.append({'stream': stream, 'oneshot': oneshot})
json.dump(out, sys.stdout)
`;

interface PythonVerdict {
  readonly stream: { readonly error: boolean; readonly sha256?: string; readonly unused?: number };
  readonly oneshot: { readonly error: boolean; readonly sha256?: string };
}

function runPython(inputs: readonly Uint8Array[]): Promise<PythonVerdict[]> {
  return new Promise((resolve, reject) => {
    const child = execFile('python3', ['-c', PYTHON], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
      if (error !== null) reject(error);
      else resolve(JSON.parse(stdout) as PythonVerdict[]);
    });
    child.stdin?.end(JSON.stringify(inputs.map((input) => Buffer.from(input).toString('base64'))));
  });
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

const damagedGzip = fc
  .record({
    payload: fc.oneof(
      fc.uint8Array({ maxLength: 6000 }),
      fc.string({ maxLength: 3000 }).map((text) => Buffer.from(text.repeat(3))),
    ),
    level: fc.integer({ min: 0, max: 9 }),
    damage: fc.constantFrom(
      'none',
      'truncate',
      'append-member',
      'append-garbage',
      'flip',
      'cut-trailer',
      'header-flags',
    ),
    position: fc.nat(),
    extra: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  })
  .map(({ payload, level, damage, position, extra }) => {
    const body = Buffer.from(gzipSync(payload, { level }));
    switch (damage) {
      case 'truncate':
        return body.subarray(0, position % (body.length + 1));
      case 'append-member':
        return Buffer.concat([body, gzipSync(extra)]);
      case 'append-garbage':
        return Buffer.concat([body, extra]);
      case 'flip': {
        const copy = Buffer.from(body);
        const index = position % copy.length;
        copy[index] = (copy[index] ?? 0) ^ ((extra[0] ?? 1) | 1);
        return copy;
      }
      case 'cut-trailer':
        return body.subarray(0, body.length - 1 - (position % 8));
      case 'header-flags': {
        const copy = Buffer.from(body);
        copy[3] = extra[0] ?? 0;
        return copy;
      }
      default:
        return body;
    }
  });

describe('gzip handling matches the AWS CLI (Python zlib)', () => {
  it('fails exactly where Python fails and inflates the same bytes otherwise, for log files and digests', {
    timeout: 120_000,
  }, async () => {
    const inputs = fc.sample(damagedGzip, { numRuns: 400, seed: 20240301 });
    const python = await runPython(inputs);
    const disagreements: string[] = [];
    inputs.forEach((input, index) => {
      const expected = python[index];
      if (expected === undefined) throw new Error('python returned too few results');
      const ours = inflateFirstGzipMember(input);
      if ((ours.status === 'error') !== expected.stream.error) {
        disagreements.push(
          `#${index} stream: ours ${ours.status} ${ours.error ?? ''}, python error=${expected.stream.error}`,
        );
      } else if (!expected.stream.error) {
        if (sha256(ours.data) !== expected.stream.sha256) disagreements.push(`#${index} stream: different bytes`);
        if (ours.trailingBytes !== expected.stream.unused) {
          disagreements.push(
            `#${index} stream: trailing ${ours.trailingBytes} vs unused_data ${expected.stream.unused}`,
          );
        }
      }
      const digestOk = ours.status === 'complete';
      if (digestOk === expected.oneshot.error) {
        disagreements.push(`#${index} one-shot: ours ${ours.status}, python error=${expected.oneshot.error}`);
      } else if (digestOk && sha256(ours.data) !== expected.oneshot.sha256) {
        disagreements.push(`#${index} one-shot: different bytes`);
      }
      // decodeDigest must reject exactly the streams Python's one-shot decompress rejects.
      const decoded = decodeDigest(input);
      if (!decoded.ok && decoded.failure === 'gzip' && !expected.oneshot.error) {
        disagreements.push(`#${index} decodeDigest rejects a stream Python accepts`);
      }
    });
    expect(disagreements).toEqual([]);
    // The sample must actually contain each kind of outcome, or the comparison proves little.
    expect(python.some((entry) => entry.stream.error)).toBe(true);
    expect(python.some((entry) => !entry.stream.error && (entry.stream.unused ?? 0) > 0)).toBe(true);
    expect(python.some((entry) => !entry.stream.error && entry.oneshot.error)).toBe(true);
  });
});
