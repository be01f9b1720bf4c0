import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { type CloudTrailRecord, parseRecord } from '../record.js';
import { FindingKind, type SourceItem } from '../types.js';

const gunzipAsync = promisify(gunzip);

/**
 * CloudTrail log files are a few MB at most; a file far beyond that is not a log file (or is a gzip bomb),
 * so one file's decompressed size is bounded and the whole file can be parsed at once.
 */
export const DEFAULT_MAX_LOG_FILE_BYTES = 256 * 1024 * 1024;

export interface ReadLogFileOptions {
  /** Largest decompressed size accepted. @default DEFAULT_MAX_LOG_FILE_BYTES */
  readonly maxBytes?: number;
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The records of one delivered log file: `{"Records":[...]}` (what CloudTrail writes) or a bare JSON array
 * (how Stratus Red Team publishes its detonation logs). Gzip is detected by its magic bytes, not by name;
 * a name ending `.gz` without them is a finding. Bad files and bad records become findings; nothing throws.
 */
export async function readLogFile(
  bytes: Uint8Array,
  source: string,
  options: ReadLogFileOptions = {},
): Promise<SourceItem[]> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_LOG_FILE_BYTES;
  let text: string;
  try {
    let raw: Uint8Array = bytes;
    if (isGzip(bytes)) {
      raw = await gunzipAsync(bytes, { maxOutputLength: maxBytes });
    } else if (source.endsWith('.gz')) {
      return [unreadable(source, 'named .gz but not gzip data (no gzip magic bytes)')];
    }
    if (raw.length > maxBytes) {
      return [unreadable(source, `larger than ${maxBytes} bytes once decompressed`)];
    }
    text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  } catch (error) {
    const reason = messageOf(error);
    return [
      unreadable(
        source,
        /maxOutputLength|Cannot create a Buffer larger/i.test(reason)
          ? `larger than ${maxBytes} bytes once decompressed`
          : `gzip: ${reason}`,
      ),
    ];
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return [
      {
        type: 'finding',
        finding: { kind: FindingKind.InvalidLogFile, source, reason: `invalid JSON: ${messageOf(error)}` },
      },
    ];
  }
  text = '';

  let records: unknown[];
  if (Array.isArray(parsed)) {
    records = parsed;
  } else if (
    parsed !== null &&
    typeof parsed === 'object' &&
    Array.isArray((parsed as { Records?: unknown }).Records)
  ) {
    records = (parsed as { Records: unknown[] }).Records;
  } else {
    return [
      {
        type: 'finding',
        finding: {
          kind: FindingKind.InvalidLogFile,
          source,
          reason: 'not a CloudTrail log file: expected {"Records":[...]} or a JSON array of records',
        },
      },
    ];
  }

  const items: SourceItem[] = [];
  const parsedRecords: CloudTrailRecord[] = [];
  for (let index = 0; index < records.length; index += 1) {
    const result = parseRecord(records[index], { source, index });
    if (result.ok) parsedRecords.push(result.record);
    else items.push({ type: 'finding', finding: result.finding });
  }
  items.push({ type: 'records', records: parsedRecords, source });
  return items;
}

function unreadable(source: string, reason: string): SourceItem {
  return { type: 'finding', finding: { kind: FindingKind.UnreadableFile, source, reason } };
}
