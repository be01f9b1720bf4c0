import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { EXPORT_MANIFEST_FILE, type ExportManifest, parseExportManifest } from '../../src/integrity/index.js';

/**
 * A tiny loopback stand-in for S3 + CloudTrail (+ Organizations' DescribeOrganization), serving a bucket
 * kept on disk in the export format. It answers exactly what `aws cloudtrail validate-logs` (AWS CLI v1)
 * and our S3 source call: GetBucketLocation, ListObjects (v1 and v2), GetObject/HeadObject with
 * `x-amz-meta-*`, ListPublicKeys, DescribeTrails, GetTrail, DescribeOrganization. It is a test double
 * for the local environment's edge (tools/local-aws), which will serve the same calls against moto;
 * swap `startLocalTrailServer` for the edge's endpoint to run the parity tests there.
 */

export interface LocalTrailServer {
  readonly endpoint: string;
  /** Every request, for assertions about what a client called. */
  readonly requests: { method: string; path: string; operation: string }[];
  close(): Promise<void>;
}

export interface LocalTrailServerOptions {
  /** Folder in the export format (objects + jit-audit-export.json). Read on every request. */
  readonly exportDir: string;
  /** `o-…` returned by DescribeOrganization. */
  readonly organizationId?: string | undefined;
  /** Region reported by GetBucketLocation; empty means us-east-1 (as S3 answers). */
  readonly bucketRegion?: string | undefined;
  /** Objects per ListObjects page (S3 uses 1,000); small values exercise pagination. */
  readonly pageSize?: number | undefined;
  /** Added to every response, to imitate a remote S3 (benchmarks); 0 by default. */
  readonly latencyMs?: number | undefined;
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

async function walk(root: string, relative: string[], out: string[]): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(join(root, ...relative), { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.isDirectory()) await walk(root, [...relative, entry.name], out);
    else if (entry.isFile() && !(relative.length === 0 && entry.name === EXPORT_MANIFEST_FILE)) {
      out.push([...relative, entry.name].join('/'));
    }
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendXml(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': 'LOCALTRAILSERVER' });
  response.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}

function s3Error(response: ServerResponse, status: number, code: string, message: string, head: boolean): void {
  if (head) {
    response.writeHead(status, { 'x-amz-request-id': 'LOCALTRAILSERVER' });
    response.end();
    return;
  }
  sendXml(response, status, `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`);
}

function sendJson(response: ServerResponse, status: number, body: unknown, errorType?: string): void {
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-requestid': 'LOCALTRAILSERVER',
    ...(errorType === undefined ? {} : { 'x-amzn-errortype': errorType }),
  });
  response.end(JSON.stringify(body));
}

function epochSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') return value * 1000;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

