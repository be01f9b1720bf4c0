import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { fixJsonProtocolError } from '../edge/motoFixups.js';
import { parseAwsCall } from '../edge/parseAwsCall.js';
import type { EdgeRequest, EdgeResponse } from '../edge/types.js';
import { LocalAwsError } from '../errors.js';
import type { Delivery } from './delivery.js';
import type { IdentityStore } from './identity.js';
import { CloudTrailApiError, type EventStore, type Throttle } from './lookup.js';
import { parseJsonObject } from './protocol.js';
import type { LocalSigningKey } from './signingKey.js';

export const CLOUDTRAIL_TARGET_PREFIX = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.';
/** The AWS SDK for JavaScript v3 sends the short form of the target. */
const SHORT_TARGET_PREFIX = 'CloudTrail_20131101.';
export const FLUSH_PATH = '/_jit/cloudtrail/flush';
const ZONED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

const SERVED = new Set([
  'LookupEvents',
  'ListPublicKeys',
  'DescribeTrails',
  'ListTrails',
  'GetTrail',
  'GetTrailStatus',
  'StartLogging',
  'StopLogging',
]);
const NAMED = new Set(['GetTrail', 'GetTrailStatus', 'StartLogging', 'StopLogging']);

export interface TrailSettings {
  trailName: string;
  homeRegion: string;
  bucket: string;
  prefix: string | undefined;
  organizationId: string | undefined;
  /** Owner of the organization trail. */
  managementAccountId: string;
  defaultAccountId: string;
  dataEvents: boolean;
}

export interface ApiDeps {
  settings: TrailSettings;
  store: EventStore;
  delivery: Delivery;
  identity: IdentityStore;
  signingKey: LocalSigningKey;
  throttle: Throttle | undefined;
  now: () => Date;
  motoEndpoint: string;
  flush: (options?: { at?: Date }) => Promise<unknown>;
}

function json(status: number, body: unknown, extra: Record<string, string> = {}): EdgeResponse {
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID(), ...extra },
    body: JSON.stringify(body),
  };
}

function apiError(error: CloudTrailApiError): EdgeResponse {
  return json(error.status, { __type: error.code, message: error.message }, { 'x-amzn-errortype': error.code });
}

const epochSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/** The trail's ARN as the given account sees it (an organization trail belongs to the management account). */
export function trailArn(settings: TrailSettings, accountId: string): string {
  const owner = settings.organizationId === undefined ? accountId : settings.managementAccountId;
  return `arn:aws:cloudtrail:${settings.homeRegion}:${owner}:trail/${settings.trailName}`;
}

function trailOf(settings: TrailSettings, accountId: string): Record<string, unknown> {
  return {
    Name: settings.trailName,
    S3BucketName: settings.bucket,
    ...(settings.prefix === undefined ? {} : { S3KeyPrefix: settings.prefix }),
    IncludeGlobalServiceEvents: true,
    IsMultiRegionTrail: true,
    HomeRegion: settings.homeRegion,
    TrailARN: trailArn(settings, accountId),
    LogFileValidationEnabled: true,
    HasCustomEventSelectors: settings.dataEvents,
    HasInsightSelectors: false,
    IsOrganizationTrail: settings.organizationId !== undefined,
  };
}

function isOurTrail(settings: TrailSettings, accountId: string, name: unknown): boolean {
  return name === settings.trailName || name === trailArn(settings, accountId);
}

// Connection-level headers (RFC 9110 §7.6.1) describe the client's connection, not this one.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function withoutHopByHop(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

