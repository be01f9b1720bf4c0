import { createHash } from 'node:crypto';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * Which reports were sent, kept as small JSON objects under the function's own prefix in the log-archive
 * bucket. S3 conditional writes (`If-None-Match: *`: the write fails when the key exists) make each step
 * a compare-and-set, so two runs that overlap, or a retry of a run, never both send one session:
 *
 *   deliveries/<id>/claim-0001.json    written (if absent) just before sending: this run owns attempt 1
 *   deliveries/<id>/sent.json          written (if absent) once SES accepted the message: never send again
 *   deliveries/<id>/release-0001.json  written when the send failed: attempt 2 may start at once
 *   deliveries/<id>/report-0001.json   the full JSON report of attempt 1
 *
 * A run sends only after winning the claim of the next attempt number. An attempt that is neither sent nor
 * released is in flight for `leaseMs` (longer than the function's timeout); after that its run is dead, and
 * the next attempt may claim: its e-mail says that an earlier attempt may have been delivered, since a run
 * killed between SES's answer and writing `sent.json` leaves no trace of the outcome (SES has no idempotency
 * key). Nothing is ever deleted or overwritten, which suits an Object Lock bucket and needs no
 * `s3:DeleteObject`.
 */

export interface LedgerOptions {
  readonly client: Pick<S3Client, 'send'>;
  readonly bucket: string;
  /** Ends with `/`, e.g. `jit-reports/`. */
  readonly prefix: string;
  readonly leaseMs: number;
  readonly now: () => Date;
  readonly runId: string;
}

export interface Claim {
  readonly deliveryId: string;
  readonly attempt: number;
  /** Set when an earlier attempt was claimed, never confirmed nor released, and its lease ran out. */
  readonly afterUnconfirmedAttempt?: { readonly attempt: number; readonly claimedAt: string };
}

export type ClaimResult =
  | { readonly status: 'claimed'; readonly claim: Claim }
  /** Sent before (by this or another run). */
  | { readonly status: 'sent'; readonly sentAt?: string }
  /** Another run holds a live claim, or won the race for the next one. */
  | { readonly status: 'busy'; readonly attempt: number };

export type DeliveryState =
  | { readonly status: 'sent'; readonly sentAt?: string }
  | { readonly status: 'in-flight'; readonly attempt: number }
  | {
      readonly status: 'open';
      readonly nextAttempt: number;
      /** The latest attempt, when it was neither confirmed nor released and its lease ran out. */
      readonly unconfirmed?: { readonly attempt: number; readonly claimedAt: string };
    };

export interface SentRecord {
  readonly messageId: string;
  readonly subject: string;
  readonly recipients: readonly string[];
  readonly kind: string;
}

const SAFE_ID = /^[A-Za-z0-9._-]{1,100}$/;
const ATTEMPT_KEY = /\/(claim|release)-(\d{4,})\.json$/;

/** The key segment of a delivery id: the id itself when it is key-safe, its hash otherwise. */
export function deliveryKeyOf(deliveryId: string): string {
  return SAFE_ID.test(deliveryId) && !deliveryId.startsWith('.')
    ? deliveryId
    : `h-${createHash('sha256').update(deliveryId).digest('hex').slice(0, 40)}`;
}

