import { type DigestDocument, decodeDigest, HASH_ALGORITHM, SIGNATURE_ALGORITHM } from './digest.js';
import { IntegrityError, IntegrityErrorCode } from './errors.js';
import { inflateFirstGzipMember } from './gzip.js';
import {
  cloudTrailDigestKey,
  cloudTrailDigestPrefix,
  formatDigestKeyTime,
  formatIsoSeconds,
  isValidAccountId,
  isValidOrganizationId,
  isValidRegion,
  parseCompactTime,
  parseTrailArn,
} from './keys.js';
import { createLimiter, type Limiter } from './limiter.js';
import { digestStringToSign, sha256Hex, verifyDigestSignature } from './signing.js';
import type { IntegritySource, PublicKeyInfo, SourceObject } from './source.js';

/**
 * Verifies a trail's digest chain and log files the way `aws cloudtrail validate-logs` does (same
 * listing window, same walk from the newest digest back along `previousDigestS3Object`, same fallbacks
 * when a digest is missing or invalid, same verdict per file), and adds the checks the CLI leaves out
 * (`strictChain`): that each digest's `previousDigestSignature` and `previousDigestHashValue` match the
 * digest it points to, digests present in the range but never reached, appended gzip members, and more
 * (see README.md). Downloads run in parallel with a bound; the chain walk itself is sequential because
 * each digest names the next one.
 */

export type DigestVerdict =
  | 'valid'
  /** The object does not exist (`INVALID: not found`). */
  | 'missing'
  /** Not gzip, cut short, not JSON, or missing required fields (`INVALID: invalid format`). */
  | 'invalid-format'
  /** No signature metadata, a non-hex signature, or a signature that does not verify. */
  | 'invalid-signature'
  /** `digestS3Bucket`/`digestS3Object` inside the digest name another location. */
  | 'moved'
  /** No public key with the digest's fingerprint for that time. */
  | 'unknown-key'
  /** The key with that fingerprint is not a DER PKCS#1 RSA key. */
  | 'invalid-key'
  /** Anything else the CLI reports as `INVALID: <reason>` (e.g. an unparseable date). */
  | 'invalid'
  /** Reading the object failed (e.g. access denied); the CLI would stop with an error. */
  | 'unreadable';

export type LogVerdict = 'valid' | 'invalid-hash' | 'missing' | 'invalid-format' | 'unreadable';

export interface DigestResult {
  readonly bucket: string;
  readonly key: string;
  readonly backfill: boolean;
  readonly verdict: DigestVerdict;
  /** The CLI's status text for this file: `valid` or `INVALID: …`. */
  readonly status: string;
  readonly digestStartTime?: string;
  readonly digestEndTime?: string;
  readonly publicKeyFingerprint?: string;
  readonly logFileCount?: number;
}

export interface LogResult {
  readonly bucket: string;
  readonly key: string;
  /** The digest that lists this log file. */
  readonly digestKey: string;
  readonly backfill: boolean;
  readonly verdict: LogVerdict;
  readonly status: string;
  readonly expectedHash: string;
  readonly actualHash?: string;
}

/** A digest that starts a chain while older digests exist: logging or validation was stopped. */
export interface ChainGap {
  readonly backfill: boolean;
  /** The newer digest (the chain's first). */
  readonly newerDigestKey: string;
  /** The next older digest found in the bucket. */
  readonly olderDigestKey: string;
  /** End of the older digest (from its key). */
  readonly from: string;
  /** Start of the newer digest. */
  readonly to: string;
}

export type FindingCode =
  /** A digest's `previousDigestSignature` differs from the previous digest's signature. */
  | 'previous-signature-mismatch'
  /** A digest's `previousDigestHashValue` differs from the SHA-256 of the previous digest. */
  | 'previous-hash-mismatch'
  /** A digest points to a previous digest but carries no `previousDigestHashValue`. */
  | 'previous-hash-missing'
  /** `previousDigestHashAlgorithm` is not SHA-256. */
  | 'previous-hash-algorithm'
  /** A digest does not start where the previous one ended. */
  | 'chain-time-mismatch'
  /** The chain is interrupted by a missing or invalid digest; the span between cannot be verified. */
  | 'chain-break'
  /** A digest in the range that the chain walk never reached (e.g. a copy under another timestamp). */
  | 'unreferenced-digest'
  /** A key shaped like the trail's digest whose timestamp cannot be read; it can cut the CLI's listing short. */
  | 'unrecognised-digest-key'
  /** Digests hidden from the CLI's listing by an unrecognised key sorting before them. */
  | 'listing-cut-short'
  /** Data after the first gzip member; the CLI ignores it, a reader that gunzips every member does not. */
  | 'trailing-gzip-data'
  /** The gzip stream ends before its trailer (CRC-32 and length); the CLI does not notice. */
  | 'gzip-trailer-missing'
  /** `signature-algorithm` metadata or `digestSignatureAlgorithm` is not SHA256withRSA. */
  | 'signature-algorithm'
  /** A digest points to itself or to a digest already visited. */
  | 'chain-loop'
  /** No public key for the requested range (the CLI stops with an error). */
  | 'no-public-keys'
  /** No digest in the requested range: nothing was verified. */
  | 'no-digests';

