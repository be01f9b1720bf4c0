import { pipeline, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { type CloudTrailRecord, type Finding, FindingKind, parseRecord } from '@jit-access/audit';
import { messageOf } from '../errors.js';
import { RecordSplitter, SplitError } from './recordSplitter.js';
import type { RelevanceFilter } from './relevance.js';

/** Where the records of a log file go. */
export interface LogFileSink {
  record(record: CloudTrailRecord, source: string): void;
  finding(finding: Finding): void;
}

export interface ConsumeLogFileOptions {
  readonly filter: RelevanceFilter;
  /**
   * Largest decompressed size read from one file; CloudTrail's files are a few MB, so far beyond that is a
   * gzip bomb or not a log file. @default 1 GiB
   */
  readonly maxBytes?: number;
  /** Largest single record kept. @default 4 MiB */
  readonly maxRecordChars?: number;
}

export interface LogFileStats {
  /** Records found in the file (relevant or not). */
  records: number;
  /** Records handed to the sink. */
  relevant: number;
  /** Decompressed bytes read. */
  bytes: number;
  /** False when the file could not be read to its end (a finding says why). */
  complete: boolean;
}

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024 * 1024;

async function* withFirst(first: Uint8Array, rest: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield first;
  for (;;) {
    const next = await rest.next();
    if (next.done === true) return;
    yield next.value;
  }
}

/**
 * Streams one log file (gzip, detected by its magic bytes, or plain JSON) through the record splitter.
 * Nothing throws: a body that is not gzip though named `.gz`, a truncated gzip stream, a file that is not a
 * log file or a record that is not JSON become findings, and the records read before the problem are kept
 * (the integrity check tells whether the file is the one CloudTrail delivered).
 */
export async function consumeLogFile(
  body: AsyncIterable<Uint8Array>,
  source: string,
  sink: LogFileSink,
  options: ConsumeLogFileOptions,
): Promise<LogFileStats> {
  const stats: LogFileStats = { records: 0, relevant: 0, bytes: 0, complete: false };
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  const splitter = new RecordSplitter(
    options.maxRecordChars === undefined ? {} : { maxRecordChars: options.maxRecordChars },
  );
  const unreadable = (reason: string) => sink.finding({ kind: FindingKind.UnreadableFile, source, reason });
  const invalidFile = (reason: string) => sink.finding({ kind: FindingKind.InvalidLogFile, source, reason });

  const iterator = body[Symbol.asyncIterator]();
  let decompressed: AsyncIterable<Uint8Array>;
  let stream: Readable | undefined;
  try {
    const first = await iterator.next();
    if (first.done === true || first.value.length === 0) {
      invalidFile('empty file');
      return stats;
    }
    const head = first.value;
    const gzip = head[0] === 0x1f && (head.length < 2 || head[1] === 0x8b);
    if (gzip) {
      stream = pipeline(Readable.from(withFirst(head, iterator)), createGunzip(), () => undefined);
      decompressed = stream;
    } else if (source.endsWith('.gz')) {
      unreadable('named .gz but not gzip data (no gzip magic bytes)');
      await iterator.return?.();
      return stats;
    } else {
      decompressed = withFirst(head, iterator);
    }
  } catch (error) {
    unreadable(`cannot read: ${messageOf(error)}`);
    return stats;
  }

  const decoder = new StringDecoder('utf8');
  const handle = (items: ReturnType<RecordSplitter['push']>) => {
    for (const item of items) {
      stats.records += 1;
      if (item.type === 'oversize') {
        sink.finding({
          kind: FindingKind.InvalidRecord,
          source,
          index: item.index,
          reason: `record of ${item.chars} characters is larger than any CloudTrail event: skipped`,
        });
        continue;
      }
      if (!options.filter.mayMatter(item.text)) continue;
      let raw: unknown;
      try {
        raw = JSON.parse(item.text);
      } catch (error) {
        sink.finding({
          kind: FindingKind.InvalidRecord,
          source,
          index: item.index,
          reason: `invalid JSON: ${messageOf(error)}`,
        });
        continue;
      }
      if (!options.filter.matters(raw)) continue;
      const parsed = parseRecord(raw, { source, index: item.index });
      if (parsed.ok) {
        stats.relevant += 1;
        sink.record(parsed.record, source);
      } else {
        sink.finding(parsed.finding);
      }
    }
  };

  try {
    for await (const chunk of decompressed) {
      stats.bytes += chunk.length;
      if (stats.bytes > maxBytes) {
        unreadable(`larger than ${maxBytes} bytes once decompressed: not read further`);
        stream?.destroy();
        return stats;
      }
      handle(splitter.push(decoder.write(chunk as Buffer)));
    }
    handle(splitter.push(decoder.end()));
    splitter.end();
    stats.complete = true;
  } catch (error) {
    if (error instanceof SplitError) invalidFile(`${error.message} (${splitter.records} records read before)`);
    else unreadable(`${gzipReason(error)} (${splitter.records} records read before)`);
    stream?.destroy();
  }
  return stats;
}

function gzipReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (
    code === 'Z_BUF_ERROR' ||
    code === 'Z_DATA_ERROR' ||
    /unexpected end of file|incorrect header/i.test(messageOf(error))
  ) {
    return `gzip: ${messageOf(error)}`;
  }
  return `cannot read: ${messageOf(error)}`;
}
