import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  createDigestFile,
  createLogFile,
  type DigestFileObject,
  type DigestKeyPair,
  EXPORT_MANIFEST_FILE,
  type ExportManifest,
  type LogFileObject,
} from '@jit-access/audit';

/**
 * Writes a trail the way CloudTrail delivers it — gzip log files and signed, chained digests in the real
 * key layout — with the audit library's writer, into a folder in the export format (unit tests) or an S3
 * bucket (integration tests).
 */
export interface TrailObject {
  readonly key: string;
  readonly body: Uint8Array;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface ObjectWriter {
  put(object: TrailObject): Promise<void>;
}

export interface TrailOptions {
  readonly bucket: string;
  readonly accountId: string;
  readonly region: string;
  readonly trailName?: string;
  readonly homeRegion?: string;
  readonly organizationId?: string;
  readonly keyPair: DigestKeyPair;
  readonly writer: ObjectWriter;
}

export class TrailBuilder {
  private pending: LogFileObject[] = [];
  private previous: DigestFileObject | undefined;
  private digestStart: Date | undefined;
  private unique = 0;

  constructor(readonly options: TrailOptions) {}

  get location() {
    return {
      accountId: this.options.accountId,
      region: this.options.region,
      trailName: this.options.trailName ?? 'jit-trail',
      homeRegion: this.options.homeRegion ?? this.options.region,
      ...(this.options.organizationId === undefined ? {} : { organizationId: this.options.organizationId }),
    };
  }

  /** Delivers one log file at `time` holding `records`. */
  async log(time: Date, records: readonly Record<string, unknown>[]): Promise<LogFileObject> {
    this.unique += 1;
    const file = createLogFile({
      bucket: this.options.bucket,
      trail: this.location,
      time,
      uniqueId: `T${this.options.accountId.slice(-4)}${String(this.unique).padStart(11, '0')}`,
      records: records as { eventTime: string }[],
    });
    await this.options.writer.put({ key: file.key, body: file.body });
    this.pending.push(file);
    this.digestStart ??= new Date(time.getTime() - 60_000);
    return file;
  }

  /** Delivers the digest that lists every log file since the previous digest. */
  async digest(end: Date): Promise<DigestFileObject> {
    const start =
      this.previous === undefined
        ? (this.digestStart ?? new Date(end.getTime() - 3_600_000))
        : new Date(Date.parse(this.previous.digestEndTime));
    const digest = createDigestFile({
      bucket: this.options.bucket,
      trail: this.location,
      digestStartTime: start,
      digestEndTime: end,
      logFiles: this.pending,
      previous: this.previous,
      signingKey: this.options.keyPair,
    });
    await this.options.writer.put({ key: digest.key, body: digest.body, metadata: digest.metadata });
    this.pending = [];
    this.previous = digest;
    return digest;
  }
}

/** A folder in the audit library's export format; call `save()` after the last object. */
export class FolderWriter implements ObjectWriter {
  private readonly metadata = new Map<string, Readonly<Record<string, string>>>();

  constructor(
    readonly root: string,
    readonly bucket: string,
    readonly keyPairs: readonly DigestKeyPair[],
  ) {}

  async put(object: TrailObject): Promise<void> {
    const path = join(this.root, ...object.key.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, object.body);
    if (object.metadata !== undefined) this.metadata.set(object.key, object.metadata);
  }

  async save(): Promise<void> {
    const manifest: ExportManifest = {
      formatVersion: 1,
      bucket: this.bucket,
      prefix: null,
      exportedAt: '2026-01-01T00:00:00Z',
      metadata: Object.fromEntries(this.metadata),
      publicKeys: this.keyPairs.map((key) => ({
        fingerprint: key.fingerprint,
        value: key.publicKeyDer.toString('base64'),
        validityStartTime: '2020-01-01T00:00:00Z',
        validityEndTime: null,
      })),
      trails: [],
    };
    await mkdir(this.root, { recursive: true });
    await writeFile(join(this.root, EXPORT_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  }
}

export function s3Writer(client: Pick<S3Client, 'send'>, bucket: string): ObjectWriter {
  return {
    async put(object) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: object.key,
          Body: object.body,
          ...(object.metadata === undefined ? {} : { Metadata: { ...object.metadata } }),
          ContentMD5: createHash('md5').update(object.body).digest('base64'),
        }),
      );
    },
  };
}