export async function startLocalTrailServer(options: LocalTrailServerOptions): Promise<LocalTrailServer> {
  const requests: LocalTrailServer['requests'] = [];
  const pageSize = options.pageSize ?? 1000;

  const manifest = async (): Promise<ExportManifest> =>
    parseExportManifest(JSON.parse(await readFile(join(options.exportDir, EXPORT_MANIFEST_FILE), 'utf8')));

  const handleJson = async (request: IncomingMessage, response: ServerResponse, target: string): Promise<void> => {
    const operation = target.split('.').pop() ?? target;
    requests.push({ method: request.method ?? '', path: request.url ?? '', operation });
    const body = JSON.parse((await readBody(request)) || '{}') as Record<string, unknown>;
    const current = await manifest();
    if (operation === 'ListPublicKeys') {
      const now = Date.now();
      const start = epochSeconds(body.StartTime) ?? now;
      const end = epochSeconds(body.EndTime) ?? now;
      const keys = current.publicKeys
        .filter(
          (key) =>
            (key.validityStartTime === null || Date.parse(key.validityStartTime) <= end) &&
            (key.validityEndTime === null || Date.parse(key.validityEndTime) >= start),
        )
        .map((key) => ({
          // A JSON blob: base64 of the DER PKCS#1 key, as CloudTrail sends it.
          Value: key.value,
          ...(key.validityStartTime === null ? {} : { ValidityStartTime: Date.parse(key.validityStartTime) / 1000 }),
          ...(key.validityEndTime === null ? {} : { ValidityEndTime: Date.parse(key.validityEndTime) / 1000 }),
          Fingerprint: key.fingerprint,
        }));
      sendJson(response, 200, { PublicKeyList: keys });
      return;
    }
    const trails = current.trails.map((trail) => ({
      Name: trail.name,
      S3BucketName: trail.bucket,
      ...(trail.prefix === null ? {} : { S3KeyPrefix: trail.prefix }),
      IncludeGlobalServiceEvents: true,
      IsMultiRegionTrail: true,
      HomeRegion: trail.homeRegion ?? 'us-east-1',
      TrailARN: trail.arn,
      LogFileValidationEnabled: trail.logFileValidationEnabled ?? true,
      HasCustomEventSelectors: false,
      HasInsightSelectors: false,
      IsOrganizationTrail: trail.isOrganizationTrail,
    }));
    if (operation === 'DescribeTrails') {
      sendJson(response, 200, { trailList: trails });
      return;
    }
    if (operation === 'GetTrail') {
      const trail = trails.find((entry) => entry.TrailARN === body.Name || entry.Name === body.Name);
      if (trail === undefined) {
        sendJson(
          response,
          400,
          { __type: 'TrailNotFoundException', message: 'Unknown trail' },
          'TrailNotFoundException',
        );
        return;
      }
      sendJson(response, 200, { Trail: trail });
      return;
    }
    if (operation === 'DescribeOrganization' && options.organizationId !== undefined) {
      sendJson(response, 200, {
        Organization: {
          Id: options.organizationId,
          Arn: `arn:aws:organizations::111122223333:organization/${options.organizationId}`,
          FeatureSet: 'ALL',
          MasterAccountId: '111122223333',
        },
      });
      return;
    }
    sendJson(response, 400, { __type: 'UnknownOperationException', message: operation }, 'UnknownOperationException');
  };

  const handleS3 = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const head = request.method === 'HEAD';
    const current = await manifest();
    const host = (request.headers.host ?? '').split(':')[0] ?? '';
    let bucket: string;
    let key: string;
    const path = url.pathname.slice(1);
    if (host.startsWith(`${current.bucket}.`)) {
      bucket = current.bucket;
      key = decodeURIComponent(path);
    } else {
      const slash = path.indexOf('/');
      bucket = decodeURIComponent(slash === -1 ? path : path.slice(0, slash));
      key = slash === -1 ? '' : decodeURIComponent(path.slice(slash + 1));
    }
    const operation =
      key !== ''
        ? head
          ? 'HeadObject'
          : 'GetObject'
        : url.searchParams.has('location')
          ? 'GetBucketLocation'
          : url.searchParams.get('list-type') === '2'
            ? 'ListObjectsV2'
            : 'ListObjects';
    requests.push({ method: request.method ?? '', path: request.url ?? '', operation });
    if (bucket !== current.bucket) {
      s3Error(response, 404, 'NoSuchBucket', 'The specified bucket does not exist', head);
      return;
    }
    if (operation === 'GetBucketLocation') {
      sendXml(
        response,
        200,
        `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${options.bucketRegion ?? ''}</LocationConstraint>`,
      );
      return;
    }
    if (operation === 'GetObject' || operation === 'HeadObject') {
      const segments = key.split('/');
      if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
        s3Error(response, 404, 'NoSuchKey', 'The specified key does not exist.', head);
        return;
      }
      let body: Buffer;
      try {
        body = await readFile(join(options.exportDir, ...segments));
      } catch {
        s3Error(response, 404, 'NoSuchKey', 'The specified key does not exist.', head);
        return;
      }
      const headers: Record<string, string> = {
        'content-type': 'application/octet-stream',
        'content-length': String(body.length),
        'last-modified': new Date('2024-03-02T00:00:00Z').toUTCString(),
        etag: '"0"',
      };
      for (const [name, value] of Object.entries(current.metadata[key] ?? {})) headers[`x-amz-meta-${name}`] = value;
      response.writeHead(200, headers);
      response.end(head ? undefined : body);
      return;
    }
    const all: string[] = [];
    await walk(options.exportDir, [], all);
    all.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const prefix = url.searchParams.get('prefix') ?? '';
    const delimiter = url.searchParams.get('delimiter') ?? '';
    const encode = url.searchParams.get('encoding-type') === 'url';
    const after =
      operation === 'ListObjectsV2'
        ? (url.searchParams.get('continuation-token') ?? url.searchParams.get('start-after') ?? '')
        : (url.searchParams.get('marker') ?? '');
    const keys: string[] = [];
    const commonPrefixes = new Set<string>();
    let truncated = false;
    let lastReturned = '';
    for (const candidate of all) {
      if (!candidate.startsWith(prefix)) continue;
      if (after !== '' && Buffer.compare(Buffer.from(candidate), Buffer.from(after)) <= 0) continue;
      if (keys.length + commonPrefixes.size >= pageSize) {
        truncated = true;
        break;
      }
      if (delimiter !== '') {
        const index = candidate.indexOf(delimiter, prefix.length);
        if (index !== -1) {
          commonPrefixes.add(candidate.slice(0, index + delimiter.length));
          lastReturned = candidate;
          continue;
        }
      }
      keys.push(candidate);
      lastReturned = candidate;
    }
    const show = (text: string): string => xmlEscape(encode ? encodeURIComponent(text).replace(/%2F/g, '/') : text);
    const contents = keys
      .map(
        (entry) =>
          `<Contents><Key>${show(entry)}</Key><LastModified>2024-03-02T00:00:00.000Z</LastModified><ETag>"0"</ETag><Size>0</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      )
      .join('');
    const prefixes = [...commonPrefixes]
      .map((entry) => `<CommonPrefixes><Prefix>${show(entry)}</Prefix></CommonPrefixes>`)
      .join('');
    const paging =
      operation === 'ListObjectsV2'
        ? `<KeyCount>${keys.length + commonPrefixes.size}</KeyCount>${
            truncated ? `<NextContinuationToken>${xmlEscape(lastReturned)}</NextContinuationToken>` : ''
          }`
        : `<Marker>${show(after)}</Marker>${truncated ? `<NextMarker>${show(lastReturned)}</NextMarker>` : ''}`;
    sendXml(
      response,
      200,
      `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(bucket)}</Name><Prefix>${show(
        prefix,
      )}</Prefix>${paging}<MaxKeys>${pageSize}</MaxKeys>${delimiter === '' ? '' : `<Delimiter>${xmlEscape(delimiter)}</Delimiter>`}${
        encode ? '<EncodingType>url</EncodingType>' : ''
      }<IsTruncated>${truncated}</IsTruncated>${contents}${prefixes}</ListBucketResult>`,
    );
  };

  const latency = options.latencyMs ?? 0;
  const server = createServer((request, response) => {
    const target = request.headers['x-amz-target'];
    const delay = latency > 0 ? new Promise<void>((resolve) => setTimeout(resolve, latency)) : Promise.resolve();
    const handler = delay.then(() =>
      typeof target === 'string' ? handleJson(request, response, target) : handleS3(request, response),
    );
    handler.catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(error instanceof Error ? error.message : String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
