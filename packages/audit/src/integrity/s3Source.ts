import {
  CloudTrailClient,
  DescribeTrailsCommand,
  type DescribeTrailsCommandOutput,
  ListPublicKeysCommand,
} from '@aws-sdk/client-cloudtrail';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { IntegrityError, IntegrityErrorCode } from './errors.js';
import { decodePublicKeyValue } from './signing.js';
import type { IntegritySource, PublicKeyInfo, SourceObject, TrailInfo } from './source.js';

export interface S3IntegritySourceOptions {
  /**
   * Region of the CloudTrail client. `ListPublicKeys` returns the keys of this region, so use the region
   * whose digests you validate (as `aws cloudtrail validate-logs --region` does).
   */
  readonly region: string;
  /** Endpoint for both S3 (path-style) and CloudTrail, e.g. the local environment's edge. */
  readonly endpoint?: string | undefined;
  readonly credentials?: S3ClientConfig['credentials'] | undefined;
  /** Bring your own clients (tests, custom retry settings). */
  readonly s3Client?: S3Client | undefined;
  readonly cloudTrailClient?: CloudTrailClient | undefined;
}

function errorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const named = error as { name?: unknown; Code?: unknown; $metadata?: { httpStatusCode?: unknown } };
  if (typeof named.name === 'string') return named.name;
  return typeof named.Code === 'string' ? named.Code : undefined;
}

function unavailable(what: string, error: unknown): IntegrityError {
  const name = errorName(error) ?? 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return new IntegrityError(IntegrityErrorCode.SourceUnavailable, `${what} failed: ${name}: ${message}`, {
    cause: error,
    suggestion:
      name === 'AccessDenied' || name === 'AccessDeniedException'
        ? 'The verifier needs s3:ListBucket and s3:GetObject on the trail bucket and cloudtrail:ListPublicKeys (and cloudtrail:DescribeTrails without --s3-bucket).'
        : 'Check the region, the endpoint and your credentials.',
  });
}

/** Reads the trail bucket from S3 and the public keys from CloudTrail (`ListPublicKeys`). */
export function createS3IntegritySource(options: S3IntegritySourceOptions): IntegritySource {
  const shared = {
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  };
  const s3 =
    options.s3Client ??
    new S3Client({
      ...shared,
      // The bucket may live in another region than the trail; follow S3's redirect instead of failing.
      followRegionRedirects: true,
      forcePathStyle: options.endpoint !== undefined,
    });
  const cloudTrail = options.cloudTrailClient ?? new CloudTrailClient(shared);

  return {
    description: `S3 and CloudTrail (${options.region}${options.endpoint === undefined ? '' : `, endpoint ${options.endpoint}`})`,
    defaultBucket: undefined,

    async *listKeys({ bucket, prefix, startAfter }) {
      let continuationToken: string | undefined;
      do {
        let page: ListObjectsV2CommandOutput;
        try {
          page = await s3.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix,
              ...(startAfter === undefined || continuationToken !== undefined ? {} : { StartAfter: startAfter }),
              ...(continuationToken === undefined ? {} : { ContinuationToken: continuationToken }),
            }),
          );
        } catch (error) {
          throw unavailable(`listing s3://${bucket}/${prefix}`, error);
        }
        for (const entry of page.Contents ?? []) {
          if (entry.Key !== undefined) yield entry.Key;
        }
        continuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (continuationToken !== undefined);
    },

    async listCommonPrefixes({ bucket, prefix }) {
      const found: string[] = [];
      let continuationToken: string | undefined;
      do {
        try {
          const page = await s3.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix,
              Delimiter: '/',
              ...(continuationToken === undefined ? {} : { ContinuationToken: continuationToken }),
            }),
          );
          for (const entry of page.CommonPrefixes ?? []) {
            if (entry.Prefix !== undefined) found.push(entry.Prefix);
          }
          continuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined;
        } catch (error) {
          throw unavailable(`listing s3://${bucket}/${prefix}`, error);
        }
      } while (continuationToken !== undefined);
      return found;
    },

    async getObject({ bucket, key }): Promise<SourceObject | undefined> {
      try {
        const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const body = response.Body === undefined ? new Uint8Array() : await response.Body.transformToByteArray();
        const metadata: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.Metadata ?? {})) {
          metadata[name.toLowerCase()] = value;
        }
        return { body, metadata };
      } catch (error) {
        if (errorName(error) === 'NoSuchKey') return undefined;
        throw unavailable(`reading s3://${bucket}/${key}`, error);
      }
    },

    async listPublicKeys({ start, end }) {
      const keys: PublicKeyInfo[] = [];
      let nextToken: string | undefined;
      do {
        try {
          const page = await cloudTrail.send(
            new ListPublicKeysCommand({
              StartTime: start,
              EndTime: end,
              ...(nextToken === undefined ? {} : { NextToken: nextToken }),
            }),
          );
          for (const key of page.PublicKeyList ?? []) {
            if (key.Fingerprint === undefined || key.Value === undefined) continue;
            keys.push({
              fingerprint: key.Fingerprint,
              value: decodePublicKeyValue(key.Value),
              validityStartTime: key.ValidityStartTime,
              validityEndTime: key.ValidityEndTime,
            });
          }
          nextToken = page.NextToken;
        } catch (error) {
          throw unavailable('cloudtrail:ListPublicKeys', error);
        }
      } while (nextToken !== undefined && nextToken !== '');
      return keys;
    },

    async describeTrail(arn): Promise<TrailInfo | undefined> {
      let response: DescribeTrailsCommandOutput;
      try {
        response = await cloudTrail.send(new DescribeTrailsCommand({}));
      } catch (error) {
        throw unavailable('cloudtrail:DescribeTrails', error);
      }
      const trail = (response.trailList ?? []).find((entry) => entry.TrailARN === arn);
      if (trail === undefined || trail.S3BucketName === undefined) return undefined;
      return {
        arn,
        name: trail.Name ?? arn.split('/').pop() ?? arn,
        bucket: trail.S3BucketName,
        prefix: trail.S3KeyPrefix === undefined || trail.S3KeyPrefix === '' ? undefined : trail.S3KeyPrefix,
        homeRegion: trail.HomeRegion,
        isOrganizationTrail: trail.IsOrganizationTrail === true,
        logFileValidationEnabled: trail.LogFileValidationEnabled,
      };
    },
  };
}