function isPreconditionFailure(error: unknown): boolean {
  const e = error as { name?: unknown; Code?: unknown; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  // 412: the key exists. 409: another conditional write on the key is in progress (S3 says retry; we lost).
  return (
    e?.name === 'PreconditionFailed' ||
    e?.name === 'ConditionalRequestConflict' ||
    e?.Code === 'PreconditionFailed' ||
    status === 412 ||
    status === 409
  );
}

export class DeliveryLedger {
  constructor(private readonly options: LedgerOptions) {}

  private folder(deliveryId: string): string {
    return `${this.options.prefix}deliveries/${deliveryKeyOf(deliveryId)}/`;
  }

  /** Key of the full JSON report stored with an attempt. */
  reportKey(claim: Claim): string {
    return `${this.folder(claim.deliveryId)}report-${String(claim.attempt).padStart(4, '0')}.json`;
  }

  private attemptKey(deliveryId: string, kind: 'claim' | 'release', attempt: number): string {
    return `${this.folder(deliveryId)}${kind}-${String(attempt).padStart(4, '0')}.json`;
  }

  /** Writes `body` at `key` unless the key exists; false when it existed. */
  async putIfAbsent(key: string, body: string, contentType = 'application/json'): Promise<boolean> {
    const bytes = Buffer.from(body, 'utf8');
    try {
      await this.options.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: bytes,
          ContentType: contentType,
          IfNoneMatch: '*',
          // Object Lock buckets refuse writes without an integrity header.
          ContentMD5: createHash('md5').update(bytes).digest('base64'),
        }),
      );
      return true;
    } catch (error) {
      if (isPreconditionFailure(error)) return false;
      throw error;
    }
  }

  /** What is known about a delivery, without changing anything. */
  async state(deliveryId: string): Promise<DeliveryState> {
    const folder = this.folder(deliveryId);
    const claims = new Map<number, Date | undefined>();
    const releases = new Set<number>();
    let sent: { at?: string } | undefined;
    let token: string | undefined;
    do {
      const page = await this.options.client.send(
        new ListObjectsV2Command({
          Bucket: this.options.bucket,
          Prefix: folder,
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      );
      for (const object of page.Contents ?? []) {
        const key = object.Key ?? '';
        if (key === `${folder}sent.json`) {
          sent = object.LastModified === undefined ? {} : { at: object.LastModified.toISOString() };
          continue;
        }
        const match = ATTEMPT_KEY.exec(key);
        if (match === null) continue;
        const attempt = Number(match[2]);
        if (match[1] === 'claim') claims.set(attempt, object.LastModified);
        else releases.add(attempt);
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);

    if (sent !== undefined) return sent.at === undefined ? { status: 'sent' } : { status: 'sent', sentAt: sent.at };
    const latest = Math.max(0, ...claims.keys());
    if (latest === 0 || releases.has(latest)) return { status: 'open', nextAttempt: latest + 1 };
    const claimedAt = claims.get(latest);
    const age = claimedAt === undefined ? 0 : this.options.now().getTime() - claimedAt.getTime();
    if (age < this.options.leaseMs) return { status: 'in-flight', attempt: latest };
    return {
      status: 'open',
      nextAttempt: latest + 1,
      unconfirmed: { attempt: latest, claimedAt: claimedAt?.toISOString() ?? 'unknown' },
    };
  }

  /** Claims the next attempt of a delivery for this run, if nobody sent it and nobody is sending it. */
  async claim(deliveryId: string, details: Record<string, unknown> = {}): Promise<ClaimResult> {
    const state = await this.state(deliveryId);
    if (state.status === 'sent') return state;
    if (state.status === 'in-flight') return { status: 'busy', attempt: state.attempt };
    const attempt = state.nextAttempt;
    const claimedAt = this.options.now().toISOString();
    const won = await this.putIfAbsent(
      this.attemptKey(deliveryId, 'claim', attempt),
      `${JSON.stringify({ deliveryId, attempt, runId: this.options.runId, claimedAt, ...details }, null, 2)}\n`,
    );
    if (!won) return { status: 'busy', attempt };
    return {
      status: 'claimed',
      claim: {
        deliveryId,
        attempt,
        ...(state.unconfirmed === undefined ? {} : { afterUnconfirmedAttempt: state.unconfirmed }),
      },
    };
  }

  /** Records that SES accepted the message: the delivery is never sent again. */
  async confirm(claim: Claim, record: SentRecord): Promise<void> {
    await this.putIfAbsent(
      `${this.folder(claim.deliveryId)}sent.json`,
      `${JSON.stringify(
        {
          deliveryId: claim.deliveryId,
          attempt: claim.attempt,
          runId: this.options.runId,
          sentAt: this.options.now().toISOString(),
          ...record,
        },
        null,
        2,
      )}\n`,
    );
  }

  /** Gives the attempt up after a failed send, so the next run (or the retry) may send at once. */
  async release(claim: Claim, reason: string): Promise<void> {
    await this.putIfAbsent(
      this.attemptKey(claim.deliveryId, 'release', claim.attempt),
      `${JSON.stringify({ deliveryId: claim.deliveryId, attempt: claim.attempt, runId: this.options.runId, releasedAt: this.options.now().toISOString(), reason }, null, 2)}\n`,
    );
  }
}
