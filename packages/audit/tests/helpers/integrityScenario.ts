import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  type CreateDigestFileInput,
  createDigestFile,
  createDigestKeyPair,
  createLogFile,
  type DigestFileObject,
  type DigestKeyPair,
  EXPORT_MANIFEST_FILE,
  type ExportManifest,
  formatIsoSeconds,
  type LogFileObject,
  type TrailLocation,
} from '../../src/integrity/index.js';

/**
 * Builds CloudTrail buckets on disk in the export format (objects as files + jit-audit-export.json), with
 * the product's own writer. The same folder feeds `createLocalFolderSource` and the loopback S3/CloudTrail
 * server that the AWS CLI talks to, so both verifiers read identical bytes.
 */

const HOUR = 3_600_000;

export interface ScenarioTrail {
  readonly bucket: string;
  readonly accountId: string;
  readonly region: string;
  readonly homeRegion: string;
  readonly trailName: string;
  readonly organizationId?: string | undefined;
  readonly prefix?: string | undefined;
}

export const DEFAULT_TRAIL: ScenarioTrail = {
  bucket: 'jit-log-archive',
  accountId: '111122223333',
  region: 'us-east-1',
  homeRegion: 'us-east-1',
  trailName: 'jit-trail',
};

/** First digest window starts here; digest i covers [BASE + i h, BASE + (i+1) h). */
export const BASE_TIME = new Date('2024-03-01T00:00:31Z');

// Key generation is the slow part of a scenario; one pair serves every scenario of a test file.
let sharedKeys: { primary: DigestKeyPair; other: DigestKeyPair } | undefined;
export function scenarioKeys(): { primary: DigestKeyPair; other: DigestKeyPair } {
  sharedKeys ??= { primary: createDigestKeyPair(), other: createDigestKeyPair() };
  return sharedKeys;
}

export class Scenario {
  readonly root: string;
  readonly trail: ScenarioTrail;
  readonly keys: { primary: DigestKeyPair; other: DigestKeyPair };
  readonly metadata = new Map<string, Record<string, string>>();
  publishedKeys: DigestKeyPair[];
  /** Whether the sidecar describes the trail (as an export made with `trailArns` does). */
  describeTrailInSidecar = true;
  private uniqueCounter = 0;

  constructor(root: string, trail: ScenarioTrail = DEFAULT_TRAIL) {
    this.root = root;
    this.trail = trail;
    this.keys = scenarioKeys();
    this.publishedKeys = [this.keys.primary];
  }

  get location(): TrailLocation {
    return {
      prefix: this.trail.prefix,
      organizationId: this.trail.organizationId,
      accountId: this.trail.accountId,
      region: this.trail.region,
      trailName: this.trail.trailName,
      homeRegion: this.trail.homeRegion,
    };
  }

  get trailArn(): string {
    return `arn:aws:cloudtrail:${this.trail.homeRegion}:${this.trail.accountId}:trail/${this.trail.trailName}`;
  }

  pathOf(key: string): string {
    return join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Uint8Array, metadata?: Record<string, string>): Promise<void> {
    await mkdir(dirname(this.pathOf(key)), { recursive: true });
    await writeFile(this.pathOf(key), body);
    if (metadata !== undefined) this.metadata.set(key, { ...metadata });
  }