/** Forwards a request to moto unchanged (Host included, so a signature still verifies there). */
export function forwardToMoto(endpoint: string, req: EdgeRequest): Promise<EdgeResponse> {
  const target = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: `${req.url.pathname}${req.url.search}`,
        headers: { ...withoutHopByHop(req.headers), 'content-length': String(req.body.length) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({ status: response.statusCode ?? 502, headers, body: Buffer.concat(chunks) });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

/** Trails moto itself holds (created through its CloudTrail API), to list beside the local trail. */
function motoList(probe: EdgeResponse, field: string): unknown[] {
  if (probe.status !== 200) return [];
  const body = parseJsonObject(typeof probe.body === 'string' ? probe.body : probe.body.toString('utf8'));
  const list = body?.[field];
  return Array.isArray(list) ? list : [];
}

/**
 * moto checks the signature and the caller's IAM permissions before it looks at the operation, so
 * the request is shown to moto first: a refusal (unknown key, bad signature, no
 * `cloudtrail:LookupEvents` permission) is passed on as is; anything else (moto does not implement
 * LookupEvents, or answers with its own trails) means the caller may proceed.
 */
async function authorize(deps: ApiDeps, req: EdgeRequest): Promise<{ denied?: EdgeResponse; probe: EdgeResponse }> {
  let probe: EdgeResponse;
  try {
    probe = await forwardToMoto(deps.motoEndpoint, req);
  } catch (error) {
    return {
      denied: apiError(
        new CloudTrailApiError(
          'ServiceUnavailable',
          `moto cannot be reached to authorize the call: ${String(error)}`,
          503,
        ),
      ),
      probe: { status: 503, headers: {}, body: '' },
    };
  }
  if (probe.status === 401 || probe.status === 403) return { denied: fixJsonProtocolError(probe), probe };
  return { probe };
}

/**
 * The CloudTrail API calls the edge answers for the local trail: `LookupEvents`, `ListPublicKeys`,
 * `DescribeTrails`, `ListTrails`, `GetTrail`, `GetTrailStatus`, `StartLogging`, `StopLogging`; and
 * `POST /_jit/cloudtrail/flush`. Everything else (other trails, other operations) goes to moto.
 */
export function createCloudTrailHandler(deps: ApiDeps): (req: EdgeRequest) => Promise<EdgeResponse | undefined> {
  const { settings } = deps;
  return async (req) => {
    if (req.url.pathname === FLUSH_PATH) {
      if (req.method !== 'POST') return json(405, { message: `use POST ${FLUSH_PATH}` });
      const atParameter = req.url.searchParams.get('at');
      let at: Date | undefined;
      if (atParameter !== null) {
        at = ZONED_TIME.test(atParameter) ? new Date(atParameter) : undefined;
        if (at === undefined || Number.isNaN(at.getTime())) {
          return json(400, {
            message: `at: got ${JSON.stringify(atParameter)}; allowed: an ISO 8601 time with a zone, such as 2026-03-02T10:00:00Z`,
          });
        }
      }
      let report: unknown;
      try {
        report = await deps.flush(at === undefined ? {} : { at });
      } catch (error) {
        if (error instanceof LocalAwsError) return json(400, { message: error.message });
        throw error;
      }
      const errors = (report as { errors?: unknown[] }).errors ?? [];
      return json(errors.length === 0 ? 200 : 500, report);
    }
    const target = req.headers['x-amz-target'];
    const prefix = [CLOUDTRAIL_TARGET_PREFIX, SHORT_TARGET_PREFIX].find((p) => target?.startsWith(p));
    if (target === undefined || prefix === undefined) return undefined;
    const operation = target.slice(prefix.length);

    if (!SERVED.has(operation)) return undefined;
    const body = req.body.length === 0 ? {} : parseJsonObject(req.body.toString('utf8'));
    if (body === undefined) return undefined;
    const call = parseAwsCall(req, { defaultRegion: settings.homeRegion });
    const caller = await deps.identity.resolve(call.accessKeyId);
    const accountId = caller?.accountId ?? settings.defaultAccountId;
    // Calls about a trail by name are ours only for the local trail; moto answers for its own trails.
    if (NAMED.has(operation) && !isOurTrail(settings, accountId, body.Name)) return undefined;

    const { denied, probe } = await authorize(deps, req);
    if (denied !== undefined) return denied;

    try {
      switch (operation) {
        case 'LookupEvents': {
          if (deps.throttle !== undefined && !deps.throttle.take(`${accountId}/${call.region}`, deps.now())) {
            throw new CloudTrailApiError('ThrottlingException', 'Rate exceeded');
          }
          return json(200, deps.store.lookup({ accountId, region: call.region, request: body, now: deps.now() }));
        }
        case 'ListPublicKeys':
          return json(200, listPublicKeys(deps, body));
        case 'DescribeTrails': {
          const names = body.trailNameList;
          const wanted =
            !Array.isArray(names) || names.length === 0 || names.some((name) => isOurTrail(settings, accountId, name));
          const ours = wanted ? [trailOf(settings, accountId)] : [];
          const others = motoList(probe, 'trailList').filter(
            (trail) => (trail as { Name?: unknown }).Name !== settings.trailName,
          );
          return json(200, { trailList: [...ours, ...others] });
        }
        case 'ListTrails': {
          const ours = {
            TrailARN: trailArn(settings, accountId),
            Name: settings.trailName,
            HomeRegion: settings.homeRegion,
          };
          const others = motoList(probe, 'Trails').filter(
            (trail) => (trail as { Name?: unknown }).Name !== settings.trailName,
          );
          return json(200, { Trails: [ours, ...others] });
        }
        case 'GetTrail':
          return json(200, { Trail: trailOf(settings, accountId) });
        case 'GetTrailStatus':
          return json(200, trailStatus(deps, accountId));
        case 'StopLogging':
          deps.delivery.stopLogging(accountId, deps.now());
          return json(200, {});
        case 'StartLogging':
          deps.delivery.startLogging(accountId, deps.now());
          return json(200, {});
        default:
          return undefined;
      }
    } catch (error) {
      if (error instanceof CloudTrailApiError) return apiError(error);
      throw error;
    }
  };
}

function listPublicKeys(deps: ApiDeps, body: Record<string, unknown>): Record<string, unknown> {
  const now = deps.now().getTime();
  const time = (field: string, value: unknown, fallback: number): number => {
    if (value === undefined || value === null) return fallback;
    const ms = typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : Number.NaN;
    if (!Number.isFinite(ms)) {
      throw new CloudTrailApiError(
        'InvalidTimeRangeException',
        `${field}: ${JSON.stringify(value)} is not a timestamp; allowed: epoch seconds or an ISO 8601 time`,
      );
    }
    return ms;
  };
  const end = time('EndTime', body.EndTime, now);
  const start = time('StartTime', body.StartTime, end);
  if (start > end) {
    throw new CloudTrailApiError(
      'InvalidTimeRangeException',
      'StartTime is after EndTime; the start must not be after the end',
    );
  }
  const key = deps.signingKey;
  const overlaps = key.validityStart.getTime() <= end && key.validityEnd.getTime() >= start;
  return {
    PublicKeyList: overlaps
      ? [
          {
            Value: key.publicKeyDer.toString('base64'),
            ValidityStartTime: epochSeconds(key.validityStart),
            ValidityEndTime: epochSeconds(key.validityEnd),
            Fingerprint: key.fingerprint,
          },
        ]
      : [],
  };
}

function trailStatus(deps: ApiDeps, accountId: string): Record<string, unknown> {
  const { delivery } = deps;
  const logging = delivery.isLogging(accountId);
  const changedAt = delivery.loggingChangedAt(accountId);
  const iso = (date: Date | undefined): string => (date === undefined ? '' : date.toISOString());
  return {
    IsLogging: logging,
    ...(delivery.latestDeliveryTime === undefined
      ? {}
      : { LatestDeliveryTime: epochSeconds(delivery.latestDeliveryTime) }),
    ...(delivery.latestDigestDeliveryTime === undefined
      ? {}
      : { LatestDigestDeliveryTime: epochSeconds(delivery.latestDigestDeliveryTime) }),
    ...(delivery.latestDeliveryError === undefined
      ? {}
      : { LatestDeliveryError: delivery.latestDeliveryError, LatestDigestDeliveryError: delivery.latestDeliveryError }),
    ...(logging ? { StartLoggingTime: epochSeconds(changedAt) } : { StopLoggingTime: epochSeconds(changedAt) }),
    ...(logging ? { TimeLoggingStarted: iso(changedAt) } : { TimeLoggingStopped: iso(changedAt) }),
    LatestDeliveryAttemptTime: iso(delivery.latestDeliveryAttemptTime),
    LatestDeliveryAttemptSucceeded: iso(
      delivery.latestDeliveryError === undefined ? delivery.latestDeliveryTime : undefined,
    ),
    LatestNotificationAttemptTime: '',
    LatestNotificationAttemptSucceeded: '',
  };
}