export interface Finding {
  readonly code: FindingCode;
  readonly severity: 'error' | 'warning';
  readonly bucket?: string;
  readonly key?: string;
  readonly message: string;
}

export interface VerifyProgress {
  readonly phase: 'listing' | 'verifying' | 'done';
  readonly digestsListed: number;
  readonly digestsChecked: number;
  readonly logsQueued: number;
  readonly logsChecked: number;
}

export interface VerifyTrailOptions {
  readonly source: IntegritySource;
  /** Inclusive start of the range (digests whose end time is at or after it). */
  readonly start: Date;
  /** Inclusive end of the range; digests up to one hour later are read, as the CLI does. */
  readonly end: Date;
  /** `arn:aws:cloudtrail:<home-region>:<owner account>:trail/<name>`. Alternatively trailName + accountId + region. */
  readonly trailArn?: string | undefined;
  readonly trailName?: string | undefined;
  /** Account whose digests are validated; for an organization trail, the member account. @default the ARN's account */
  readonly accountId?: string | undefined;
  /** Region whose digests are validated. @default the trail's home region */
  readonly region?: string | undefined;
  /** The trail's home region when no ARN is given. @default region */
  readonly homeRegion?: string | undefined;
  /** `o-…` for an organization trail's layout. */
  readonly organizationId?: string | undefined;
  /** Bucket holding the digests. @default the source's bucket (a local export knows it) */
  readonly bucket?: string | undefined;
  /** The trail's S3 key prefix, without leading or trailing `/`. */
  readonly prefix?: string | undefined;
  /** Run the checks beyond the CLI's. @default true */
  readonly strictChain?: boolean | undefined;
  /** Downloads in flight at once. @default 16 */
  readonly concurrency?: number | undefined;
  readonly onProgress?: ((progress: VerifyProgress) => void) | undefined;
}

export interface FileCounts {
  readonly valid: number;
  readonly invalid: number;
}

export interface VerifyResult {
  readonly trail: {
    readonly arn: string | undefined;
    readonly name: string;
    readonly accountId: string;
    readonly region: string;
    readonly homeRegion: string;
    readonly organizationId: string | undefined;
    readonly bucket: string;
    readonly prefix: string | undefined;
  };
  readonly source: string;
  readonly requested: { readonly start: string; readonly end: string };
  /** The span covered by valid digests, clipped to the request (the CLI's "Results found for"). */
  readonly found: { readonly start: string; readonly end: string } | undefined;
  readonly digests: readonly DigestResult[];
  readonly logs: readonly LogResult[];
  readonly gaps: readonly ChainGap[];
  readonly findings: readonly Finding[];
  readonly counts: { readonly digests: FileCounts; readonly backfillDigests: FileCounts; readonly logs: FileCounts };
  readonly publicKeys: readonly {
    readonly fingerprint: string;
    readonly validityStartTime?: string;
    readonly validityEndTime?: string;
  }[];
  readonly strictChain: boolean;
  /** True when every file is valid, at least one digest was found and (strict) no error finding exists. */
  readonly ok: boolean;
}

interface TrailContext {
  readonly arn: string | undefined;
  readonly trailName: string;
  readonly accountId: string;
  readonly sourceRegion: string;
  readonly homeRegion: string;
  readonly organizationId: string | undefined;
  readonly prefix: string | undefined;
}

const HOUR = 3_600_000;
const MINUTE = 60_000;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/;

function invalidOption(field: string, value: unknown, allowed: string): IntegrityError {
  return new IntegrityError(
    IntegrityErrorCode.InvalidOption,
    `${field}: got ${JSON.stringify(value)}; allowed: ${allowed}`,
  );
}

function assertDate(field: string, value: unknown): asserts value is Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw invalidOption(field, value instanceof Date ? 'Invalid Date' : value, 'a valid Date');
  }
}

function resolveTrail(options: VerifyTrailOptions): TrailContext {
  let trailName: string;
  let homeRegion: string;
  let accountId: string;
  if (options.trailArn !== undefined) {
    const parsed = parseTrailArn(options.trailArn);
    trailName = parsed.trailName;
    homeRegion = parsed.homeRegion;
    accountId = options.accountId ?? parsed.accountId;
  } else {
    if (options.trailName === undefined || options.accountId === undefined || options.region === undefined) {
      throw new IntegrityError(
        IntegrityErrorCode.InvalidOption,
        'trail: got neither trailArn nor trailName + accountId + region; allowed: one of the two',
      );
    }
    trailName = options.trailName;
    accountId = options.accountId;
    homeRegion = options.homeRegion ?? options.region;
  }
  const sourceRegion = options.region ?? homeRegion;
  if (!isValidAccountId(accountId)) throw invalidOption('accountId', accountId, 'a 12-digit AWS account id');
  if (!isValidRegion(sourceRegion)) throw invalidOption('region', sourceRegion, 'an AWS region code such as us-east-1');
  if (!isValidRegion(homeRegion)) throw invalidOption('homeRegion', homeRegion, 'an AWS region code such as us-east-1');
  if (options.organizationId !== undefined && !isValidOrganizationId(options.organizationId)) {
    throw invalidOption('organizationId', options.organizationId, "'o-' followed by 10-32 lowercase letters or digits");
  }
  const context: TrailContext = {
    arn: options.trailArn,
    trailName,
    accountId,
    sourceRegion,
    homeRegion,
    organizationId: options.organizationId,
    prefix: options.prefix,
  };
  // Validates the trail name and prefix with the key builder's rules.
  cloudTrailDigestKey({ ...keyLocation(context), endTime: new Date(0) });
  return context;
}