  async read(key: string): Promise<Buffer> {
    return readFile(this.pathOf(key));
  }

  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key));
    this.metadata.delete(key);
  }

  /** Moves an object (and its metadata) to another key, as `aws s3 mv` would. */
  async move(from: string, to: string): Promise<void> {
    const body = await this.read(from);
    const metadata = this.metadata.get(from);
    await this.remove(from);
    await this.put(to, body, metadata);
  }

  async addLogFile(time: Date, recordCount = 3): Promise<LogFileObject> {
    this.uniqueCounter += 1;
    const uniqueId = `u${String(this.uniqueCounter).padStart(15, '0')}`;
    const records = Array.from({ length: recordCount }, (_, index) => ({
      eventVersion: '1.09',
      eventTime: formatIsoSeconds(new Date(time.getTime() - (recordCount - index) * 60_000)),
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      awsRegion: this.trail.region,
      recipientAccountId: this.trail.accountId,
      eventID: `00000000-0000-4000-8000-${String(this.uniqueCounter * 100 + index).padStart(12, '0')}`,
    }));
    const log = createLogFile({ bucket: this.trail.bucket, trail: this.location, time, uniqueId, records });
    await this.put(log.key, log.body);
    return log;
  }

  async addDigest(input: {
    start: Date;
    end: Date;
    logs: readonly LogFileObject[];
    previous?: CreateDigestFileInput['previous'];
    signingKey?: DigestKeyPair | undefined;
    backfill?: { generatedAt: Date } | undefined;
  }): Promise<DigestFileObject> {
    const digest = createDigestFile({
      bucket: this.trail.bucket,
      trail: this.location,
      digestStartTime: input.start,
      digestEndTime: input.end,
      logFiles: input.logs,
      previous: input.previous,
      signingKey: input.signingKey ?? this.keys.primary,
      backfill: input.backfill,
    });
    await this.put(digest.key, digest.body, { ...digest.metadata });
    return digest;
  }

  /**
   * Writes `count` hourly digests starting at `from`, each listing `logsPerDigest` log files delivered in
   * its window, chained to `previous` (or starting a chain).
   */
  async addChain(input: {
    from: Date;
    count: number;
    logsPerDigest?: number;
    previous?: DigestFileObject | undefined;
    signingKeys?: readonly (DigestKeyPair | undefined)[];
  }): Promise<{ digests: DigestFileObject[]; logs: LogFileObject[][] }> {
    const digests: DigestFileObject[] = [];
    const logs: LogFileObject[][] = [];
    let previous = input.previous;
    for (let index = 0; index < input.count; index += 1) {
      const start = new Date(input.from.getTime() + index * HOUR);
      const end = new Date(start.getTime() + HOUR);
      const windowLogs: LogFileObject[] = [];
      for (let log = 0; log < (input.logsPerDigest ?? 2); log += 1) {
        windowLogs.push(await this.addLogFile(new Date(start.getTime() + (10 + log * 25) * 60_000)));
      }
      const digest = await this.addDigest({
        start,
        end,
        logs: windowLogs,
        previous,
        signingKey: input.signingKeys?.[index],
      });
      digests.push(digest);
      logs.push(windowLogs);
      previous = digest;
    }
    return { digests, logs };
  }

  /** Writes the sidecar; call after the last change. */
  async save(): Promise<void> {
    const manifest: ExportManifest = {
      formatVersion: 1,
      bucket: this.trail.bucket,
      prefix: null,
      exportedAt: '2024-03-02T00:00:00.000Z',
      metadata: Object.fromEntries([...this.metadata.entries()].sort(([a], [b]) => (a < b ? -1 : 1))),
      publicKeys: this.publishedKeys.map((key) => ({
        fingerprint: key.fingerprint,
        value: key.publicKeyDer.toString('base64'),
        validityStartTime: '2024-01-01T00:00:00Z',
        validityEndTime: '2025-01-01T00:00:00Z',
      })),
      trails: !this.describeTrailInSidecar
        ? []
        : [
            {
              arn: this.trailArn,
              name: this.trail.trailName,
              bucket: this.trail.bucket,
              prefix: this.trail.prefix ?? null,
              homeRegion: this.trail.homeRegion,
              isOrganizationTrail: this.trail.organizationId !== undefined,
              logFileValidationEnabled: true,
            },
          ],
    };
    await mkdir(this.root, { recursive: true });
    await writeFile(join(this.root, EXPORT_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  }
}

export function hoursAfterBase(hours: number): Date {
  return new Date(BASE_TIME.getTime() + hours * HOUR);
}
