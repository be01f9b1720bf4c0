/**
 * Where the verifier reads a trail from. Two implementations: S3 + the CloudTrail API
 * (`createS3IntegritySource`) and a local copy of the bucket with its export sidecar
 * (`createLocalFolderSource`). Keep the surface this small so the local environment, an export and real
 * AWS are interchangeable.
 */

export interface SourceObject {
  readonly body: Uint8Array;
  /** S3 user metadata (`x-amz-meta-*`), keys in lowercase without the prefix. */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface PublicKeyInfo {
  readonly fingerprint: string;
  /** DER PKCS#1 RSAPublicKey. */
  readonly value: Buffer;
  readonly validityStartTime: Date | undefined;
  readonly validityEndTime: Date | undefined;
}

export interface TrailInfo {
  readonly arn: string;
  readonly name: string;
  readonly bucket: string;
  readonly prefix: string | undefined;
  readonly homeRegion: string | undefined;
  readonly isOrganizationTrail: boolean;
  readonly logFileValidationEnabled: boolean | undefined;
}

export interface IntegritySource {
  /** Human description for messages, e.g. `s3 (us-east-1)` or `local export /tmp/x`. */
  readonly description: string;
  /** The bucket this source holds, when it knows (a local export does). */
  readonly defaultBucket: string | undefined;
  /**
   * Keys under `prefix`, strictly after `startAfter`, in ascending binary (UTF-8) order like S3's
   * listing. Throws when the bucket cannot be listed.
   */
  listKeys(params: { bucket: string; prefix: string; startAfter?: string | undefined }): AsyncIterable<string>;
  /** The "folders" directly under `prefix` (S3 `CommonPrefixes` with delimiter `/`), each ending in `/`. */
  listCommonPrefixes(params: { bucket: string; prefix: string }): Promise<string[]>;
  /** The object, or undefined when it does not exist. Throws on any other failure (e.g. access denied). */
  getObject(params: { bucket: string; key: string }): Promise<SourceObject | undefined>;
  /** Public keys valid at some point in [start, end] (`cloudtrail:ListPublicKeys`). */
  listPublicKeys(params: { start: Date; end: Date }): Promise<PublicKeyInfo[]>;
  /** The trail's bucket and prefix (`cloudtrail:DescribeTrails`); undefined when not known to the source. */
  describeTrail(arn: string): Promise<TrailInfo | undefined>;
}

/** Binary (UTF-8) order of S3 keys; JavaScript's default string order differs outside the BMP. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
