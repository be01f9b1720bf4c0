import { createHash } from 'node:crypto';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inflateFirstGzipMember } from '../../src/integrity/index.js';

const TEXT = Buffer.from('{"Records":[{"eventName":"GetObject"}]}'.repeat(50), 'utf8');

/** A gzip member with a hand-made header, to exercise the optional header fields. */
function member(options: { flags?: number; extra?: Buffer; name?: string; comment?: string; headerCrc?: number } = {}) {
  const flags = options.flags ?? 0;
  const header: Buffer[] = [Buffer.from([0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 3])];
  if (options.extra !== undefined) {
    const length = Buffer.alloc(2);
    length.writeUInt16LE(options.extra.length);
    header.push(length, options.extra);
  }
  if (options.name !== undefined) header.push(Buffer.from(`${options.name}\0`, 'latin1'));
  if (options.comment !== undefined) header.push(Buffer.from(`${options.comment}\0`, 'latin1'));
  const headerBytes = Buffer.concat(header);
  const parts = [headerBytes];
  if ((flags & 0x02) !== 0) {
    const crc = Buffer.alloc(2);
    crc.writeUInt16LE(options.headerCrc ?? crc32(headerBytes) & 0xffff);
    parts.push(crc);
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(TEXT) >>> 0, 0);
  trailer.writeUInt32LE(TEXT.length, 4);
  return Buffer.concat([...parts, deflateRawSync(TEXT), trailer]);
}

describe('inflateFirstGzipMember', () => {
  it('inflates a single member and checks its CRC and length', () => {
    expect(inflateFirstGzipMember(gzipSync(TEXT))).toEqual({ data: TEXT, status: 'complete', trailingBytes: 0 });
  });

  it('returns only the first member when a second one is appended, and counts the rest', () => {
    const second = gzipSync(Buffer.from('{"Records":[{"eventName":"Injected"}]}'));
    const result = inflateFirstGzipMember(Buffer.concat([gzipSync(TEXT), second]));
    expect(result.data).toEqual(TEXT);
    expect(result.status).toBe('complete');
    expect(result.trailingBytes).toBe(second.length);
  });

  it('returns the whole content, flagged truncated, when only the trailer is cut off', () => {
    const body = gzipSync(TEXT);
    const result = inflateFirstGzipMember(body.subarray(0, body.length - 8));
    expect(result.status).toBe('truncated');
    expect(result.data).toEqual(TEXT);
  });

  it('returns a prefix of the content when the deflate stream is cut, without an error', () => {
    const body = gzipSync(Buffer.from(createHash('sha512').update('seed').digest('hex').repeat(400)));
    const result = inflateFirstGzipMember(body.subarray(0, Math.floor(body.length / 2)));
    expect(result.status).toBe('truncated');
    expect(result.data.length).toBeGreaterThan(0);
  });

  it('reports a CRC or length mismatch like zlib', () => {
    const body = gzipSync(TEXT);
    const badCrc = Buffer.from(body);
    badCrc.writeUInt32LE((badCrc.readUInt32LE(body.length - 8) ^ 1) >>> 0, body.length - 8);
    expect(inflateFirstGzipMember(badCrc)).toMatchObject({ status: 'error', error: 'incorrect data check' });
    const badLength = Buffer.from(body);
    badLength.writeUInt32LE(TEXT.length + 1, body.length - 4);
    expect(inflateFirstGzipMember(badLength)).toMatchObject({ status: 'error', error: 'incorrect length check' });
  });

  it('reports a non-gzip header, a foreign method and reserved flags like zlib', () => {
    expect(inflateFirstGzipMember(TEXT)).toMatchObject({ status: 'error', error: 'incorrect header check' });
    const method = gzipSync(TEXT);
    method[2] = 7;
    expect(inflateFirstGzipMember(method)).toMatchObject({ status: 'error', error: 'unknown compression method' });
    expect(inflateFirstGzipMember(member({ flags: 0x20 }))).toMatchObject({
      status: 'error',
      error: 'unknown header flags set',
    });
  });

  it('skips the optional extra, name and comment fields and checks the header CRC', () => {
    const full = member({ flags: 0x04 | 0x08 | 0x10 | 0x02, extra: Buffer.from('xy'), name: 'log.json', comment: 'c' });
    expect(inflateFirstGzipMember(full)).toEqual({ data: TEXT, status: 'complete', trailingBytes: 0 });
    const badHeaderCrc = member({ flags: 0x02, headerCrc: 1 });
    expect(inflateFirstGzipMember(badHeaderCrc)).toMatchObject({ status: 'error', error: 'header crc mismatch' });
  });

  it('treats empty or header-only input as a cut stream with no data', () => {
    expect(inflateFirstGzipMember(new Uint8Array())).toEqual({
      data: Buffer.alloc(0),
      status: 'truncated',
      trailingBytes: 0,
    });
    expect(inflateFirstGzipMember(gzipSync(TEXT).subarray(0, 10)).status).toBe('truncated');
  });

  it('turns a decompression bomb into an error instead of exhausting memory', () => {
    const bomb = gzipSync(Buffer.alloc(4 * 1024 * 1024));
    expect(inflateFirstGzipMember(bomb, 1024 * 1024).status).toBe('error');
  });
});
