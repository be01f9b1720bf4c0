import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EXPORT_MANIFEST_FILE } from '../../integrity/exportManifest.js';
import { invalidInput } from '../errors.js';
import { FindingKind, type RecordSource, type SourceItem } from '../types.js';
import { DEFAULT_MAX_LOG_FILE_BYTES, readLogFile } from './logFile.js';

export interface LocalSourceOptions {
  /** A folder (searched recursively) or one log file. */
  readonly path: string;
  /** Largest file accepted, compressed or not. @default DEFAULT_MAX_LOG_FILE_BYTES */
  readonly maxBytes?: number;
}

const LOG_FILE = /\.json(\.gz)?$/i;

/**
 * Digest files are `.json.gz` too but are not log files (they belong to `jit-audit verify`); neither are
 * dot-files nor the sidecar `jit-audit export` writes. All are skipped rather than reported as bad log files.
 */
function isCandidate(name: string, dirPath: string): boolean {
  if (name.startsWith('.') || name === EXPORT_MANIFEST_FILE) return false;
  if (name.includes('_CloudTrail-Digest_')) return false;
  if (/(^|[\\/])CloudTrail-Digest([\\/]|$)/.test(dirPath)) return false;
  return LOG_FILE.test(name);
}

async function isFileBehindLink(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function* walk(dir: string): AsyncGenerator<string | { error: string; path: string }> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    yield { path: dir, error: error instanceof Error ? error.message : String(error) };
    return;
  }
  // Sorted so that runs over the same folder list records (and findings) in the same order.
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'CloudTrail-Digest' || entry.name.startsWith('.')) continue;
      yield* walk(path);
    } else if (
      (entry.isFile() || (entry.isSymbolicLink() && (await isFileBehindLink(path)))) &&
      isCandidate(entry.name, dir)
    ) {
      // Linked files are followed (exports are often assembled from links); linked folders are not, so a
      // link loop cannot trap the walk.
      yield path;
    }
  }
}

/**
 * Records from a local folder of delivered log files (an export of the trail bucket, or the fixture corpora),
 * read one file at a time so memory stays bounded by the largest file, whatever the folder holds.
 */
export async function* localLogSource(options: LocalSourceOptions): RecordSource {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_LOG_FILE_BYTES;
  let rootIsFile: boolean;
  try {
    rootIsFile = (await stat(options.path)).isFile();
  } catch {
    throw invalidInput('--local', options.path, 'expected an existing folder of .json / .json.gz log files');
  }
  const paths: AsyncIterable<string | { error: string; path: string }> = rootIsFile
    ? (async function* () {
        yield options.path;
      })()
    : walk(options.path);

  const load = async (path: string): Promise<SourceItem[]> => {
    try {
      const info = await stat(path);
      if (info.size > maxBytes) return [finding(path, `larger than ${maxBytes} bytes`)];
      return await readLogFile(await readFile(path), path, { maxBytes });
    } catch (error) {
      return [finding(path, `cannot read: ${error instanceof Error ? error.message : String(error)}`)];
    }
  };
  const entries = paths[Symbol.asyncIterator]();
  const start = async (): Promise<Promise<SourceItem[]> | undefined> => {
    const next = await entries.next();
    if (next.done === true) return undefined;
    const entry = next.value;
    return typeof entry === 'string'
      ? load(entry)
      : Promise.resolve([finding(entry.path, `cannot list folder: ${entry.error}`)]);
  };

  // One file ahead: its read and gunzip (libuv threads) overlap the correlation of the current one.
  let pending = await start();
  while (pending !== undefined) {
    const current = pending;
    pending = await start();
    for (const item of await current) yield item;
  }
}

function finding(source: string, reason: string): SourceItem {
  return { type: 'finding', finding: { kind: FindingKind.UnreadableFile, source, reason } };
}