function keyLocation(context: TrailContext) {
  return {
    prefix: context.prefix,
    organizationId: context.organizationId,
    accountId: context.accountId,
    region: context.sourceRegion,
    trailName: context.trailName,
    homeRegion: context.homeRegion,
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** The CLI's filter for "digests of this trail" (its `_create_digest_key_regex`). */
function trailDigestKeyPattern(context: TrailContext): RegExp {
  const org = context.organizationId === undefined ? '' : `${escapeRegExp(context.organizationId)}/`;
  const account = escapeRegExp(context.accountId);
  const region = escapeRegExp(context.sourceRegion);
  const body = `AWSLogs/${org}${account}/CloudTrail-Digest/${region}/\\d+/\\d+/\\d+/${account}_CloudTrail-Digest_${region}_${escapeRegExp(
    context.trailName,
  )}_${escapeRegExp(context.homeRegion)}_.+(?:_backfill)?\\.json\\.gz`;
  const prefix = context.prefix === undefined ? '' : `${escapeRegExp(context.prefix)}/`;
  return new RegExp(`^${prefix}${body}$`);
}

function isBackfillKey(key: string): boolean {
  return key.endsWith('_backfill.json.gz');
}

/** The timestamp text of a digest key, cut at fixed offsets like the CLI's `extract_digest_key_date`. */
function keyDateText(key: string): string {
  return isBackfillKey(key) ? key.slice(-33, -17) : key.slice(-24, -8);
}

function parseDocumentTime(text: string): number | undefined {
  if (!ISO_TIME.test(text)) return undefined;
  const value = Date.parse(text);
  return Number.isNaN(value) ? undefined : value;
}

type Fetched =
  | { readonly kind: 'found'; readonly object: SourceObject }
  | { readonly kind: 'missing' }
  | { readonly kind: 'error'; readonly message: string };

type DigestOutcome =
  | {
      readonly ok: true;
      readonly document: DigestDocument;
      readonly inflatedHash: string;
      readonly signature: string;
      readonly startMs: number;
      readonly endMs: number;
      readonly trailingBytes: number;
      readonly metadata: Readonly<Record<string, string>>;
    }
  | { readonly ok: false; readonly verdict: DigestVerdict; readonly status: string };

interface Listing {
  readonly standard: string[];
  readonly backfill: string[];
}

interface ChainLink {
  readonly newerKey: string;
  readonly newerStart: string;
  readonly previousDigestSignature: string | null;
  readonly previousDigestHashValue: string | null;
  readonly previousDigestHashAlgorithm: string | null;
}

class Verifier {
  private readonly source: IntegritySource;
  private readonly context: TrailContext;
  private readonly start: Date;
  private readonly end: Date;
  private readonly strict: boolean;
  private readonly limiter: Limiter;
  private readonly prefetchWindow: number;
  private readonly onProgress: ((progress: VerifyProgress) => void) | undefined;
  private readonly pattern: RegExp;

  private readonly digestResults: DigestResult[] = [];
  private readonly logResults: (LogResult | undefined)[] = [];
  private readonly logTasks: Promise<void>[] = [];
  private readonly gaps: ChainGap[] = [];
  private readonly findings: Finding[] = [];
  private readonly visited = new Set<string>();
  private readonly prefetched = new Map<string, Promise<Fetched>>();
  private readonly prefetchScheduled = new Set<string>();
  private readonly listingCache = new Map<string, Listing>();
  private readonly usedKeys = new Map<string, PublicKeyInfo>();
  private foundStart: number | undefined;
  private foundEnd: number | undefined;
  private digestsListed = 0;
  private digestsChecked = 0;
  private logsChecked = 0;
  private phase: VerifyProgress['phase'] = 'listing';

  constructor(options: VerifyTrailOptions, context: TrailContext, concurrency: number) {
    this.source = options.source;
    this.context = context;
    this.start = options.start;
    this.end = options.end;
    this.strict = options.strictChain ?? true;
    this.limiter = createLimiter(concurrency);
    this.prefetchWindow = Math.max(4, concurrency * 2);
    this.onProgress = options.onProgress;
    this.pattern = trailDigestKeyPattern(context);
  }

  private progress(): void {
    this.onProgress?.({
      phase: this.phase,
      digestsListed: this.digestsListed,
      digestsChecked: this.digestsChecked,
      logsQueued: this.logResults.length,
      logsChecked: this.logsChecked,
    });
  }

  private finding(finding: Finding): void {
    if (this.strict || finding.code === 'no-digests' || finding.code === 'no-public-keys') this.findings.push(finding);
  }

  /** Lists digest keys in [start, end + 1h] like the CLI's `load_all_digest_keys_in_range`. */
  private async listDigests(bucket: string, endMs: number): Promise<Listing> {
    const cacheKey = `${bucket}\u0000${endMs}`;
    const cached = this.listingCache.get(cacheKey);
    if (cached !== undefined) return { standard: [...cached.standard], backfill: [...cached.backfill] };
    const location = keyLocation(this.context);
    const marker = cloudTrailDigestKey({ ...location, endTime: new Date(this.start.getTime() - MINUTE) });
    const prefix = cloudTrailDigestPrefix(location);
    const targetStart = formatDigestKeyTime(this.start);
    const targetEnd = formatDigestKeyTime(new Date(endMs + HOUR));
    const standard: string[] = [];
    const backfill: string[] = [];
    let cutBy: string | undefined;
    const hidden: string[] = [];
    try {
      for await (const key of this.source.listKeys({ bucket, prefix, startAfter: marker })) {
        if (!this.pattern.test(key)) continue;
        const dateText = keyDateText(key);
        const readable = parseCompactTime(dateText) !== undefined;
        if (cutBy !== undefined) {
          // Past the point where the CLI stopped: only look for digests it could not see.
          if (!readable) continue;
          if (dateText > targetEnd) break;
          if (dateText >= targetStart) hidden.push(key);
          continue;
        }
        if (dateText > targetEnd) {
          if (readable) break;
          cutBy = key;
          this.finding({
            code: 'unrecognised-digest-key',
            severity: 'error',
            bucket,
            key,
            message: `digest key ${key} has no readable timestamp; it sorts after the range end and stops \`aws cloudtrail validate-logs\` from listing further digests`,
          });
          continue;
        }
        if (dateText < targetStart) {
          if (!readable) {
            this.finding({
              code: 'unrecognised-digest-key',
              severity: 'warning',
              bucket,
              key,
              message: `digest key ${key} has no readable timestamp; ignored`,
            });
          }
          continue;
        }
        if (!readable) {
          this.finding({
            code: 'unrecognised-digest-key',
            severity: 'error',
            bucket,
            key,
            message: `digest key ${key} has no readable timestamp; not a digest CloudTrail wrote (the AWS CLI stops with an error on it)`,
          });
          continue;
        }
        (isBackfillKey(key) ? backfill : standard).push(key);
      }
    } catch (error) {
      if (error instanceof IntegrityError) throw error;
      throw new IntegrityError(
        IntegrityErrorCode.SourceUnavailable,
        `listing digests in ${bucket}/${prefix} failed: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    if (hidden.length > 0 && cutBy !== undefined) {
      this.finding({
        code: 'listing-cut-short',
        severity: 'error',
        bucket,
        key: cutBy,
        message: `${hidden.length} digest(s) in the range sort after ${cutBy} and are invisible to \`aws cloudtrail validate-logs\`; first: ${hidden[0]}`,
      });
    }
    const listing = { standard, backfill };
    this.listingCache.set(cacheKey, listing);
    return { standard: [...standard], backfill: [...backfill] };
  }

  private fetch(bucket: string, key: string, priority: 'high' | 'low'): Promise<Fetched> {
    return this.limiter.run(priority, async (): Promise<Fetched> => {
      try {
        const object = await this.source.getObject({ bucket, key });
        return object === undefined ? { kind: 'missing' } : { kind: 'found', object };
      } catch (error) {
        return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
      }
    });
  }

  private takeDigest(bucket: string, key: string): Promise<Fetched> {
    const cacheKey = `${bucket}\u0000${key}`;
    const cached = this.prefetched.get(cacheKey);
    if (cached !== undefined) {
      this.prefetched.delete(cacheKey);
      return cached;
    }
    return this.fetch(bucket, key, 'high');
  }

  /** Starts downloading the digests the walk will most likely need next (the older neighbours). */
  private prefetchBelow(
    bucket: string,
    listing: readonly string[],
    positions: ReadonlyMap<string, number>,
    key: string,
  ): void {
    const index = positions.get(key);
    if (index === undefined) return;
    for (let i = index - 1; i >= 0 && i >= index - this.prefetchWindow; i -= 1) {
      const candidate = listing[i];
      if (candidate === undefined) continue;
      const cacheKey = `${bucket}\u0000${candidate}`;
      if (this.prefetchScheduled.has(cacheKey) || this.visited.has(cacheKey)) continue;
      this.prefetchScheduled.add(cacheKey);
      this.prefetched.set(cacheKey, this.fetch(bucket, candidate, 'high'));
    }
  }

  private async loadPublicKeys(start: Date, end: Date): Promise<PublicKeyInfo[]> {
    try {
      return await this.source.listPublicKeys({ start, end });
    } catch (error) {
      if (error instanceof IntegrityError) throw error;
      throw new IntegrityError(
        IntegrityErrorCode.SourceUnavailable,
        `listing public keys failed: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }

  /** The CLI's `_load_and_validate_digest`, check for check and in the same order. */
  private async validateDigest(
    bucket: string,
    key: string,
    backfill: boolean,
    publicKeys: Map<string, PublicKeyInfo>,
  ): Promise<DigestOutcome> {
    const fetched = await this.takeDigest(bucket, key);
    if (fetched.kind === 'missing') return { ok: false, verdict: 'missing', status: 'INVALID: not found' };
    if (fetched.kind === 'error') return { ok: false, verdict: 'unreadable', status: `INVALID: ${fetched.message}` };
    const { body, metadata } = fetched.object;
    const decoded = decodeDigest(body);
    if (!decoded.ok && (decoded.failure === 'gzip' || decoded.failure === 'json')) {
      return { ok: false, verdict: 'invalid-format', status: 'INVALID: invalid format' };
    }
    const signature = metadata.signature;
    if (signature === undefined || metadata['signature-algorithm'] === undefined) {
      return { ok: false, verdict: 'invalid-signature', status: 'INVALID: signature verification failed' };
    }
    const generation = metadata['backfill-generation-timestamp'];
    if (isBackfillKey(key) && generation === undefined) {
      return { ok: false, verdict: 'invalid-format', status: 'INVALID: invalid format' };
    }
    if (!decoded.ok) return { ok: false, verdict: 'invalid-format', status: 'INVALID: invalid format' };
    const { document, inflated, trailingBytes } = decoded.value;
    if (document.digestS3Bucket !== bucket || document.digestS3Object !== key) {
      return { ok: false, verdict: 'moved', status: 'INVALID: has been moved from its original location' };
    }
    const fingerprint = document.digestPublicKeyFingerprint;
    if (!publicKeys.has(fingerprint) && backfill && generation !== undefined) {
      const generatedAt = parseDocumentTime(generation);
      if (generatedAt === undefined) {
        return { ok: false, verdict: 'invalid', status: `INVALID: Unable to parse date value: ${generation}` };
      }
      const from = new Date(generatedAt - HOUR);
      const to = new Date(generatedAt + HOUR);
      const loaded = await this.loadPublicKeys(from, to);
      if (loaded.length === 0) {
        return {
          ok: false,
          verdict: 'unknown-key',
          status: `INVALID: No public keys found between ${formatIsoSeconds(from)} and ${formatIsoSeconds(to)}`,
        };
      }
      for (const entry of loaded) publicKeys.set(entry.fingerprint, entry);
    }
    const publicKey = publicKeys.get(fingerprint);
    if (publicKey === undefined) {
      return {
        ok: false,
        verdict: 'unknown-key',
        status: `INVALID: public key not found in region ${this.context.homeRegion} for fingerprint ${fingerprint}`,
      };
    }
    const check = verifyDigestSignature({
      publicKeyDer: publicKey.value,
      signatureHex: signature,
      stringToSign: digestStringToSign({
        digestEndTime: document.digestEndTime,
        bucket: document.digestS3Bucket,
        key: document.digestS3Object,
        digest: inflated,
        previousSignature: document.previousDigestSignature,
      }),
    });
    if (!check.ok) {
      if (check.reason === 'invalid-key') {
        return {
          ok: false,
          verdict: 'invalid-key',
          status: `INVALID: Unable to load PKCS #1 key with fingerprint ${fingerprint}`,
        };
      }
      if (check.reason === 'malformed-signature') {
        return { ok: false, verdict: 'invalid-signature', status: `INVALID: ${check.detail}` };
      }
      return { ok: false, verdict: 'invalid-signature', status: 'INVALID: signature verification failed' };
    }
    this.usedKeys.set(fingerprint, publicKey);
    const endMs = parseDocumentTime(document.digestEndTime);
    if (endMs === undefined) {
      return {
        ok: false,
        verdict: 'invalid',
        status: `INVALID: Unable to parse date value: ${document.digestEndTime}`,
      };
    }
    const startMs = parseDocumentTime(document.digestStartTime);
    if (startMs === undefined) {
      return {
        ok: false,
        verdict: 'invalid',
        status: `INVALID: Unable to parse date value: ${document.digestStartTime}`,
      };
    }
    return {
      ok: true,
      document,
      inflatedHash: sha256Hex(inflated),
      signature,
      startMs,
      endMs,
      trailingBytes,
      metadata,
    };
  }

  /** The CLI's `_get_last_digest`: pops keys until one is older than `beforeKey` (or the last one). */
  private static popOlder(digests: string[], beforeKey?: string): { key: string; dateMs: number } | undefined {
    if (beforeKey === undefined) {
      const key = digests.pop();
      if (key === undefined) return undefined;
      return { key, dateMs: parseCompactTime(keyDateText(key))?.getTime() ?? Number.NaN };
    }
    const before = parseCompactTime(keyDateText(beforeKey))?.getTime();
    if (before === undefined) return undefined;
    while (digests.length > 0) {
      const key = digests.pop();
      if (key === undefined) break;
      const dateMs = parseCompactTime(keyDateText(key))?.getTime() ?? Number.NaN;
      if (dateMs < before) return { key, dateMs };
    }
    return undefined;
  }

  private scheduleLogs(digestKey: string, backfill: boolean, document: DigestDocument): void {
    for (const log of document.logFiles) {
      const slot = this.logResults.length;
      this.logResults.push(undefined);
      const base = { bucket: log.s3Bucket, key: log.s3Object, digestKey, backfill, expectedHash: log.hashValue };
      const task = this.limiter
        .run('low', async () => {
          let fetched: Fetched;
          try {
            const object = await this.source.getObject({ bucket: log.s3Bucket, key: log.s3Object });
            fetched = object === undefined ? { kind: 'missing' } : { kind: 'found', object };
          } catch (error) {
            fetched = { kind: 'error', message: error instanceof Error ? error.message : String(error) };
          }
          return this.checkLog(base, fetched);
        })
        .then((result) => {
          this.logResults[slot] = result;
          this.logsChecked += 1;
          this.progress();
        });
      this.logTasks.push(task);
    }
  }

  /** The CLI's `_download_log`: SHA-256 of the first gzip member's inflated bytes. */
  private checkLog(base: Omit<LogResult, 'verdict' | 'status'>, fetched: Fetched): LogResult {
    if (fetched.kind === 'missing') return { ...base, verdict: 'missing', status: 'INVALID: not found' };
    if (fetched.kind === 'error') return { ...base, verdict: 'unreadable', status: `INVALID: ${fetched.message}` };
    const member = inflateFirstGzipMember(fetched.object.body);
    if (member.status === 'error') return { ...base, verdict: 'invalid-format', status: 'INVALID: invalid format' };
    const actualHash = sha256Hex(member.data);
    if (actualHash !== base.expectedHash) {
      return { ...base, verdict: 'invalid-hash', status: "INVALID: hash value doesn't match", actualHash };
    }
    if (member.trailingBytes > 0) {
      this.finding({
        code: 'trailing-gzip-data',
        severity: 'error',
        bucket: base.bucket,
        key: base.key,
        message: `${member.trailingBytes} byte(s) follow the first gzip member of s3://${base.bucket}/${base.key}; the hash covers only the first member, but readers that decompress every member (Node's gunzip, zcat) see the extra data`,
      });
    }
    if (member.status === 'truncated') {
      this.finding({
        code: 'gzip-trailer-missing',
        severity: 'warning',
        bucket: base.bucket,
        key: base.key,
        message: `s3://${base.bucket}/${base.key} ends before its gzip trailer; the content hash matches, but the file was cut after delivery`,
      });
    }
    return { ...base, verdict: 'valid', status: 'valid', actualHash };
  }

  private trackFound(startMs: number, endMs: number): void {
    const earliest = Math.max(startMs, this.start.getTime());
    if (this.foundStart === undefined || earliest < this.foundStart) this.foundStart = earliest;
    const latest = Math.min(endMs, this.end.getTime());
    if (this.foundEnd === undefined || latest > this.foundEnd) this.foundEnd = latest;
  }

  private checkLink(link: ChainLink, bucket: string, key: string, outcome: Extract<DigestOutcome, { ok: true }>): void {
    if (link.previousDigestSignature !== outcome.signature) {
      this.finding({
        code: 'previous-signature-mismatch',
        severity: 'error',
        bucket,
        key: link.newerKey,
        message: `${link.newerKey} names previousDigestSignature ${String(link.previousDigestSignature).slice(0, 16)}…, but ${key} is signed ${outcome.signature.slice(0, 16)}…`,
      });
    }
    if (link.previousDigestHashValue === null) {
      this.finding({
        code: 'previous-hash-missing',
        severity: 'error',
        bucket,
        key: link.newerKey,
        message: `${link.newerKey} points to ${key} but has no previousDigestHashValue`,
      });
    } else {
      if (link.previousDigestHashAlgorithm !== HASH_ALGORITHM) {
        this.finding({
          code: 'previous-hash-algorithm',
          severity: 'error',
          bucket,
          key: link.newerKey,
          message: `${link.newerKey} has previousDigestHashAlgorithm ${JSON.stringify(link.previousDigestHashAlgorithm)}; allowed: ${HASH_ALGORITHM}`,
        });
      }
      if (link.previousDigestHashValue !== outcome.inflatedHash) {
        this.finding({
          code: 'previous-hash-mismatch',
          severity: 'error',
          bucket,
          key: link.newerKey,
          message: `${link.newerKey} names previousDigestHashValue ${link.previousDigestHashValue}, but ${key} hashes to ${outcome.inflatedHash}`,
        });
      }
    }
    if (link.newerStart !== outcome.document.digestEndTime) {
      this.finding({
        code: 'chain-time-mismatch',
        severity: 'warning',
        bucket,
        key: link.newerKey,
        message: `${link.newerKey} starts at ${link.newerStart} but the previous digest ${key} ends at ${outcome.document.digestEndTime}`,
      });
    }
  }

  /** The CLI's `traverse_digests` + `_traverse_digest_chain` for one kind of digest. */
  private async traverse(
    backfill: boolean,
    initialBucket: string,
    listing: Listing,
    publicKeys: Map<string, PublicKeyInfo>,
  ) {
    let bucket = initialBucket;
    let digests = [...(backfill ? listing.backfill : listing.standard)];
    let prefetchList = [...digests];
    let positions = new Map(prefetchList.map((entry, index) => [entry, index]));
    let current = Verifier.popOlder(digests);
    if (current === undefined) return;
    let lastStartMs = current.dateMs;
    const startMs = this.start.getTime();
    // Bookkeeping for the strict checks.
    let link: ChainLink | undefined;
    let brokenAt: { newerKey: string; newerStart: string; failedKey: string } | undefined;

    while (current !== undefined && startMs <= lastStartMs) {
      const key = current.key;
      const visitKey = `${bucket}\u0000${key}`;
      if (this.visited.has(visitKey)) {
        this.finding({
          code: 'chain-loop',
          severity: 'error',
          bucket,
          key,
          message: `the chain returns to ${key}, which was already verified; stopped there`,
        });
        break;
      }
      this.visited.add(visitKey);
      this.prefetchBelow(bucket, prefetchList, positions, key);
      const outcome = await this.validateDigest(bucket, key, backfill, publicKeys);
      this.digestsChecked += 1;

      if (!outcome.ok) {
        this.digestResults.push({ bucket, key, backfill, verdict: outcome.verdict, status: outcome.status });
        if (link !== undefined && brokenAt === undefined) {
          brokenAt = { newerKey: link.newerKey, newerStart: link.newerStart, failedKey: key };
        }
        link = undefined;
        this.progress();
        current = Verifier.popOlder(digests, key);
        continue;
      }

      const { document } = outcome;
      lastStartMs = outcome.startMs;
      this.digestResults.push({
        bucket,
        key,
        backfill,
        verdict: 'valid',
        status: 'valid',
        digestStartTime: document.digestStartTime,
        digestEndTime: document.digestEndTime,
        publicKeyFingerprint: document.digestPublicKeyFingerprint,
        logFileCount: document.logFiles.length,
      });
      this.trackFound(outcome.startMs, outcome.endMs);
      this.scheduleLogs(key, backfill, document);
      this.strictDigestChecks(bucket, key, outcome);
      if (link !== undefined) this.checkLink(link, bucket, key, outcome);
      if (brokenAt !== undefined) {
        this.finding({
          code: 'chain-break',
          severity: 'error',
          bucket,
          key: brokenAt.failedKey,
          message: `the chain from ${brokenAt.newerKey} breaks at ${brokenAt.failedKey}; digests between ${document.digestEndTime} and ${brokenAt.newerStart} cannot be verified (one or more were deleted or altered)`,
        });
        brokenAt = undefined;
      }
      this.progress();

      const previousBucket = document.previousDigestS3Bucket;
      const previousKey = document.previousDigestS3Object;
      if (previousBucket === null || previousKey === null) {
        link = undefined;
        const next = Verifier.popOlder(digests, key);
        if (next !== undefined) {
          this.gaps.push({
            backfill,
            newerDigestKey: key,
            olderDigestKey: next.key,
            from: Number.isNaN(next.dateMs) ? keyDateText(next.key) : formatIsoSeconds(new Date(next.dateMs)),
            to: formatIsoSeconds(new Date(lastStartMs)),
          });
        }
        current = next;
      } else {
        link = {
          newerKey: key,
          newerStart: document.digestStartTime,
          previousDigestSignature: document.previousDigestSignature,
          previousDigestHashValue: document.previousDigestHashValue,
          previousDigestHashAlgorithm: document.previousDigestHashAlgorithm,
        };
        current = { key: previousKey, dateMs: current.dateMs };
        if (previousBucket !== bucket) {
          bucket = previousBucket;
          const reloaded = await this.listDigests(bucket, outcome.endMs);
          digests = [...(backfill ? reloaded.backfill : reloaded.standard)];
          prefetchList = [...digests];
          positions = new Map(prefetchList.map((entry, index) => [entry, index]));
        }
      }
    }
    if (brokenAt !== undefined) {
      this.finding({
        code: 'chain-break',
        severity: 'error',
        bucket,
        key: brokenAt.failedKey,
        message: `the chain from ${brokenAt.newerKey} breaks at ${brokenAt.failedKey} and no older valid digest was found; everything before ${brokenAt.newerStart} in the range is unverified`,
      });
    }
  }

  private strictDigestChecks(bucket: string, key: string, outcome: Extract<DigestOutcome, { ok: true }>): void {
    const algorithm = outcome.metadata['signature-algorithm'];
    if (algorithm !== SIGNATURE_ALGORITHM || outcome.document.digestSignatureAlgorithm !== SIGNATURE_ALGORITHM) {
      this.finding({
        code: 'signature-algorithm',
        severity: 'warning',
        bucket,
        key,
        message: `${key} declares signature algorithm ${JSON.stringify(algorithm)} (metadata) / ${JSON.stringify(outcome.document.digestSignatureAlgorithm)} (digest); verified as ${SIGNATURE_ALGORITHM}`,
      });
    }
    if (outcome.trailingBytes > 0) {
      this.finding({
        code: 'trailing-gzip-data',
        severity: 'warning',
        bucket,
        key,
        message: `${outcome.trailingBytes} byte(s) follow the first gzip member of digest ${key}; ignored (the signature covers the first member)`,
      });
    }
  }

  async run(bucket: string): Promise<VerifyResult> {
    this.progress();
    const listing = await this.listDigests(bucket, this.end.getTime());
    this.digestsListed = listing.standard.length + listing.backfill.length;
    this.phase = 'verifying';
    this.progress();

    const standardKeys = new Map<string, PublicKeyInfo>();
    const keysFrom = this.start;
    const keysTo = new Date(this.end.getTime() + 2 * HOUR);
    for (const key of await this.loadPublicKeys(keysFrom, keysTo)) standardKeys.set(key.fingerprint, key);
    if (standardKeys.size === 0) {
      this.finding({
        code: 'no-public-keys',
        severity: 'error',
        message: `no public keys found between ${formatIsoSeconds(keysFrom)} and ${formatIsoSeconds(keysTo)}; no digest can be verified (the AWS CLI stops here)`,
      });
    }
    await this.traverse(false, bucket, listing, standardKeys);
    await this.traverse(true, bucket, listing, new Map());
    await Promise.all(this.logTasks);

    for (const key of [...listing.standard, ...listing.backfill]) {
      if (!this.visited.has(`${bucket}\u0000${key}`)) {
        this.finding({
          code: 'unreferenced-digest',
          severity: 'error',
          bucket,
          key,
          message: `${key} is in the range but no digest chain reaches it (a copy, a forgery, or a digest whose successor is gone)`,
        });
      }
    }
    const verifiedDigests = this.digestResults.length;
    if (verifiedDigests === 0) {
      this.finding({
        code: 'no-digests',
        severity: 'error',
        message: `no digest files for this trail between ${formatIsoSeconds(this.start)} and ${formatIsoSeconds(new Date(this.end.getTime() + HOUR))}: nothing was verified`,
      });
    }
    this.prefetched.clear();
    this.phase = 'done';
    this.progress();

    const logs = this.logResults.filter((entry): entry is LogResult => entry !== undefined);
    const count = (items: readonly { verdict: string }[]): FileCounts => {
      const valid = items.filter((item) => item.verdict === 'valid').length;
      return { valid, invalid: items.length - valid };
    };
    const counts = {
      digests: count(this.digestResults.filter((digest) => !digest.backfill)),
      backfillDigests: count(this.digestResults.filter((digest) => digest.backfill)),
      logs: count(logs),
    };
    const anyInvalid = counts.digests.invalid + counts.backfillDigests.invalid + counts.logs.invalid > 0;
    const anyError = this.findings.some((finding) => finding.severity === 'error');
    return {
      trail: {
        arn: this.context.arn,
        name: this.context.trailName,
        accountId: this.context.accountId,
        region: this.context.sourceRegion,
        homeRegion: this.context.homeRegion,
        organizationId: this.context.organizationId,
        bucket,
        prefix: this.context.prefix,
      },
      source: this.source.description,
      requested: { start: formatIsoSeconds(this.start), end: formatIsoSeconds(this.end) },
      found:
        this.foundStart === undefined || this.foundEnd === undefined
          ? undefined
          : { start: formatIsoSeconds(new Date(this.foundStart)), end: formatIsoSeconds(new Date(this.foundEnd)) },
      digests: this.digestResults,
      logs,
      gaps: this.gaps,
      findings: this.findings,
      counts,
      publicKeys: [...this.usedKeys.values()].map((key) => ({
        fingerprint: key.fingerprint,
        ...(key.validityStartTime === undefined ? {} : { validityStartTime: key.validityStartTime.toISOString() }),
        ...(key.validityEndTime === undefined ? {} : { validityEndTime: key.validityEndTime.toISOString() }),
      })),
      strictChain: this.strict,
      ok: !anyInvalid && !anyError && verifiedDigests > 0,
    };
  }
}

/** Verifies the trail's digests and log files in [start, end]; see the module comment. */
export async function verifyTrail(options: VerifyTrailOptions): Promise<VerifyResult> {
  assertDate('start', options.start);
  assertDate('end', options.end);
  if (options.start.getTime() > options.end.getTime()) {
    throw new IntegrityError(
      IntegrityErrorCode.InvalidOption,
      `start: got ${options.start.toISOString()}, which is after end ${options.end.toISOString()}; allowed: a start at or before the end`,
    );
  }
  const concurrency = options.concurrency ?? 16;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw invalidOption('concurrency', concurrency, 'an integer from 1 to 256');
  }
  const context = resolveTrail(options);
  const bucket = options.bucket ?? options.source.defaultBucket;
  if (bucket === undefined || bucket === '') {
    throw invalidOption('bucket', bucket, 'the trail bucket name (the source does not know it)');
  }
  return new Verifier(options, context, concurrency).run(bucket);
}
