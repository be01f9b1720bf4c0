import { constants, crc32, inflateRawSync } from 'node:zlib';

/**
 * Decompresses the FIRST gzip member of a buffer the way zlib does with `wbits = MAX_WBITS | 16`, which is
 * what `aws cloudtrail validate-logs` uses:
 *
 * - log files go through `decompressobj`: data after the first member is ignored, and a stream cut short
 *   (missing deflate data or missing trailer) is not an error; what could be inflated is hashed;
 * - digests go through one-shot `zlib.decompress`: a cut stream is an error, trailing data is ignored.
 *
 * Node's gunzip would instead decompress every concatenated member, so hashing its output would disagree
 * with the CLI on a file with a second member appended. The header, CRC-32 and length checks follow
 * zlib's inflate so that errors land where the CLI's land.
 */
export interface FirstMemberResult {
  /** Inflated bytes of the first member (a prefix of it when the input is cut short). */
  readonly data: Buffer;
  /**
   * `complete`: the member's trailer was read and its CRC-32 and length matched.
   * `truncated`: the input ended before the trailer (zlib's streaming API reports no error for this).
   * `error`: zlib would raise; `error` says why.
   */
  readonly status: 'complete' | 'truncated' | 'error';
  /** Bytes after the first member's trailer (zlib's `unused_data`). */
  readonly trailingBytes: number;
  readonly error?: string;
}

const FTEXT_RESERVED = 0xe0;
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;

/** Upper bound for one inflated file; a decompression bomb becomes an `error` result, not an OOM. */
export const MAX_INFLATED_BYTES = 1024 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);

function truncated(data: Buffer = EMPTY): FirstMemberResult {
  return { data, status: 'truncated', trailingBytes: 0 };
}

function failed(error: string, data: Buffer = EMPTY): FirstMemberResult {
  return { data, status: 'error', trailingBytes: 0, error };
}

/** Skips a zero-terminated header field; returns the offset after the terminator, or -1 when cut short. */
function skipZeroTerminated(input: Buffer, offset: number): number {
  const end = input.indexOf(0, offset);
  return end === -1 ? -1 : end + 1;
}

export function inflateFirstGzipMember(bytes: Uint8Array, maxInflatedBytes = MAX_INFLATED_BYTES): FirstMemberResult {
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (input.length < 2) return truncated();
  if (input[0] !== 0x1f || input[1] !== 0x8b) return failed('incorrect header check');
  if (input.length < 3) return truncated();
  if (input[2] !== 8) return failed('unknown compression method');
  if (input.length < 4) return truncated();
  const flags = input[3] ?? 0;
  if ((flags & FTEXT_RESERVED) !== 0) return failed('unknown header flags set');
  let offset = 10;
  if (input.length < offset) return truncated();
  if ((flags & FEXTRA) !== 0) {
    if (input.length < offset + 2) return truncated();
    const extraLength = input.readUInt16LE(offset);
    offset += 2 + extraLength;
    if (input.length < offset) return truncated();
  }
  if ((flags & FNAME) !== 0) {
    offset = skipZeroTerminated(input, offset);
    if (offset === -1) return truncated();
  }
  if ((flags & FCOMMENT) !== 0) {
    offset = skipZeroTerminated(input, offset);
    if (offset === -1) return truncated();
  }
  if ((flags & FHCRC) !== 0) {
    if (input.length < offset + 2) return truncated();
    const expected = input.readUInt16LE(offset);
    if ((crc32(input.subarray(0, offset)) & 0xffff) !== expected) return failed('header crc mismatch');
    offset += 2;
  }

  const deflated = input.subarray(offset);
  let data: Buffer;
  let consumed: number;
  try {
    // Z_SYNC_FLUSH makes a cut stream yield what it has instead of throwing, like zlib's decompressobj.
    const result = inflateRawSync(deflated, {
      finishFlush: constants.Z_SYNC_FLUSH,
      maxOutputLength: maxInflatedBytes,
      info: true,
    }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    data = result.buffer;
    consumed = result.engine.bytesWritten;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return failed(message);
  }

  if (consumed >= deflated.length) {
    // Either the deflate stream was cut, or it ended exactly at the end of the input with no trailer.
    // Neither is an error for zlib's streaming API; tell them apart only to report the finding.
    return truncated(data);
  }
  const trailerStart = offset + consumed;
  if (input.length < trailerStart + 8) return truncated(data);
  const expectedCrc = input.readUInt32LE(trailerStart);
  const expectedLength = input.readUInt32LE(trailerStart + 4);
  if (crc32(data) >>> 0 !== expectedCrc) return failed('incorrect data check', data);
  if (data.length % 0x1_0000_0000 !== expectedLength) return failed('incorrect length check', data);
  return { data, status: 'complete', trailingBytes: input.length - (trailerStart + 8) };
}
